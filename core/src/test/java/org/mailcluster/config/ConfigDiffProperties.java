package org.mailcluster.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mailcluster.testing.PropertyRuns;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The laws of configuration diffs (between, apply, compose, invert, the JSON form) and of
 * snapshots, checked against a plain {@link TreeMap} as the reference model. States are generated
 * as a base map plus edits, so that pairs share structure and keys as real revisions do; keys come
 * from a small alphabet (with non-ASCII letters and case variants) so that edits collide. Each
 * property makes {@code mailcluster.tries} tries (1000 in the build) and prints its seed.
 */
@Tag("slow")
class ConfigDiffProperties {

  @Test
  void diffOfASnapshotWithItselfIsEmpty() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(maps())
                .checkAssert(
                    a -> {
                      ConfigSnapshot s = ConfigSnapshot.of(a);
                      assertTrue(ConfigDiff.between(s, s).isEmpty());
                      assertTrue(ConfigDiff.between(s, ConfigSnapshot.of(a)).isEmpty());
                    }));
  }

  @Test
  void applyingTheDiffGivesTheTarget() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(related())
                .checkAssert(
                    t -> {
                      ConfigSnapshot a = derived(t.a());
                      ConfigSnapshot b = derivedFrom(a, t.b());
                      ConfigDiff d = ConfigDiff.between(a, b);
                      assertEquals(t.b(), new TreeMap<>(d.apply(a).asMap()));
                      assertEquals(referenceDiff(t.a(), t.b()), d.changes());
                      assertTrue(d.appliesCleanlyTo(a));
                    }));
  }

  @Test
  void diffOfUnrelatedSnapshotsIsCorrectToo() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(maps(), maps())
                .checkAssert(
                    (a, b) -> {
                      ConfigDiff d = ConfigDiff.between(ConfigSnapshot.of(a), ConfigSnapshot.of(b));
                      assertEquals(referenceDiff(a, b), d.changes());
                    }));
  }

  @Test
  void composeEqualsApplyingInSequence() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(related())
                .checkAssert(
                    t -> {
                      ConfigSnapshot a = derived(t.a());
                      ConfigSnapshot b = derivedFrom(a, t.b());
                      ConfigSnapshot c = derivedFrom(b, t.c());
                      ConfigDiff d1 = ConfigDiff.between(a, b);
                      ConfigDiff d2 = ConfigDiff.between(b, c);
                      ConfigSnapshot sequential = d2.apply(d1.apply(a));
                      ConfigSnapshot composed = d1.compose(d2).apply(a);
                      assertEquals(t.c(), new TreeMap<>(composed.asMap()));
                      assertTrue(sequential.sameContentAs(composed));
                      assertEquals(ConfigDiff.between(a, c), d1.compose(d2));
                    }));
  }

  @Test
  void invertUndoes() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(related())
                .checkAssert(
                    t -> {
                      ConfigSnapshot a = derived(t.a());
                      ConfigSnapshot b = derivedFrom(a, t.b());
                      ConfigDiff d = ConfigDiff.between(a, b);
                      assertEquals(t.a(), new TreeMap<>(d.invert().apply(b).asMap()));
                      assertEquals(ConfigDiff.between(b, a), d.invert());
                    }));
  }

  @Test
  void snapshotBehavesLikeTheReferenceMap() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(related())
                .checkAssert(
                    t -> {
                      ConfigSnapshot b = derivedFrom(derived(t.a()), t.b());
                      assertEquals(
                          new ArrayList<>(t.b().entrySet()), new ArrayList<>(b.asMap().entrySet()));
                      assertEquals(t.b().size(), b.size());
                      assertEquals(ConfigSnapshot.of(t.b()).fingerprint(), b.fingerprint());
                      for (String k : t.b().keySet()) {
                        assertEquals(Optional.of(t.b().get(k)), b.get(k));
                      }
                      assertTrue(heapOrdered(b.root()));
                    }));
  }

  @Test
  void jsonFormRoundTrips() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(related())
                .checkAssert(
                    t -> {
                      ConfigDiff d =
                          ConfigDiff.between(ConfigSnapshot.of(t.a()), ConfigSnapshot.of(t.b()));
                      assertEquals(d, ConfigDiff.fromJson(d.toJson()));
                    }));
  }

  // ---- generators ------------------------------------------------------------------------

  /** A base state and two successive edits of it. */
  record Related(TreeMap<String, String> a, TreeMap<String, String> b, TreeMap<String, String> c) {}

  /** One edit: set a key, or remove it (an empty value). */
  record Edit(String key, Optional<String> value) {}

  private static Gen<TreeMap<String, String>> maps() {
    return PropertyRuns.maps(keys(), values(), 60);
  }

  /** A base map and two successive edits of it, so that states share most of their keys. */
  private static Gen<Related> related() {
    return maps()
        .flatMap(
            a ->
                edits()
                    .flatMap(
                        e1 -> {
                          TreeMap<String, String> b = edited(a, e1);
                          return edits().map(e2 -> new Related(a, b, edited(b, e2)));
                        }));
  }

  private static Gen<List<Edit>> edits() {
    Gen<Optional<String>> valueOrRemove =
        Generate.frequency(
            Pair.of(3, values().map(Optional::of)),
            Pair.of(1, Generate.constant(Optional.empty())));
    return lists().of(keys().zip(valueOrRemove, Edit::new)).ofSizeBetween(0, 12);
  }

  private static TreeMap<String, String> edited(TreeMap<String, String> base, List<Edit> edits) {
    TreeMap<String, String> out = new TreeMap<>(base);
    for (Edit e : edits) {
      if (e.value().isPresent()) {
        out.put(e.key(), e.value().get());
      } else {
        out.remove(e.key());
      }
    }
    return out;
  }

  private static Gen<String> keys() {
    // A few prefixes and a small alphabet with case variants and non-ASCII letters collide often.
    Gen<String> prefix =
        Generate.pick(List.of("config/MDaemon.ini/", "config/mdaemon.ini/", "setting/p/", ""));
    return prefix.zip(PropertyRuns.strings("aAbBéÉ/_中", 1, 4), String::concat);
  }

  private static Gen<String> values() {
    return Generate.frequency(
        Pair.of(8, PropertyRuns.strings("xyzXYZ \\;=", 0, 3)),
        Pair.of(1, PropertyRuns.anyStrings(200, 5000)),
        Pair.of(1, Generate.constant("")));
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** Builds a snapshot by single puts, the way commits build them (not by bulk load). */
  private static ConfigSnapshot derived(Map<String, String> content) {
    return derivedFrom(ConfigSnapshot.empty(), content);
  }

  /** Edits {@code base} into {@code content} by puts and removes, sharing structure with it. */
  private static ConfigSnapshot derivedFrom(ConfigSnapshot base, Map<String, String> content) {
    ConfigSnapshot s = base;
    for (String k : new ArrayList<>(base.asMap().keySet())) {
      if (!content.containsKey(k)) {
        s = s.without(k);
      }
    }
    for (Map.Entry<String, String> e : content.entrySet()) {
      s = s.with(e.getKey(), e.getValue());
    }
    return s;
  }

  private static List<ConfigDiff.Change> referenceDiff(
      TreeMap<String, String> a, TreeMap<String, String> b) {
    TreeMap<String, ConfigDiff.Change> out = new TreeMap<>();
    for (Map.Entry<String, String> e : a.entrySet()) {
      String now = b.get(e.getKey());
      if (!e.getValue().equals(now)) {
        out.put(
            e.getKey(),
            new ConfigDiff.Change(e.getKey(), Optional.of(e.getValue()), Optional.ofNullable(now)));
      }
    }
    for (Map.Entry<String, String> e : b.entrySet()) {
      if (!a.containsKey(e.getKey())) {
        out.put(e.getKey(), ConfigDiff.Change.added(e.getKey(), e.getValue()));
      }
    }
    return List.copyOf(out.values());
  }

  private static boolean heapOrdered(Treap.Node n) {
    if (n == null) {
      return true;
    }
    for (Treap.Node child : new Treap.Node[] {n.left, n.right}) {
      if (child != null && !Treap.ranksAbove(n.priority, n.key, child.priority, child.key)) {
        return false;
      }
    }
    return (n.left == null || n.left.key.compareTo(n.key) < 0)
        && (n.right == null || n.right.key.compareTo(n.key) > 0)
        && heapOrdered(n.left)
        && heapOrdered(n.right);
  }
}
