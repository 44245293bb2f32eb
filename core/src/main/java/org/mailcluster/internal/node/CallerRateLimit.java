package org.mailcluster.internal.node;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.mailcluster.membership.NodeId;

/**
 * A token bucket per calling node: each may make {@code perSecond} calls a second on average and
 * {@code burst} at once. Callers are registered servers (others are refused before), so the map
 * holds at most one bucket per member. Loop-confined.
 */
final class CallerRateLimit {
  private static final class Bucket {
    double tokens;
    Instant at;

    Bucket(double tokens, Instant at) {
      this.tokens = tokens;
      this.at = at;
    }
  }

  private final double perSecond;
  private final double burst;
  private final Map<NodeId, Bucket> buckets = new HashMap<>();

  CallerRateLimit(double perSecond, double burst) {
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /**
   * Takes one call of {@code caller} at {@code now}.
   *
   * @return zero if the call may go ahead, otherwise how long until it may
   */
  Duration take(NodeId caller, Instant now) {
    Bucket b = buckets.computeIfAbsent(caller, c -> new Bucket(burst, now));
    double seconds = Math.max(0, Duration.between(b.at, now).toNanos() / 1e9);
    b.tokens = Math.min(burst, b.tokens + seconds * perSecond);
    b.at = now.isAfter(b.at) ? now : b.at;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return Duration.ZERO;
    }
    return Duration.ofNanos((long) ((1 - b.tokens) / perSecond * 1e9));
  }
}
