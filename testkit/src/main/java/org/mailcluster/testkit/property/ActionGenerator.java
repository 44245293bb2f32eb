package org.mailcluster.testkit.property;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Draws random steps of a scenario, each kind with its weight, and sequences of them, from a seeded
 * {@link SplittableRandom}: the same random source gives the same steps.
 *
 * <pre>{@code
 * ActionGenerator<Step> steps =
 *     ActionGenerator.<Step>builder()
 *         .add("publish", 6, r -> new Publish(r.nextInt(1, 4)))
 *         .add("run", 1, r -> new Run(r.nextInt(0, 2001)))
 *         .length(5, 60)
 *         .build();
 * List<Step> sequence = steps.sequence(new SplittableRandom(seed));
 * }</pre>
 *
 * <p>Immutable and safe to share; the random source is the caller's.
 *
 * @param <A> the type of a step
 */
public final class ActionGenerator<A> {
  private final List<Kind<A>> kinds;
  private final int totalWeight;
  private final int minLength;
  private final int maxLength;

  private ActionGenerator(List<Kind<A>> kinds, int minLength, int maxLength) {
    this.kinds = List.copyOf(kinds);
    this.totalWeight = kinds.stream().mapToInt(Kind::weight).sum();
    this.minLength = minLength;
    this.maxLength = maxLength;
  }

  /** Returns a builder with no kinds yet and sequences of 1 to 100 steps. */
  public static <A> Builder<A> builder() {
    return new Builder<>();
  }

  /** Draws one step: a kind chosen with probability weight / total weight, then its values. */
  public A next(SplittableRandom random) {
    int pick = random.nextInt(totalWeight);
    for (Kind<A> k : kinds) {
      pick -= k.weight();
      if (pick < 0) {
        return requireNonNull(k.draw().apply(random), () -> "kind '" + k.name() + "' drew null");
      }
    }
    throw new AssertionError("weights sum to " + totalWeight);
  }

  /** Draws a sequence whose length is uniform between the minimum and maximum, both included. */
  public List<A> sequence(SplittableRandom random) {
    int length = minLength == maxLength ? minLength : random.nextInt(minLength, maxLength + 1);
    List<A> out = new ArrayList<>(length);
    for (int i = 0; i < length; i++) {
      out.add(next(random));
    }
    return Collections.unmodifiableList(out);
  }

  /** Returns the same kinds with sequences of {@code min} to {@code max} steps. */
  public ActionGenerator<A> withLength(int min, int max) {
    checkLength(min, max);
    return new ActionGenerator<>(kinds, min, max);
  }

  /** Returns the fewest steps of a sequence. */
  public int minLength() {
    return minLength;
  }

  /** Returns the most steps of a sequence. */
  public int maxLength() {
    return maxLength;
  }

  /** Returns each kind's weight, by name, in the order they were added. */
  public Map<String, Integer> weights() {
    Map<String, Integer> out = new LinkedHashMap<>();
    kinds.forEach(k -> out.put(k.name(), k.weight()));
    return Collections.unmodifiableMap(out);
  }

  private static void checkLength(int min, int max) {
    if (min < 0 || max < min) {
      throw new IllegalArgumentException(
          "lengths must satisfy 0 <= min <= max but were " + min + " and " + max);
    }
  }

  private record Kind<A>(String name, int weight, Function<SplittableRandom, ? extends A> draw) {}

  /**
   * Collects the kinds of step and the length of sequences.
   *
   * @param <A> the type of a step
   */
  public static final class Builder<A> {
    private final List<Kind<A>> kinds = new ArrayList<>();
    private int minLength = 1;
    private int maxLength = 100;

    private Builder() {}

    /**
     * Adds a kind of step.
     *
     * @param name a name for reports, unique within the generator
     * @param weight its relative frequency, 1 or more
     * @param draw draws one step of this kind from the random source
     */
    public Builder<A> add(String name, int weight, Function<SplittableRandom, ? extends A> draw) {
      requireNonNull(name, "name");
      requireNonNull(draw, "draw");
      if (weight < 1) {
        throw new IllegalArgumentException(
            "the weight of '" + name + "' must be 1 or more but was " + weight);
      }
      if (kinds.stream().anyMatch(k -> k.name().equals(name))) {
        throw new IllegalArgumentException("a kind named '" + name + "' was added already");
      }
      kinds.add(new Kind<>(name, weight, draw));
      return this;
    }

    /** Sets the length of sequences: uniform from {@code min} to {@code max}, both included. */
    public Builder<A> length(int min, int max) {
      checkLength(min, max);
      this.minLength = min;
      this.maxLength = max;
      return this;
    }

    /**
     * Builds the generator.
     *
     * @throws IllegalStateException if no kind was added
     */
    public ActionGenerator<A> build() {
      if (kinds.isEmpty()) {
        throw new IllegalStateException("add at least one kind of step");
      }
      return new ActionGenerator<>(kinds, minLength, maxLength);
    }
  }
}
