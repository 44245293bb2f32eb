package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailcluster.Diagnostics;
import org.mailcluster.clock.ClockOptions;
import org.mailcluster.clock.ClockState;

/** Time zones compared across a simulated cluster, and the periodic check after a clock fix. */
class ClockZoneTest {

  @Test
  void aNodeInAnotherZoneIsReportedOnceByEveryOther() {
    try (SimulatedCluster cluster =
        SimulatedCluster.builder()
            .nodes(3)
            .seed(3)
            .nodeOptions(
                (id, b) ->
                    b.timeZone(ZoneId.of(id.equals("mx3") ? "America/New_York" : "Europe/Rome")))
            .build()) {
      cluster.start();
      cluster.runFor(Duration.ofMinutes(5));
      for (String id : List.of("mx1", "mx2")) {
        Diagnostics d = cluster.node(id).diagnostics();
        List<String> zoneWarnings =
            d.recentEvents().stream()
                .map(Diagnostics.Event::message)
                .filter(m -> m.startsWith("time zone of mx3 is America/New_York"))
                .toList();
        assertEquals(1, zoneWarnings.size(), id + ": " + d.recentEvents());
        ClockState mx3 =
            d.clocks().stream().filter(c -> c.node().equals("mx3")).findFirst().orElseThrow();
        assertTrue(mx3.zoneDiffers());
        assertEquals(Optional.of("America/New_York"), mx3.zone());
        assertFalse(mx3.drifting());
      }
      Diagnostics onMx3 = cluster.node("mx3").diagnostics();
      assertTrue(
          onMx3.recentEvents().stream()
              .anyMatch(e -> e.message().startsWith("time zone of mx1 is Europe/Rome")),
          onMx3.recentEvents().toString());
      // Same zone, no warning between mx1 and mx2.
      assertTrue(
          cluster.node("mx1").diagnostics().recentEvents().stream()
              .noneMatch(e -> e.message().contains("of mx2")));
    }
  }

  @Test
  void checkClocksOnDemandSamplesEveryPeer() {
    try (SimulatedCluster cluster =
        SimulatedCluster.builder()
            .nodes(3)
            .seed(4)
            .clockSkew("mx2", Duration.ofMillis(-2500))
            .nodeOptions(
                (id, b) -> b.clockCheck(ClockOptions.defaults().withInterval(Duration.ZERO)))
            .build()) {
      cluster.start();
      cluster.awaitConverged(Duration.ofSeconds(30));
      List<ClockState> clocks =
          cluster.await(cluster.primary().checkClocks(), Duration.ofSeconds(30));
      assertEquals(List.of("mx2", "mx3"), clocks.stream().map(ClockState::node).toList());
      ClockState mx2 = clocks.get(0);
      assertTrue(mx2.drifting());
      Duration offset = mx2.offset().orElseThrow();
      assertTrue(
          offset.plusMillis(2500).abs().compareTo(mx2.errorBound().orElseThrow()) <= 0,
          offset + " ± " + mx2.errorBound());
      assertTrue(
          cluster.primary().diagnostics().recentEvents().stream()
              .anyMatch(e -> e.message().startsWith("clock of mx2 is 2.5")),
          cluster.primary().diagnostics().recentEvents().toString());
      assertFalse(clocks.get(1).drifting());
    }
  }
}
