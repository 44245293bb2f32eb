package org.mailcluster.testkit.property;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.testkit.ClusterAction;

/**
 * The property runner on scenarios whose failures are known, so that what shrinking must find is
 * known too. Fixed seeds: every run here is the same.
 */
class ActionPropertyTest {
  private static final List<String> LOG = new ArrayList<>();

  private static ActionProperty<ClusterAction> property(long seed) {
    LOG.clear();
    return ActionProperty.forCluster(3, 6).name("sample").seed(seed).sequences(50).log(LOG::add);
  }

  /** Fails when a node is crashed and later restarted. */
  private static void noRestartAfterACrash(List<ClusterAction> steps, long clusterSeed) {
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i) instanceof ClusterAction.Crash c) {
        for (ClusterAction later : steps.subList(i + 1, steps.size())) {
          if (later instanceof ClusterAction.Restart r && r.node() == c.node()) {
            throw new AssertionError("node " + c.node() + " came back");
          }
        }
      }
    }
  }

  @Test
  void aFailureIsShrunkToTheSmallestSequenceAndPrintedAsJava() {
    PropertyFailure f =
        assertThrows(
            PropertyFailure.class,
            () -> property(42).check(ActionPropertyTest::noRestartAfterACrash));
    // One step at a time, Crash(n) and Restart(n) cannot both become node 0: a pair is the minimum.
    assertEquals(2, f.minimal().size(), f.minimal().toString());
    ClusterAction.Crash crash = (ClusterAction.Crash) f.minimal().get(0);
    assertEquals(new ClusterAction.Restart(crash.node()), f.minimal().get(1));
    assertTrue(f.generated().size() >= ClusterActions.MIN_STEPS, "shrunk from the generated");
    assertEquals(42, f.seed());
    assertEquals(1, f.sequence(), "a crash and a restart are in nearly every sequence");
    String m = f.getMessage();
    assertTrue(m.contains("seed 42"), m);
    assertTrue(m.contains("-Dmailcluster.seed=42"), m);
    assertTrue(m.contains("cluster seed " + f.clusterSeed() + "L"), m);
    assertTrue(
        m.contains(
            "List.of(\n    new ClusterAction.Crash("
                + crash.node()
                + "),\n    new ClusterAction.Restart("
                + crash.node()
                + "))"),
        m);
    assertTrue(
        m.contains("fails with: java.lang.AssertionError: node " + crash.node() + " came back"), m);
    assertEquals("node " + crash.node() + " came back", f.getCause().getMessage());
    assertEquals(1, f.getSuppressed().length, "the first failure, on the generated sequence");
    assertTrue(LOG.get(0).contains("50 sequences of 100 to 120 steps, seed 42"), LOG.toString());
  }

  @Test
  void theSameSeedFindsTheSameFailureAndMinimum() {
    PropertyFailure a =
        assertThrows(
            PropertyFailure.class, () -> property(7).check(ActionPropertyTest::wideCommit));
    PropertyFailure b =
        assertThrows(
            PropertyFailure.class, () -> property(7).check(ActionPropertyTest::wideCommit));
    assertEquals(a.generated(), b.generated());
    assertEquals(a.clusterSeed(), b.clusterSeed());
    assertEquals(a.minimal(), b.minimal());
    assertEquals(a.replays(), b.replays());
    PropertyFailure c =
        assertThrows(
            PropertyFailure.class, () -> property(8).check(ActionPropertyTest::wideCommit));
    assertNotEquals(a.generated(), c.generated());
  }

  /** Fails on a commit of two keys or more: simplification must stop at width 2. */
  private static void wideCommit(List<ClusterAction> steps, long clusterSeed) {
    if (steps.stream().anyMatch(s -> s instanceof ClusterAction.Commit c && c.width() >= 2)) {
      throw new IllegalStateException("a wide commit");
    }
  }

  @Test
  void actionsAreSimplifiedOnlyAsFarAsTheyStillFail() {
    PropertyFailure f =
        assertThrows(
            PropertyFailure.class, () -> property(3).check(ActionPropertyTest::wideCommit));
    assertEquals(List.of(new ClusterAction.Commit(0, 1, 2)), f.minimal());
    assertInstanceOf(IllegalStateException.class, f.getCause(), "any exception is a failure");
  }

  @Test
  void neighbouringWaitsAreMergedIntoOne() {
    // Fails once 3 s have passed in all: the minimum is one wait of 3 to 6 s.
    PropertyFailure f =
        assertThrows(
            PropertyFailure.class,
            () ->
                property(5)
                    .check(
                        (steps, seed) -> {
                          long waited =
                              steps.stream()
                                  .filter(s -> s instanceof ClusterAction.Run)
                                  .mapToLong(s -> ((ClusterAction.Run) s).millis())
                                  .sum();
                          if (waited >= 3000) {
                            throw new AssertionError("waited " + waited + " ms");
                          }
                        }));
    assertEquals(1, f.minimal().size(), f.minimal().toString());
    int millis = ((ClusterAction.Run) f.minimal().get(0)).millis();
    assertTrue(millis >= 3000 && millis < 6000, "Run(" + millis + ")");
  }

  @Test
  void onlyTheSameKindOfFailureCountsWhileShrinking() {
    // The generated sequence fails with an AssertionError; smaller ones would fail otherwise.
    PropertyFailure f =
        assertThrows(
            PropertyFailure.class,
            () ->
                property(11)
                    .check(
                        (steps, seed) -> {
                          if (steps.size() >= ClusterActions.MIN_STEPS) {
                            throw new AssertionError("long");
                          }
                          throw new IllegalStateException("short");
                        }));
    // Shorter sequences fail too, but otherwise: shrinking stops at the shortest that fails alike.
    assertEquals(ClusterActions.MIN_STEPS, f.minimal().size());
    assertTrue(f.generated().size() > ClusterActions.MIN_STEPS, "" + f.generated().size());
    assertEquals("long", f.getCause().getMessage());
  }

  @Test
  void aPassingRunCountsItsSequencesAndSteps() {
    AtomicInteger runs = new AtomicInteger();
    List<Long> clusterSeeds = new ArrayList<>();
    ActionProperty.Summary s =
        property(99)
            .check(
                (steps, seed) -> {
                  runs.incrementAndGet();
                  clusterSeeds.add(seed);
                  assertTrue(steps.size() >= 100 && steps.size() <= 120, "" + steps.size());
                });
    assertEquals(50, runs.get());
    assertEquals(50, s.sequences());
    assertEquals(50, clusterSeeds.stream().distinct().count(), "a cluster seed per sequence");
    assertTrue(s.steps() >= 50 * 100 && s.steps() <= 50 * 120, s.toString());
    assertTrue(LOG.get(1).contains("50 sequences, ") && LOG.get(1).contains("passed"), LOG.get(1));
  }

  @Test
  void withoutABudgetTheGeneratedSequenceIsReported() {
    PropertyFailure f =
        assertThrows(
            PropertyFailure.class,
            () -> property(42).shrinkReplays(0).check(ActionPropertyTest::noRestartAfterACrash));
    assertEquals(f.generated(), f.minimal());
    assertEquals(0, f.replays());
    assertTrue(f.getMessage().contains("the replay budget ran out"), f.getMessage());
  }

  @Test
  void theGeneratorFollowsItsWeights() {
    ActionGenerator<ClusterAction> g = ClusterActions.generator(3, 6);
    Map<String, Integer> weights = g.weights();
    assertEquals(97, weights.values().stream().mapToInt(Integer::intValue).sum());
    assertEquals(30, weights.get("Commit"));
    assertEquals(25, weights.get("Run"));
    Map<String, Integer> seen = new LinkedHashMap<>();
    SplittableRandom random = new SplittableRandom(1);
    int draws = 97_000;
    for (int i = 0; i < draws; i++) {
      seen.merge(g.next(random).kind(), 1, Integer::sum);
    }
    for (Map.Entry<String, Integer> w : weights.entrySet()) {
      double expected = draws * w.getValue() / 97.0;
      int got = seen.getOrDefault(w.getKey(), 0);
      assertTrue(
          Math.abs(got - expected) < 5 * Math.sqrt(expected),
          w.getKey() + ": " + got + " of " + draws);
    }
    assertEquals(g.sequence(new SplittableRandom(5)), g.sequence(new SplittableRandom(5)));
  }

  @Test
  void everyActionDrawnIsInRange() {
    ActionGenerator<ClusterAction> g = ClusterActions.generator(2, 4);
    SplittableRandom random = new SplittableRandom(2);
    for (int i = 0; i < 10_000; i++) {
      ClusterAction a = g.next(random);
      if (a instanceof ClusterAction.Commit c) {
        assertTrue(c.key() < 4 && c.value() <= 9 && c.width() >= 1 && c.width() <= 3, "" + c);
      } else if (a instanceof ClusterAction.Run r) {
        assertTrue(r.millis() >= 1 && r.millis() <= 3000, "" + r);
      } else if (a instanceof ClusterAction.DropMessages d) {
        assertTrue(d.percent() >= 5 && d.percent() <= 40, "" + d);
      } else if (a instanceof ClusterAction.Rollback r) {
        assertTrue(r.back() <= 8, "" + r);
      } else if (a instanceof ClusterAction.Crash c) {
        assertTrue(c.node() < 2, "" + c);
      }
      for (ClusterAction simpler : ClusterActions.simplifications(a)) {
        assertNotEquals(a, simpler, "a simplification changes something");
        assertEquals(a.kind(), simpler.kind());
      }
    }
  }

  @Test
  void theMinimalSequenceCompilesAsJavaAndEqualsIt(@TempDir Path dir) throws Exception {
    List<ClusterAction> all =
        List.of(
            new ClusterAction.Commit(0, 2, 1),
            new ClusterAction.WriteOnSecondary(1, 3),
            new ClusterAction.LocalEdit(2, 1, 9),
            new ClusterAction.Crash(1),
            new ClusterAction.Restart(1),
            new ClusterAction.Isolate(2),
            new ClusterAction.DropMessages(35),
            new ClusterAction.HealNetwork(),
            new ClusterAction.Run(1500),
            new ClusterAction.Rollback(4),
            new ClusterAction.ForceResync(2, true),
            new ClusterAction.Promote(1),
            new ClusterAction.FailOver(2, false));
    String java = JavaText.list(all, JavaText::of);
    String source =
        "import java.util.List;\n"
            + "import org.mailcluster.testkit.ClusterAction;\n"
            + "public class Pasted {\n"
            + "  public static List<ClusterAction> steps() {\n"
            + "    return "
            + java
            + ";\n  }\n}\n";
    assertEquals(all, compileAndCall(dir, source));
  }

  @Test
  void valuesAndOtherRecordsAreWrittenAsJavaToo() {
    assertEquals("\"a\\\"b\\\\\\n\\u00e9\"", JavaText.of("a\"b\\\né"));
    assertEquals("5L", JavaText.of(5L));
    assertEquals("'x'", JavaText.of('x'));
    assertEquals("ActionPropertyTest.Unit.SECONDS", JavaText.of(Unit.SECONDS));
    assertEquals(
        "new ActionPropertyTest.Step(\"mx1\", 3L, true, ActionPropertyTest.Unit.SECONDS)",
        JavaText.of(new Step("mx1", 3L, true, Unit.SECONDS)));
    assertEquals("List.of()", JavaText.list(List.of(), JavaText::of));
  }

  enum Unit {
    SECONDS
  }

  record Step(String node, long at, boolean flag, Unit unit) {}

  @Test
  void shrinkingEndsWhenNothingSimplerFails() {
    Shrinker<Integer> s =
        new Shrinker<>(
            n -> n > 0 ? List.of(n - 1) : List.of(), (a, b) -> java.util.Optional.empty(), 10_000);
    Shrinker.Result<Integer> r =
        s.shrink(List.of(9, 8, 7, 6, 5), l -> l.stream().anyMatch(n -> n >= 4));
    assertEquals(List.of(4), r.steps());
    assertTrue(!r.budgetSpent() && r.replays() > 0, r.toString());
  }

  @SuppressWarnings("unchecked")
  private static List<ClusterAction> compileAndCall(Path dir, String source) throws Exception {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    JavaFileObject file =
        new SimpleJavaFileObject(URI.create("string:///Pasted.java"), JavaFileObject.Kind.SOURCE) {
          @Override
          public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return source;
          }
        };
    List<String> options =
        List.of("-d", dir.toString(), "-classpath", classPath(), "-proc:none", "-Xlint:none");
    try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
      assertTrue(
          javac.getTask(null, files, null, options, null, List.of(file)).call(),
          "the printed Java does not compile:\n" + source);
    }
    try (URLClassLoader loader =
        new URLClassLoader(
            new URL[] {dir.toUri().toURL()}, ActionPropertyTest.class.getClassLoader())) {
      return (List<ClusterAction>) loader.loadClass("Pasted").getMethod("steps").invoke(null);
    }
  }

  /** The test's class path, with the main classes of the testkit on it. */
  private static String classPath() throws IOException {
    Path classes =
        Path.of(ClusterAction.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    assertTrue(Files.exists(classes), classes.toString());
    return classes + java.io.File.pathSeparator + System.getProperty("java.class.path");
  }
}
