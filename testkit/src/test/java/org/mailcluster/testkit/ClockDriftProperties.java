package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.mailcluster.Diagnostics;
import org.mailcluster.clock.ClockState;
import org.mailcluster.testing.PropertyRuns;

/**
 * The clock check on skewed virtual clocks with simulated latency (clock drift warnings). With the
 * network delaying each message by at most {@code latency + jitter}, the worst round trip is {@code
 * RTT = 2 × (latency + jitter)}; the node must never warn when the true skew is below {@code
 * threshold − RTT/2} and always warn when it is above {@code threshold + RTT/2}. Whatever the skew,
 * the true offset lies within the reported error bound of the reported offset.
 *
 * <p>A value-level property (a skew, a latency and a seed in, the warnings out), so it runs as a
 * QuickTheories theory: {@code mailcluster.tries} tries (200 in the testkit's build), seed printed;
 * a failure names the cluster seed and the end of the network trace.
 */
class ClockDriftProperties {
  private static final Duration THRESHOLD = Duration.ofSeconds(1);

  @Test
  void warnsExactlyWhenTheDriftIsReal() {
    Map<String, Integer> bands = new TreeMap<>();
    PropertyRuns.check(
        theory ->
            theory
                // Skews spread evenly, so the bands around the threshold are hit often.
                .forAll(
                    integers().between(-2500, 2500),
                    integers().between(0, 150),
                    integers().between(0, 100),
                    longs().all())
                .checkAssert(
                    (skew, latency, jitter, seed) ->
                        bands.merge(warnsExactly(skew, latency, jitter, seed), 1, Integer::sum)));
    System.out.println("ClockDriftProperties: tries by band " + bands);
    assertTrue(
        bands.containsKey("below") && bands.containsKey("above"), "bands not both hit: " + bands);
  }

  /** Runs one try and returns its band: below, between or above the threshold. */
  private static String warnsExactly(
      int skewMillis, int latencyMillis, int jitterMillis, long clusterSeed) {
    Duration skew = Duration.ofMillis(skewMillis);
    Duration oneWay = Duration.ofMillis(latencyMillis + jitterMillis);
    try (SimulatedCluster cluster =
        SimulatedCluster.builder()
            .nodes(2)
            .seed(clusterSeed)
            .latency(Duration.ofMillis(latencyMillis), Duration.ofMillis(jitterMillis))
            .clockSkew("mx2", skew)
            .build()) {
      cluster.start();
      cluster.runFor(Duration.ofMinutes(3));

      Diagnostics onPrimary = cluster.primary().diagnostics();
      ClockState seen = clockOf(onPrimary, "mx2", cluster);
      // The honest bound: the true skew lies within offset ± errorBound.
      Duration offset = seen.offset().orElseThrow(() -> cluster.failure("mx1 never sampled mx2"));
      Duration bound = seen.errorBound().orElseThrow();
      if (offset.minus(skew).abs().compareTo(bound) > 0) {
        throw cluster.failure(
            "true skew " + skew + " is outside " + offset + " ± " + bound + " reported by mx1");
      }

      boolean mustNotWarn = skew.abs().compareTo(THRESHOLD.minus(oneWay)) < 0;
      boolean mustWarn = skew.abs().compareTo(THRESHOLD.plus(oneWay)) > 0;
      for (String id : List.of("mx1", "mx2")) {
        Diagnostics d = cluster.node(id).diagnostics();
        String peer = id.equals("mx1") ? "mx2" : "mx1";
        boolean warned =
            d.recentEvents().stream().anyMatch(e -> e.message().startsWith("clock of " + peer));
        boolean drifting = clockOf(d, peer, cluster).drifting();
        if (mustNotWarn) {
          assertFalse(
              warned || drifting,
              id + " warned about a skew of " + skew + " (seed " + clusterSeed + ")");
        }
        if (mustWarn) {
          assertTrue(
              warned && drifting,
              id + " did not warn about a skew of " + skew + " (seed " + clusterSeed + ")");
        }
        assertFalse(clockOf(d, peer, cluster).zoneDiffers());
      }
      return mustNotWarn ? "below" : mustWarn ? "above" : "between";
    }
  }

  private static ClockState clockOf(Diagnostics d, String peer, SimulatedCluster cluster) {
    return d.clocks().stream()
        .filter(c -> c.node().equals(peer))
        .findFirst()
        .orElseThrow(() -> cluster.failure(d.node() + " has no clock figures for " + peer));
  }
}
