package org.mailcluster.paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Normalisation laws of {@link StoragePath}: parsing what it prints gives the same path (and the
 * same text), a path resolved within a shared root never leaves it, and Windows paths ignore case
 * and separator style while POSIX paths do not.
 */
class StoragePathProperties {

  @Property
  void normalisationIsIdempotent(@ForAll("paths") String text) {
    StoragePath once = StoragePath.parse(text);
    StoragePath twice = StoragePath.parse(once.toString());
    assertEquals(once, twice);
    assertEquals(once.toString(), twice.toString());
    assertEquals(once, StoragePath.parse(once.toDirectoryString()));
    Statistics.label("kind").collect(once.kind());
  }

  @Property
  void aRelocatedPathNeverEscapesTheSharedRoot(
      @ForAll("roots") String rootText, @ForAll("relatives") String relative) {
    StoragePath root = StoragePath.parse(rootText);
    StoragePath placed;
    try {
      placed = root.resolveWithin(relative);
    } catch (IllegalArgumentException refused) {
      assertTrue(refused.getMessage().contains(relative), refused.getMessage());
      Statistics.label("outcome").collect("refused");
      return;
    }
    Statistics.label("outcome").collect("placed");
    assertTrue(root.contains(placed), placed + " escaped " + root);
    assertEquals(root.names(), placed.names().subList(0, root.names().size()));
  }

  @Property
  void windowsPathsIgnoreCaseAndSeparatorStyle(
      @ForAll("windowsPaths") String text, @ForAll long caseSeed) {
    StoragePath p = StoragePath.parse(text);
    String other = scrambleCase(text, caseSeed).replace('\\', '/');
    StoragePath q = StoragePath.parse(other);
    assertEquals(p, q);
    assertEquals(p.hashCode(), q.hashCode());
    assertTrue(p.contains(q) && q.contains(p));
  }

  @Property
  void posixPathsKeepCase(@ForAll("posixPaths") String text) {
    String normal = StoragePath.parse(text).toString();
    String upper = normal.toUpperCase(Locale.ROOT);
    Assume.that(!upper.equals(normal));
    assertNotEquals(StoragePath.parse(normal), StoragePath.parse(upper));
  }

  private static String scrambleCase(String s, long seed) {
    StringBuilder b = new StringBuilder();
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    for (char c : s.toCharArray()) {
      b.append(r.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
    }
    return b.toString();
  }

  private static Arbitrary<String> name() {
    return Arbitraries.of("Users", "mail", "Public Folders", "PEM", "Lock.Files", "x", "é", "ß");
  }

  private static Arbitrary<String> sep() {
    return Arbitraries.of("\\", "/");
  }

  /** Names, '.' and balanced '..' joined with mixed separators, starting below the root. */
  private static Arbitrary<String> tail() {
    Arbitrary<String> step = Arbitraries.oneOf(name(), name(), name(), Arbitraries.just("."));
    return Combinators.combine(step.list().ofMaxSize(6), sep().list().ofSize(7), name())
        .as(
            (steps, seps, last) -> {
              StringBuilder b = new StringBuilder();
              int depth = 0;
              for (int i = 0; i < steps.size(); i++) {
                String s = steps.get(i);
                if (depth > 0 && (i % 3 == 2)) {
                  s = "..";
                  depth--;
                } else if (!s.equals(".")) {
                  depth++;
                }
                b.append(s).append(seps.get(i));
              }
              return b + last;
            });
  }

  @Provide
  Arbitrary<String> windowsPaths() {
    Arbitrary<String> drive =
        Arbitraries.of("C:", "d:", "\\\\?\\C:").flatMap(d -> sep().map(s -> d + s));
    Arbitrary<String> unc =
        Arbitraries.of("\\\\nas01\\mail", "//NAS01/Mail", "\\\\?\\UNC\\nas01\\mail", "\\\\srv\\s$")
            .flatMap(r -> sep().map(s -> r + s));
    return Combinators.combine(Arbitraries.oneOf(drive, unc), tail(), Arbitraries.of("", "\\", "/"))
        .as((r, t, trailing) -> r + t + trailing);
  }

  @Provide
  Arbitrary<String> posixPaths() {
    return Combinators.combine(tail(), Arbitraries.of("", "/"))
        .as((t, trailing) -> "/" + t.replace('\\', '/') + trailing);
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.oneOf(windowsPaths(), posixPaths());
  }

  @Provide
  Arbitrary<String> roots() {
    return Arbitraries.of(
        "\\\\nas01\\mail", "\\\\nas01\\mail\\cluster", "C:\\MDaemon", "/mnt/mail");
  }

  @Provide
  Arbitrary<String> relatives() {
    Arbitrary<String> part = Arbitraries.of("Users", "..", ".", "PEM", "a", "..", "b");
    return part.list()
        .ofMinSize(1)
        .ofMaxSize(6)
        .flatMap(parts -> sep().map(s -> String.join(s, parts)))
        .filter(s -> !List.of("").contains(s));
  }
}
