package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.mailcluster.Diagnostics;
import org.mailcluster.clock.ClockState;

/**
 * The clock check on skewed virtual clocks with simulated latency (SPEC R26, B7). With the network
 * delaying each message by at most {@code latency + jitter}, the worst round trip is {@code RTT = 2
 * × (latency + jitter)}; the node must never warn when the true skew is below {@code threshold −
 * RTT/2} and always warn when it is above {@code threshold + RTT/2}. Whatever the skew, the true
 * offset lies within the reported error bound of the reported offset.
 *
 * <p>Each try prints nothing unless it fails; a failure names the cluster seed (the {@code
 * clusterSeed} parameter jqwik reports) and the end of the network trace.
 */
class ClockDriftProperties {
  private static final Duration THRESHOLD = Duration.ofSeconds(1);

  @Property
  void warnsExactlyWhenTheDriftIsReal(
      @ForAll("skews") int skewMillis,
      @ForAll @IntRange(min = 0, max = 150) int latencyMillis,
      @ForAll @IntRange(min = 0, max = 100) int jitterMillis,
      @ForAll long clusterSeed) {
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
      Statistics.label("band").collect(mustNotWarn ? "below" : mustWarn ? "above" : "between");
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
    }
  }

  /** Skews spread evenly, so the bands around the threshold are hit often. */
  @Provide
  Arbitrary<Integer> skews() {
    return Arbitraries.integers()
        .between(-2500, 2500)
        .withDistribution(RandomDistribution.uniform());
  }

  private static ClockState clockOf(Diagnostics d, String peer, SimulatedCluster cluster) {
    return d.clocks().stream()
        .filter(c -> c.node().equals(peer))
        .findFirst()
        .orElseThrow(() -> cluster.failure(d.node() + " has no clock figures for " + peer));
  }
}
