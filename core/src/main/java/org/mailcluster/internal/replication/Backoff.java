package org.mailcluster.internal.replication;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff between retries: the delay doubles with each failed attempt from {@code base}
 * up to {@code max}. With jitter, the delay is drawn at random below that ceiling, so that many
 * nodes retrying after one event spread out instead of retrying together.
 */
public record Backoff(Duration base, Duration max) {
  /** The longest delay after {@code failures} failed attempts in a row (0: the first retry). */
  public Duration ceiling(int failures) {
    long millis = Math.min(max.toMillis(), base.toMillis() << Math.min(Math.max(failures, 0), 20));
    return Duration.ofMillis(millis);
  }

  /**
   * A delay after {@code failures} failed attempts in a row, with full jitter: half the base plus a
   * random share of the ceiling.
   */
  public Duration jittered(int failures, RandomGenerator random) {
    long ceiling = ceiling(failures).toMillis();
    return Duration.ofMillis(base.toMillis() / 2 + random.nextLong(Math.max(1, ceiling)));
  }
}
