package org.mailcluster.testkit.property;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A property failed: its message has the run's seed, the minimised sequence as Java source and the
 * minimised sequence's failure, which is also the cause; the first failure, on the sequence as
 * generated, is suppressed.
 */
public final class PropertyFailure extends AssertionError {
  private static final long serialVersionUID = 1L;

  /** The run's seed. */
  private final long seed;

  /** The failing sequence's number, from 1. */
  private final int sequence;

  /** The seed of the failing scenario's cluster. */
  private final long clusterSeed;

  /** The sequence as generated. */
  private final transient List<?> generated;

  /** The minimised sequence. */
  private final transient List<?> minimal;

  /** How many candidates shrinking replayed. */
  private final int replays;

  PropertyFailure(
      String message,
      long seed,
      int sequence,
      long clusterSeed,
      List<?> generated,
      List<?> minimal,
      int replays,
      Throwable minimalFailure,
      Throwable firstFailure) {
    super(message, minimalFailure);
    this.seed = seed;
    this.sequence = sequence;
    this.clusterSeed = clusterSeed;
    this.generated = List.copyOf(requireNonNull(generated, "generated"));
    this.minimal = List.copyOf(requireNonNull(minimal, "minimal"));
    this.replays = replays;
    if (firstFailure != minimalFailure) {
      addSuppressed(firstFailure);
    }
  }

  /** Returns the seed of the whole run: running the property again with it repeats the run. */
  public long seed() {
    return seed;
  }

  /** Returns the number of the failing sequence within the run, from 1. */
  public int sequence() {
    return sequence;
  }

  /** Returns the seed the scenario was given for the failing sequence. */
  public long clusterSeed() {
    return clusterSeed;
  }

  /** Returns the failing sequence as generated. */
  public List<?> generated() {
    return generated;
  }

  /** Returns the minimised sequence, which fails the same way with {@link #clusterSeed()}. */
  public List<?> minimal() {
    return minimal;
  }

  /** Returns how many candidate sequences shrinking replayed. */
  public int replays() {
    return replays;
  }
}
