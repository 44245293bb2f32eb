package org.mailcluster.clock;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What a node knows of one peer's clock, for diagnostics (requirement R32 in docs/REQUIREMENTS.md).
 *
 * <pre>{@code
 * for (ClockState c : cluster.diagnostics().clocks()) {
 *   System.out.println(c.node() + " " + c.offset().orElse(null) + " ± " + c.errorBound().orElse(null));
 * }
 * }</pre>
 *
 * @param node the peer
 * @param offset how far the peer's clock is ahead of this node's (negative: behind), from the
 *     window's sample with the smallest round trip
 * @param errorBound half that sample's round trip: the true offset is within this of {@code offset}
 * @param roundTrip that sample's round trip
 * @param sampledAt when that sample was taken, by this node's clock
 * @param zone the peer's time zone ({@code ZoneId}), once it has answered
 * @param utcOffset the peer's current UTC offset, e.g. {@code +01:00}
 * @param drifting whether |offset| − errorBound exceeds the threshold
 * @param zoneDiffers whether the peer's zone or UTC offset differs from this node's
 */
public record ClockState(
    String node,
    Optional<Duration> offset,
    Optional<Duration> errorBound,
    Optional<Duration> roundTrip,
    Optional<Instant> sampledAt,
    Optional<String> zone,
    Optional<String> utcOffset,
    boolean drifting,
    boolean zoneDiffers) {
  /** Checks the parts. */
  public ClockState {
    requireNonNull(node, "node");
    requireNonNull(offset, "offset");
    requireNonNull(errorBound, "errorBound");
    requireNonNull(roundTrip, "roundTrip");
    requireNonNull(sampledAt, "sampledAt");
    requireNonNull(zone, "zone");
    requireNonNull(utcOffset, "utcOffset");
  }
}
