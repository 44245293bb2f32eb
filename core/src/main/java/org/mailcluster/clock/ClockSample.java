package org.mailcluster.clock;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;

/**
 * One NTP-style clock sample between this node and a peer: the four timestamps of one ping. {@code
 * t1} and {@code t4} are read from this node's clock, {@code t2} and {@code t3} from the peer's.
 *
 * <p>The peer's clock is estimated to be {@link #offset()} = ((t2 − t1) + (t3 − t4)) / 2 ahead of
 * this node's. Whatever the two one-way delays were, the true offset lies within {@link
 * #errorBound()} = {@link #roundTrip()} / 2 of the estimate, where the round trip leaves out the
 * time the peer held the ping (t3 − t2).
 *
 * <pre>{@code
 * ClockSample s = new ClockSample(t1, pong.receivedAt(), pong.sentAt(), scheduler.now());
 * Duration ahead = s.offset(); // ± s.errorBound()
 * }</pre>
 *
 * @param t1 when this node sent the ping, by its clock
 * @param t2 when the peer received it, by the peer's clock
 * @param t3 when the peer answered, by the peer's clock
 * @param t4 when this node received the answer, by its clock
 */
public record ClockSample(Instant t1, Instant t2, Instant t3, Instant t4) {
  /**
   * Checks the parts: the answer cannot come back before the ping left, nor leave before it came.
   */
  public ClockSample {
    requireNonNull(t1, "t1");
    requireNonNull(t2, "t2");
    requireNonNull(t3, "t3");
    requireNonNull(t4, "t4");
    if (t4.isBefore(t1)) {
      throw new IllegalArgumentException("t4 " + t4 + " is before t1 " + t1);
    }
    if (t3.isBefore(t2)) {
      throw new IllegalArgumentException("t3 " + t3 + " is before t2 " + t2);
    }
  }

  /**
   * Returns how far the peer's clock is estimated to be ahead of this node's (negative: behind).
   */
  public Duration offset() {
    return Duration.between(t1, t2).plus(Duration.between(t4, t3)).dividedBy(2);
  }

  /** Returns the time on the network: (t4 − t1) − (t3 − t2), never negative. */
  public Duration roundTrip() {
    Duration rtt = Duration.between(t1, t4).minus(Duration.between(t2, t3));
    return rtt.isNegative() ? Duration.ZERO : rtt;
  }

  /**
   * Returns half the round trip: the true offset lies within this distance of {@link #offset()}.
   */
  public Duration errorBound() {
    return roundTrip().dividedBy(2);
  }
}
