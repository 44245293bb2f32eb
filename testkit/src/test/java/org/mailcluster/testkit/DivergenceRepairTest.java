package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterListener;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeId;

/**
 * Divergence detection and repair (requirement B2 in docs/REQUIREMENTS.md): a secondary whose state
 * changed behind its back.
 */
class DivergenceRepairTest {
  private static final SettingKey LOCK = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");

  @Test
  void aSecondaryCorruptedBehindTheEnginesBackIsDetectedAndRepairedByAFullResync() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(21).build()) {
      c.start();
      List<String> detected = new ArrayList<>();
      c.primary()
          .addListener(
              new ClusterListener() {
                @Override
                public void divergenceDetected(NodeId node, Revision at) {
                  detected.add(node + "@" + at);
                }
              });
      Revision r =
          c.await(
              c.primary().update(ConfigUpdate.builder("api:a").setRaw(LOCK, "good").build()),
              Duration.ofSeconds(10));
      c.awaitConverged(Duration.ofSeconds(10));

      // Behind the engine's back: mx2's durable state changes, its revision does not.
      c.crash("mx2");
      c.disk("mx2").tamper(LOCK.stateKey(), Optional.of("rotten"));
      c.disk("mx2").tamper("config/mdaemon.ini/extra/key", Optional.of("1"));
      c.restart("mx2");
      assertEquals(r, c.node("mx2").configuration().revision());
      assertEquals(Optional.of("rotten"), c.node("mx2").configuration().get(LOCK.stateKey()));
      assertFalse(c.isConverged(), "same revision, other content");

      // No new commit is needed: the periodic fingerprint exchange finds it.
      c.awaitConverged(Duration.ofSeconds(30));
      assertEquals(Optional.of("good"), c.node("mx2").configuration().get(LOCK.stateKey()));
      assertEquals(List.of("mx2@" + r), detected);
      assertTrue(
          c.primary().diagnostics().recentEvents().stream()
              .anyMatch(e -> e.level().equals("ERROR") && e.message().contains("mx2 diverged")),
          c.primary().diagnostics().recentEvents().toString());
      // Repaired durably: a restart recovers the primary's content.
      c.crash("mx2");
      assertTrue(c.disk("mx2").durableState().sameContentAs(c.primary().configuration()));
    }
  }

  @Test
  void anOperatorCanForceAFullResyncOfAnyNodeFromThePrimaryOrFromTheNodeItself() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(22).build()) {
      c.start();
      c.await(
          c.primary().update(ConfigUpdate.builder("api:a").setRaw(LOCK, "v").build()),
          Duration.ofSeconds(10));
      c.awaitConverged(Duration.ofSeconds(10));
      // A node's history starts again at a snapshot it installs: that shows the full resync.
      assertFalse(c.node("mx3").history().isEmpty());
      c.await(c.primary().resync(NodeId.of("mx3")), Duration.ofSeconds(30));
      assertEquals(List.of(), c.node("mx3").history(), "mx3 installed a whole snapshot");
      assertFalse(c.node("mx2").history().isEmpty());
      c.await(c.node("mx2").resync(NodeId.of("mx2")), Duration.ofSeconds(30));
      c.awaitConverged(Duration.ofSeconds(30));
      assertEquals(List.of(), c.node("mx2").history(), "mx2 installed a whole snapshot");
      c.assertConverged();
    }
  }

  /** Regression: a resync still waiting when its node left the primary's role never completed. */
  @Test
  void aResyncStillWaitingWhenThePrimaryClosesFailsInsteadOfHanging() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(33).build()) {
      c.start();
      c.awaitConverged(Duration.ofSeconds(10));
      // mx2 cannot receive the snapshot, so the resync waits for its confirmation.
      c.inject(
          new Fault.Partition(
              java.util.Set.of(NodeId.of("mx2")),
              java.util.Set.of(NodeId.of("mx1"), NodeId.of("mx3"))));
      var resync = c.primary().resync(NodeId.of("mx2"));
      c.runFor(Duration.ofSeconds(3));
      assertFalse(resync.isDone(), "mx2 is cut off: nothing can have confirmed the snapshot");

      c.primary().closeAsync();
      c.runFor(Duration.ofSeconds(1));
      assertTrue(resync.isCompletedExceptionally(), "the resync must fail once mx1 closes");
      var failure =
          org.junit.jupiter.api.Assertions.assertThrows(
              java.util.concurrent.CompletionException.class, resync::join);
      var cause = (org.mailcluster.ClusterException) failure.getCause();
      assertEquals(org.mailcluster.ErrorCode.UNAVAILABLE, cause.code());
      assertTrue(cause.getMessage().contains("mx1 closed"), cause.getMessage());
    }
  }
}
