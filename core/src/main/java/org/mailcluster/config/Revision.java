package org.mailcluster.config;

/**
 * The position of a committed configuration change: an epoch (which grows each time a new primary
 * is promoted) and a sequence number within it. Revisions are totally ordered, first by epoch and
 * then by sequence, and every committed change gets the next one.
 *
 * <pre>{@code
 * Revision r = Revision.of(1, 41);
 * Revision next = r.next();           // 1:42
 * Revision promoted = r.nextEpoch();  // 2:0
 * assert next.compareTo(promoted) < 0;
 * }</pre>
 *
 * @param epoch the primary's epoch, zero or more
 * @param sequence the change's number within the epoch, zero or more
 */
public record Revision(long epoch, long sequence) implements Comparable<Revision> {
  /** The revision of an empty configuration that nobody has committed to yet. */
  public static final Revision INITIAL = new Revision(0, 0);

  /** Checks that both parts are non-negative. */
  public Revision {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be zero or more but was " + epoch);
    }
    if (sequence < 0) {
      throw new IllegalArgumentException("sequence must be zero or more but was " + sequence);
    }
  }

  /** Returns the revision with the given epoch and sequence. */
  public static Revision of(long epoch, long sequence) {
    return new Revision(epoch, sequence);
  }

  /**
   * Parses the form {@link #toString()} writes, {@code "<epoch>:<sequence>"}.
   *
   * @throws IllegalArgumentException if {@code text} is not of that form
   */
  public static Revision parse(String text) {
    int colon = text.indexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(
          "revision must look like '<epoch>:<sequence>', e.g. '1:42', but was '" + text + "'");
    }
    try {
      return new Revision(
          Long.parseLong(text.substring(0, colon)), Long.parseLong(text.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "revision must look like '<epoch>:<sequence>', e.g. '1:42', but was '" + text + "'", e);
    }
  }

  /** Returns the next revision in the same epoch. */
  public Revision next() {
    return new Revision(epoch, Math.addExact(sequence, 1));
  }

  /** Returns the first revision of the next epoch, as taken by a newly promoted primary. */
  public Revision nextEpoch() {
    return new Revision(Math.addExact(epoch, 1), 0);
  }

  @Override
  public int compareTo(Revision other) {
    int byEpoch = Long.compare(epoch, other.epoch);
    return byEpoch != 0 ? byEpoch : Long.compare(sequence, other.sequence);
  }

  /** Returns {@code "<epoch>:<sequence>"}, e.g. {@code "1:42"}. */
  @Override
  public String toString() {
    return epoch + ":" + sequence;
  }
}
