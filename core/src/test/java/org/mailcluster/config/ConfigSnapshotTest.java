package org.mailcluster.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ConfigSnapshotTest {
  private static ConfigSnapshot sized(int n) {
    TreeMap<String, String> m = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      m.put(String.format("config/MDaemon.ini/S%04d/K%03d", i / 100, i % 100), "value " + i);
    }
    return ConfigSnapshot.of(m);
  }

  @Test
  void iteratesInKeyOrderAndLooksUp() {
    ConfigSnapshot s = ConfigSnapshot.of(Map.of("b", "2", "a", "1", "c", "3"));
    assertEquals(List.of("a", "b", "c"), new ArrayList<>(s.asMap().keySet()));
    assertEquals(Optional.of("2"), s.get("b"));
    assertEquals(Optional.empty(), s.get("z"));
    assertEquals(3, s.size());
    List<String> seen = new ArrayList<>();
    s.forEach((k, v) -> seen.add(k + "=" + v));
    assertEquals(List.of("a=1", "b=2", "c=3"), seen);
  }

  @Test
  void keysThatDifferOnlyInCaseAreDistinctAndNonAsciiKeysWork() {
    ConfigSnapshot s =
        ConfigSnapshot.empty().with("Key", "upper").with("key", "lower").with("Società", "è");
    assertEquals(3, s.size());
    assertEquals(Optional.of("upper"), s.get("Key"));
    assertEquals(Optional.of("lower"), s.get("key"));
    assertEquals(Optional.of("è"), s.get("Società"));
  }

  @Test
  void unchangedWritesReturnTheSameSnapshot() {
    ConfigSnapshot s = ConfigSnapshot.empty().with("a", "1");
    assertSame(s, s.with("a", "1"));
    assertSame(s, s.without("missing"));
    assertSame(s, s.atRevision(s.revision()));
  }

  @Test
  void aOneKeyChangeCopiesOnlyOnePath() {
    ConfigSnapshot base = sized(100_000);
    ConfigSnapshot changed = base.with("config/MDaemon.ini/S0500/K050", "new value");
    Set<Treap.Node> before = identitySet(base.root());
    int fresh = 0;
    for (Treap.Node n : nodes(changed.root())) {
      if (!before.contains(n)) {
        fresh++;
      }
    }
    int height = Treap.height(base.root());
    assertTrue(fresh <= height, "copied " + fresh + " nodes, path length is " + height);
    // A canonical treap of 100k keys is about 2.5 * log2(n) deep; far from degenerate.
    assertTrue(height < 60, "height " + height);
  }

  @Test
  void shapeDependsOnlyOnTheKeySet() {
    Random random = new Random(42);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      keys.add("k" + random.nextInt(5000));
    }
    ConfigSnapshot inOrder = ConfigSnapshot.empty();
    for (String k : new TreeMap<>(toMap(keys)).keySet()) {
      inOrder = inOrder.with(k, "v");
    }
    Collections.shuffle(keys, random);
    ConfigSnapshot shuffled = ConfigSnapshot.empty();
    for (String k : keys) {
      shuffled = shuffled.with(k, "v").with("extra" + k, "x").without("extra" + k);
    }
    ConfigSnapshot bulk = ConfigSnapshot.of(toMap(keys));
    assertTrue(sameShape(inOrder.root(), shuffled.root()));
    assertTrue(sameShape(inOrder.root(), bulk.root()));
  }

  @Test
  void fingerprintIsIndependentOfHistoryAndTracksContent() {
    ConfigSnapshot a = ConfigSnapshot.empty().with("x", "1").with("y", "2");
    ConfigSnapshot b =
        ConfigSnapshot.empty().with("y", "2").with("z", "9").with("x", "1").without("z");
    assertEquals(a.fingerprint(), b.fingerprint());
    assertEquals(Fingerprint.EMPTY, a.without("x").without("y").fingerprint());
    assertNotEquals(a.fingerprint(), a.with("x", "2").fingerprint());
    // Length prefixes keep ("ab","c") apart from ("a","bc").
    assertNotEquals(
        ConfigSnapshot.empty().with("ab", "c").fingerprint(),
        ConfigSnapshot.empty().with("a", "bc").fingerprint());
    assertEquals(a.fingerprint(), Fingerprint.parse(a.fingerprint().toString()));
  }

  @Test
  void equalityIsContentAndRevision() {
    ConfigSnapshot a = ConfigSnapshot.of(Map.of("x", "1"));
    ConfigSnapshot b = ConfigSnapshot.empty().with("x", "1");
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, b.atRevision(Revision.of(1, 1)));
    assertTrue(a.sameContentAs(b.atRevision(Revision.of(1, 1))));
    assertFalse(a.sameContentAs(b.with("x", "2")));
  }

  @Test
  void callerMistakesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> ConfigSnapshot.empty().with("", "v"));
    assertThrows(NullPointerException.class, () -> ConfigSnapshot.empty().with("k", null));
    Map<String, String> withNull = new LinkedHashMap<>();
    withNull.put("k", null);
    assertThrows(NullPointerException.class, () -> ConfigSnapshot.of(withNull));
    assertThrows(
        UnsupportedOperationException.class, () -> ConfigSnapshot.empty().asMap().put("k", "v"));
  }

  @Test
  void largeValuesAreKeptWhole() {
    String big = "x".repeat(1 << 20);
    ConfigSnapshot s = ConfigSnapshot.empty().with("cert/mail/chain", big);
    assertEquals(big, s.get("cert/mail/chain").orElseThrow());
  }

  private static Map<String, String> toMap(List<String> keys) {
    Map<String, String> m = new TreeMap<>();
    keys.forEach(k -> m.put(k, "v"));
    return m;
  }

  private static boolean sameShape(Treap.Node a, Treap.Node b) {
    if (a == null || b == null) {
      return a == b;
    }
    return a.key.equals(b.key) && sameShape(a.left, b.left) && sameShape(a.right, b.right);
  }

  private static List<Treap.Node> nodes(Treap.Node root) {
    List<Treap.Node> out = new ArrayList<>();
    Treap.iterator(root).forEachRemaining(out::add);
    return out;
  }

  private static Set<Treap.Node> identitySet(Treap.Node root) {
    Set<Treap.Node> s = Collections.newSetFromMap(new IdentityHashMap<>());
    s.addAll(nodes(root));
    return s;
  }
}
