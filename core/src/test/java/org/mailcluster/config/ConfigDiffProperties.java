package org.mailcluster.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * The laws of DESIGN.md §2, checked against a plain {@link TreeMap} as the reference model. States
 * are generated as a base map plus edits, so that pairs share structure and keys as real revisions
 * do; keys come from a small alphabet (with non-ASCII letters and case variants) so that edits
 * collide.
 */
class ConfigDiffProperties {

  @Property
  void diffOfASnapshotWithItselfIsEmpty(@ForAll("maps") TreeMap<String, String> a) {
    ConfigSnapshot s = ConfigSnapshot.of(a);
    assertTrue(ConfigDiff.between(s, s).isEmpty());
    assertTrue(ConfigDiff.between(s, ConfigSnapshot.of(a)).isEmpty());
  }

  @Property
  void applyingTheDiffGivesTheTarget(
      @ForAll("related")
          Tuple.Tuple3<TreeMap<String, String>, TreeMap<String, String>, TreeMap<String, String>>
              t) {
    ConfigSnapshot a = derived(t.get1());
    ConfigSnapshot b = derivedFrom(a, t.get2());
    ConfigDiff d = ConfigDiff.between(a, b);
    assertEquals(t.get2(), new TreeMap<>(d.apply(a).asMap()));
    assertEquals(referenceDiff(t.get1(), t.get2()), d.changes());
    assertTrue(d.appliesCleanlyTo(a));
    Statistics.label("diff size").collect(d.size() == 0 ? "0" : d.size() < 5 ? "1-4" : "5+");
  }

  @Property
  void diffOfUnrelatedSnapshotsIsCorrectToo(
      @ForAll("maps") TreeMap<String, String> a, @ForAll("maps") TreeMap<String, String> b) {
    ConfigDiff d = ConfigDiff.between(ConfigSnapshot.of(a), ConfigSnapshot.of(b));
    assertEquals(referenceDiff(a, b), d.changes());
  }

  @Property
  void composeEqualsApplyingInSequence(
      @ForAll("related")
          Tuple.Tuple3<TreeMap<String, String>, TreeMap<String, String>, TreeMap<String, String>>
              t) {
    ConfigSnapshot a = derived(t.get1());
    ConfigSnapshot b = derivedFrom(a, t.get2());
    ConfigSnapshot c = derivedFrom(b, t.get3());
    ConfigDiff d1 = ConfigDiff.between(a, b);
    ConfigDiff d2 = ConfigDiff.between(b, c);
    ConfigSnapshot sequential = d2.apply(d1.apply(a));
    ConfigSnapshot composed = d1.compose(d2).apply(a);
    assertEquals(t.get3(), new TreeMap<>(composed.asMap()));
    assertTrue(sequential.sameContentAs(composed));
    assertEquals(ConfigDiff.between(a, c), d1.compose(d2));
  }

  @Property
  void invertUndoes(
      @ForAll("related")
          Tuple.Tuple3<TreeMap<String, String>, TreeMap<String, String>, TreeMap<String, String>>
              t) {
    ConfigSnapshot a = derived(t.get1());
    ConfigSnapshot b = derivedFrom(a, t.get2());
    ConfigDiff d = ConfigDiff.between(a, b);
    assertEquals(t.get1(), new TreeMap<>(d.invert().apply(b).asMap()));
    assertEquals(ConfigDiff.between(b, a), d.invert());
  }

  @Property
  void snapshotBehavesLikeTheReferenceMap(
      @ForAll("related")
          Tuple.Tuple3<TreeMap<String, String>, TreeMap<String, String>, TreeMap<String, String>>
              t) {
    ConfigSnapshot b = derivedFrom(derived(t.get1()), t.get2());
    assertEquals(new ArrayList<>(t.get2().entrySet()), new ArrayList<>(b.asMap().entrySet()));
    assertEquals(t.get2().size(), b.size());
    assertEquals(ConfigSnapshot.of(t.get2()).fingerprint(), b.fingerprint());
    for (String k : t.get2().keySet()) {
      assertEquals(Optional.of(t.get2().get(k)), b.get(k));
    }
    assertTrue(heapOrdered(b.root()));
  }

  @Property
  void jsonFormRoundTrips(
      @ForAll("related")
          Tuple.Tuple3<TreeMap<String, String>, TreeMap<String, String>, TreeMap<String, String>>
              t) {
    ConfigDiff d = ConfigDiff.between(ConfigSnapshot.of(t.get1()), ConfigSnapshot.of(t.get2()));
    assertEquals(d, ConfigDiff.fromJson(d.toJson()));
  }

  // ---- generators ------------------------------------------------------------------------

  @Provide
  Arbitrary<TreeMap<String, String>> maps() {
    return Arbitraries.maps(keys(), values()).ofMaxSize(60).map(TreeMap::new);
  }

  /** A base map and two successive edits of it, so that states share most of their keys. */
  @Provide
  Arbitrary<Tuple.Tuple3<TreeMap<String, String>, TreeMap<String, String>, TreeMap<String, String>>>
      related() {
    Arbitrary<TreeMap<String, String>> base = maps();
    return base.flatMap(
        a ->
            edits()
                .flatMap(
                    e1 -> {
                      TreeMap<String, String> b = edited(a, e1);
                      return edits().map(e2 -> Tuple.of(a, b, edited(b, e2)));
                    }));
  }

  private Arbitrary<List<Tuple.Tuple2<String, Optional<String>>>> edits() {
    Arbitrary<Optional<String>> valueOrRemove =
        Arbitraries.frequencyOf(
            Tuple.of(3, values().map(Optional::of)),
            Tuple.of(1, Arbitraries.just(Optional.empty())));
    return Combinators.combine(keys(), valueOrRemove).as(Tuple::of).list().ofMaxSize(12);
  }

  private static TreeMap<String, String> edited(
      TreeMap<String, String> base, List<Tuple.Tuple2<String, Optional<String>>> edits) {
    TreeMap<String, String> out = new TreeMap<>(base);
    for (Tuple.Tuple2<String, Optional<String>> e : edits) {
      if (e.get2().isPresent()) {
        out.put(e.get1(), e.get2().get());
      } else {
        out.remove(e.get1());
      }
    }
    return out;
  }

  private static Arbitrary<String> keys() {
    // A few prefixes and a small alphabet with case variants and non-ASCII letters collide often.
    Arbitrary<String> prefix =
        Arbitraries.of("config/MDaemon.ini/", "config/mdaemon.ini/", "setting/p/", "");
    Arbitrary<String> name =
        Arbitraries.strings().withChars("aAbBéÉ/_中").ofMinLength(1).ofMaxLength(4);
    return Combinators.combine(prefix, name).as(String::concat);
  }

  private static Arbitrary<String> values() {
    return Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.strings().withChars("xyzXYZ \\;=").ofMaxLength(3)),
        Tuple.of(1, Arbitraries.strings().ofMinLength(200).ofMaxLength(5000)),
        Tuple.of(1, Arbitraries.just("")));
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
