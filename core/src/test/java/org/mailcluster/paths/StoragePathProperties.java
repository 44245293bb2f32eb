package org.mailcluster.paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.mailcluster.testing.PropertyRuns;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Normalisation laws of {@link StoragePath}: parsing what it prints gives the same path (and the
 * same text), a path resolved within a shared root never leaves it, and Windows paths ignore case
 * and separator style while POSIX paths do not. Each property makes {@code mailcluster.tries} tries
 * (1000 in the build) and prints its seed.
 */
class StoragePathProperties {

  @Test
  void normalisationIsIdempotent() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(paths())
                .checkAssert(
                    text -> {
                      StoragePath once = StoragePath.parse(text);
                      StoragePath twice = StoragePath.parse(once.toString());
                      assertEquals(once, twice);
                      assertEquals(once.toString(), twice.toString());
                      assertEquals(once, StoragePath.parse(once.toDirectoryString()));
                    }));
  }

  @Test
  void aRelocatedPathNeverEscapesTheSharedRoot() {
    int[] outcomes = {0, 0}; // refused, placed
    PropertyRuns.check(
        theory ->
            theory
                .forAll(roots(), relatives())
                .checkAssert(
                    (rootText, relative) -> {
                      StoragePath root = StoragePath.parse(rootText);
                      StoragePath placed;
                      try {
                        placed = root.resolveWithin(relative);
                      } catch (IllegalArgumentException e) {
                        assertTrue(e.getMessage().contains(relative), e.getMessage());
                        outcomes[0]++;
                        return;
                      }
                      outcomes[1]++;
                      assertTrue(root.contains(placed), placed + " escaped " + root);
                      assertEquals(root.names(), placed.names().subList(0, root.names().size()));
                    }));
    // Both outcomes must be exercised, or the property checks only one of them.
    assertTrue(
        outcomes[0] > 0 && outcomes[1] > 0, "refused, placed: " + outcomes[0] + ", " + outcomes[1]);
  }

  @Test
  void windowsPathsIgnoreCaseAndSeparatorStyle() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(windowsPaths(), longs().all())
                .checkAssert(
                    (text, caseSeed) -> {
                      StoragePath p = StoragePath.parse(text);
                      String other = scrambleCase(text, caseSeed).replace('\\', '/');
                      StoragePath q = StoragePath.parse(other);
                      assertEquals(p, q);
                      assertEquals(p.hashCode(), q.hashCode());
                      assertTrue(p.contains(q) && q.contains(p));
                    }));
  }

  @Test
  void posixPathsKeepCase() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(posixPaths())
                .assuming(
                    text -> {
                      String normal = StoragePath.parse(text).toString();
                      return !normal.toUpperCase(Locale.ROOT).equals(normal);
                    })
                .checkAssert(
                    text -> {
                      String normal = StoragePath.parse(text).toString();
                      String upper = normal.toUpperCase(Locale.ROOT);
                      assertNotEquals(StoragePath.parse(normal), StoragePath.parse(upper));
                    }));
  }

  private static String scrambleCase(String s, long seed) {
    StringBuilder b = new StringBuilder();
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    for (char c : s.toCharArray()) {
      b.append(r.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
    }
    return b.toString();
  }

  private static Gen<String> name() {
    return Generate.pick(
        List.of("Users", "mail", "Public Folders", "PEM", "Lock.Files", "x", "é", "ß"));
  }

  private static Gen<String> sep() {
    return Generate.pick(List.of("\\", "/"));
  }

  /** Names, '.' and balanced '..' joined with mixed separators, starting below the root. */
  private static Gen<String> tail() {
    Gen<String> step =
        Generate.frequency(
            org.quicktheories.api.Pair.of(3, name()),
            org.quicktheories.api.Pair.of(1, Generate.constant(".")));
    return lists()
        .of(step)
        .ofSizeBetween(0, 6)
        .zip(
            lists().of(sep()).ofSize(7),
            name(),
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

  private static Gen<String> windowsPaths() {
    Gen<String> drive = Generate.pick(List.of("C:", "d:", "\\\\?\\C:")).zip(sep(), String::concat);
    Gen<String> unc =
        Generate.pick(
                List.of(
                    "\\\\nas01\\mail", "//NAS01/Mail", "\\\\?\\UNC\\nas01\\mail", "\\\\srv\\s$"))
            .zip(sep(), String::concat);
    return Generate.oneOf(drive, unc)
        .zip(tail(), Generate.pick(List.of("", "\\", "/")), (r, t, trailing) -> r + t + trailing);
  }

  private static Gen<String> posixPaths() {
    return tail()
        .zip(
            Generate.pick(List.of("", "/")),
            (t, trailing) -> "/" + t.replace('\\', '/') + trailing);
  }

  private static Gen<String> paths() {
    return Generate.oneOf(windowsPaths(), posixPaths());
  }

  private static Gen<String> roots() {
    return Generate.pick(
        List.of("\\\\nas01\\mail", "\\\\nas01\\mail\\cluster", "C:\\MDaemon", "/mnt/mail"));
  }

  private static Gen<String> relatives() {
    Gen<String> part = Generate.pick(List.of("Users", "..", ".", "PEM", "a", "..", "b"));
    return lists().of(part).ofSizeBetween(1, 6).zip(sep(), (parts, s) -> String.join(s, parts));
  }
}
