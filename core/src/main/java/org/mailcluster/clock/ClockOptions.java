package org.mailcluster.clock;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How a node checks its peers' clocks (requirements R26 and B7 in docs/REQUIREMENTS.md).
 *
 * <pre>{@code
 * ClockOptions options = ClockOptions.defaults().withThreshold(Duration.ofMillis(500));
 * }</pre>
 *
 * @param threshold the drift beyond which a warning is raised, error bound taken off (default 1 s)
 * @param interval how often each peer is sampled (default 1 min); {@link Duration#ZERO} samples
 *     only at join
 * @param samplesPerRound pings sent to each peer per round, one after the other (default 3)
 * @param window how many recent samples per peer the estimate is chosen from (default 8)
 */
public record ClockOptions(Duration threshold, Duration interval, int samplesPerRound, int window) {
  private static final ClockOptions DEFAULTS =
      new ClockOptions(Duration.ofSeconds(1), Duration.ofMinutes(1), 3, 8);

  /** Checks the parts. */
  public ClockOptions {
    requireNonNull(threshold, "threshold");
    requireNonNull(interval, "interval");
    if (threshold.isNegative() || threshold.isZero()) {
      throw new IllegalArgumentException("threshold must be positive, not " + threshold);
    }
    if (interval.isNegative()) {
      throw new IllegalArgumentException("interval must not be negative, not " + interval);
    }
    if (samplesPerRound < 1) {
      throw new IllegalArgumentException(
          "samplesPerRound must be at least 1, not " + samplesPerRound);
    }
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1, not " + window);
    }
  }

  /** Returns the defaults: 1 s threshold, a round every minute, 3 pings per round, window of 8. */
  public static ClockOptions defaults() {
    return DEFAULTS;
  }

  /** Returns these options with another threshold. */
  public ClockOptions withThreshold(Duration value) {
    return new ClockOptions(value, interval, samplesPerRound, window);
  }

  /** Returns these options with another interval between rounds. */
  public ClockOptions withInterval(Duration value) {
    return new ClockOptions(threshold, value, samplesPerRound, window);
  }
}
