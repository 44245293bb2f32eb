package org.mailcluster.testing;

import static org.quicktheories.generators.SourceDSL.lists;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.quicktheories.QuickTheory;
import org.quicktheories.core.Gen;
import org.quicktheories.core.NoGuidance;
import org.quicktheories.generators.Generate;

/**
 * Runs the module's QuickTheories properties the same way: a number of tries, a seed taken from
 * {@code -Dmailcluster.seed} or drawn fresh and printed before the run, and a bound on shrinking. A
 * failure names the seed too; {@code -Dmailcluster.seed=<seed> -Dtest=Class#method} replays it.
 *
 * <pre>{@code
 * PropertyRuns.check(500, theory -> theory.forAll(strings()).checkAssert(s -> ...));
 * }</pre>
 *
 * <p>QuickTheories skips a generated value it has already tried, so one run can make fewer tries
 * than asked when values repeat; further rounds, from seeds derived from the printed one, make up
 * the difference, so that every property makes at least its number of tries.
 *
 * <p>ini-adapter, transport-grpc and the testkit use this class too, from core's test jar (which
 * holds this class only).
 */
public final class PropertyRuns {
  /** Tries of a property that sets no number of its own, unless {@code mailcluster.tries} says. */
  public static final int DEFAULT_TRIES = 1000;

  /** At most this many shrinking steps after a failure, so that a slow property ends too. */
  static final int SHRINK_CYCLES = 2000;

  private PropertyRuns() {}

  /** Returns the build's number of tries: {@code mailcluster.tries}, 1000 without it. */
  public static int defaultTries() {
    String tries = System.getProperty("mailcluster.tries");
    return tries == null ? DEFAULT_TRIES : Integer.parseInt(tries.strip());
  }

  /** Runs a property with {@link #defaultTries()} tries. */
  public static void check(Consumer<QuickTheory> property) {
    check(defaultTries(), property);
  }

  /**
   * Runs a property with at least {@code tries} tries.
   *
   * @param property states the theory on the {@link QuickTheory} it is given, and checks it
   */
  public static void check(int tries, Consumer<QuickTheory> property) {
    String override = System.getProperty("mailcluster.seed");
    long seed = override == null ? new SecureRandom().nextLong() : Long.parseLong(override.strip());
    StackWalker.StackFrame caller =
        StackWalker.getInstance()
            .walk(
                frames ->
                    frames
                        .filter(f -> !f.getClassName().equals(PropertyRuns.class.getName()))
                        .findFirst()
                        .orElseThrow());
    String className = caller.getClassName();
    String name =
        className.substring(className.lastIndexOf('.') + 1) + "." + caller.getMethodName();
    System.out.println(
        name
            + ": "
            + tries
            + " tries, seed "
            + seed
            + " (replay with -Dmailcluster.seed="
            + seed
            + ")");
    SplittableRandom rounds = new SplittableRandom(seed);
    long roundSeed = seed;
    int made = 0;
    for (int round = 1; made < tries; round++) {
      Counting counting = new Counting();
      QuickTheory theory =
          QuickTheory.qt()
              .withExamples(tries - made)
              .withFixedSeed(roundSeed)
              .withShrinkCycles(SHRINK_CYCLES)
              .withGuidance(random -> counting);
      try {
        property.accept(theory);
      } catch (AssertionError | RuntimeException e) {
        if (round == 1) {
          throw e;
        }
        throw new AssertionError(
            name + " failed in round " + round + " of seed " + seed + ": " + e.getMessage(), e);
      }
      made += counting.executed;
      roundSeed = rounds.nextLong();
      if (made >= tries) {
        System.out.println(
            name + ": " + made + " tries passed" + (round > 1 ? " in " + round + " rounds" : ""));
      }
    }
  }

  /** Counts the values a run tried. */
  private static final class Counting extends NoGuidance {
    int executed;

    @Override
    public void exampleExecuted() {
      executed++;
    }
  }

  /** Strings of {@code min} to {@code max} characters, each one of {@code alphabet}. */
  public static Gen<String> strings(String alphabet, int min, int max) {
    List<Character> chars = new ArrayList<>();
    alphabet.chars().forEach(c -> chars.add((char) c));
    return lists()
        .of(Generate.pick(chars))
        .ofSizeBetween(min, max)
        .map(PropertyRuns::join)
        .describedAs(PropertyRuns::quoted);
  }

  /** Strings of {@code min} to {@code max} of any {@code char}, unpaired surrogates included. */
  public static Gen<String> anyStrings(int min, int max) {
    return lists()
        .of(Generate.characters(Character.MIN_VALUE, Character.MAX_VALUE))
        .ofSizeBetween(min, max)
        .map(PropertyRuns::join)
        .describedAs(PropertyRuns::quoted);
  }

  /**
   * Strings of {@code min} to {@code max} characters of well-formed text: any {@code char} but a
   * surrogate, so supplementary characters are left out too.
   */
  public static Gen<String> textStrings(int min, int max) {
    return lists()
        .of(
            Generate.frequency(
                org.quicktheories.api.Pair.of(
                    27, Generate.characters(Character.MIN_VALUE, Character.MIN_SURROGATE - 1)),
                org.quicktheories.api.Pair.of(
                    4, Generate.characters(Character.MAX_SURROGATE + 1, Character.MAX_VALUE))))
        .ofSizeBetween(min, max)
        .map(PropertyRuns::join)
        .describedAs(PropertyRuns::quoted);
  }

  /** Sorted maps of up to {@code max} entries (fewer where generated keys collide). */
  public static <K extends Comparable<K>, V> Gen<TreeMap<K, V>> maps(
      Gen<K> keys, Gen<V> values, int max) {
    return lists()
        .of(keys.zip(values, java.util.Map::entry))
        .ofSizeBetween(0, max)
        .map(
            entries -> {
              TreeMap<K, V> out = new TreeMap<>();
              entries.forEach(e -> out.put(e.getKey(), e.getValue()));
              return out;
            });
  }

  private static String join(List<Character> chars) {
    StringBuilder b = new StringBuilder(chars.size());
    chars.forEach(b::append);
    return b.toString();
  }

  /** A string as Java source would write it, so that a failure shows invisible characters. */
  public static String quoted(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c >= 0x20 && c < 0x7F) {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    return b.append('"').toString();
  }
}
