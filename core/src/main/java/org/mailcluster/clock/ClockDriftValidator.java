package org.mailcluster.clock;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Decides, from clock samples and time zones, whether a peer's clock or zone differs from this
 * node's enough to warn (requirements R26 and B7 in docs/REQUIREMENTS.md). It only judges: the node
 * feeds it samples of its pings and the zones its peers report, and writes the warnings it returns
 * to the cluster log.
 *
 * <p>Per peer it keeps the last {@link ClockOptions#window()} samples and trusts the one with the
 * smallest round trip (the one least disturbed by queueing). It warns only when the drift is real:
 * |offset| − errorBound &gt; threshold, so a true skew up to the threshold never warns, whatever
 * the delays; a true skew beyond threshold plus the larger one-way delay always does. A warning is
 * returned once when a peer starts drifting (or its zone starts differing), not on every sample.
 *
 * <p>Not thread-safe: the node calls it from its single logical thread.
 *
 * <pre>{@code
 * ClockDriftValidator clocks = ClockDriftValidator.create(ClockOptions.defaults(), "mx1", zone);
 * clocks.sample("mx2", new ClockSample(t1, t2, t3, t4)).ifPresent(clusterLog::warn);
 * clocks.zone("mx2", ZoneId.of("Europe/Rome"), ZoneOffset.ofHours(1), now).ifPresent(clusterLog::warn);
 * List<ClockState> forDiagnostics = clocks.states();
 * }</pre>
 */
public final class ClockDriftValidator {
  private final ClockOptions options;
  private final String self;
  private final ZoneId localZone;
  private final Map<String, Peer> peers = new TreeMap<>();

  private static final class Peer {
    final Deque<ClockSample> window = new ArrayDeque<>();
    ClockSample best;
    boolean drifting;
    ZoneId zone;
    ZoneOffset utcOffset;
    boolean zoneDiffers;
  }

  private ClockDriftValidator(ClockOptions options, String self, ZoneId localZone) {
    this.options = options;
    this.self = self;
    this.localZone = localZone;
  }

  /**
   * Creates a validator.
   *
   * @param options threshold and window
   * @param self this node's id, for messages
   * @param localZone this node's time zone
   */
  public static ClockDriftValidator create(ClockOptions options, String self, ZoneId localZone) {
    return new ClockDriftValidator(
        requireNonNull(options, "options"),
        requireNonNull(self, "self"),
        requireNonNull(localZone, "localZone"));
  }

  /** Returns the options. */
  public ClockOptions options() {
    return options;
  }

  /**
   * Records a sample of {@code peer}'s clock.
   *
   * @return the warning to write to the cluster log if the peer has just started drifting
   */
  public Optional<String> sample(String peer, ClockSample sample) {
    requireNonNull(peer, "peer");
    requireNonNull(sample, "sample");
    Peer p = peers.computeIfAbsent(peer, k -> new Peer());
    p.window.addLast(sample);
    while (p.window.size() > options.window()) {
      p.window.removeFirst();
    }
    p.best = p.window.stream().min(Comparator.comparing(ClockSample::roundTrip)).orElseThrow();
    boolean was = p.drifting;
    p.drifting = drifts(p.best);
    if (p.drifting && !was) {
      return Optional.of(driftMessage(peer, p.best));
    }
    return Optional.empty();
  }

  /**
   * Records {@code peer}'s time zone and its current UTC offset, comparing them with this node's at
   * {@code now}.
   *
   * @return the warning to write to the cluster log if the zones have just started differing
   */
  public Optional<String> zone(String peer, ZoneId zone, ZoneOffset utcOffset, Instant now) {
    requireNonNull(peer, "peer");
    requireNonNull(zone, "zone");
    requireNonNull(utcOffset, "utcOffset");
    requireNonNull(now, "now");
    Peer p = peers.computeIfAbsent(peer, k -> new Peer());
    ZoneOffset local = localZone.getRules().getOffset(now);
    p.zone = zone;
    p.utcOffset = utcOffset;
    boolean was = p.zoneDiffers;
    p.zoneDiffers = !zone.equals(localZone) || !utcOffset.equals(local);
    if (p.zoneDiffers && !was) {
      return Optional.of(
          "time zone of "
              + peer
              + " is "
              + zone
              + " (UTC"
              + utcOffset.getId().replace("Z", "+00:00")
              + ") but "
              + self
              + " uses "
              + localZone
              + " (UTC"
              + local.getId().replace("Z", "+00:00")
              + "): set the same time zone on every node");
    }
    return Optional.empty();
  }

  /** Forgets a peer that left the cluster. */
  public void forget(String peer) {
    peers.remove(peer);
  }

  /** Returns whether {@code peer}'s clock is currently judged to drift beyond the threshold. */
  public boolean drifting(String peer) {
    Peer p = peers.get(peer);
    return p != null && p.drifting;
  }

  /** Returns the peer's current estimate: the window's sample with the smallest round trip. */
  public Optional<ClockSample> estimate(String peer) {
    Peer p = peers.get(peer);
    return p == null ? Optional.empty() : Optional.ofNullable(p.best);
  }

  /** Returns what is known of every peer's clock, by peer id. */
  public List<ClockState> states() {
    List<ClockState> out = new ArrayList<>();
    peers.forEach(
        (id, p) ->
            out.add(
                new ClockState(
                    id,
                    Optional.ofNullable(p.best).map(ClockSample::offset),
                    Optional.ofNullable(p.best).map(ClockSample::errorBound),
                    Optional.ofNullable(p.best).map(ClockSample::roundTrip),
                    Optional.ofNullable(p.best).map(ClockSample::t4),
                    Optional.ofNullable(p.zone).map(ZoneId::getId),
                    Optional.ofNullable(p.utcOffset).map(ZoneOffset::getId),
                    p.drifting,
                    p.zoneDiffers)));
    return out;
  }

  private boolean drifts(ClockSample s) {
    return s.offset().abs().minus(s.errorBound()).compareTo(options.threshold()) > 0;
  }

  private String driftMessage(String peer, ClockSample s) {
    Duration offset = s.offset();
    return "clock of "
        + peer
        + " is "
        + seconds(offset.abs())
        + (offset.isNegative() ? " behind " : " ahead of ")
        + self
        + " (± "
        + seconds(s.errorBound())
        + ", round trip "
        + seconds(s.roundTrip())
        + "), more than the "
        + seconds(options.threshold())
        + " allowed: synchronise every node with the same time server";
  }

  static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.3fs", d.toNanos() / 1e9);
  }
}
