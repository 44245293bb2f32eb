package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;

/**
 * No node moves backwards: a primary whose state was lost, or restored from an old copy, is refused
 * by the secondaries that hold newer state, serves no one, and is recovered from the most
 * up-to-date of them, history included.
 */
class NeverBackwardsTest {
  private static final SettingKey LOCK = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");

  @Test
  void aPrimaryThatLostItsStateIsRefusedAndThenRecoveredFromTheNewestSecondary() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(61).build()) {
      c.start();
      edits(c, 12);
      c.awaitConverged(Duration.ofSeconds(30));
      Held mx2 = Held.of(c.node("mx2"));
      Held mx3 = Held.of(c.node("mx3"));

      // The primary's state directory is gone; it starts again as primary and registers its
      // servers, as the node agent does.
      c.crash("mx1");
      c.disk("mx1").wipe();
      ClusterService mx1 = c.restart("mx1");
      register(c, mx1);
      c.runFor(Duration.ofSeconds(90));

      mx2.assertUnchanged(c.node("mx2"));
      mx3.assertUnchanged(c.node("mx3"));
      assertEvent(c.node("mx2"), "ERROR", "state looks lost");
      assertEvent(mx1, "ERROR", "serves no one");
      ClusterException refused =
          refusal(c, mx1.update(ConfigUpdate.builder("api:a").setRaw(LOCK, "lost").build()));
      assertEquals(ErrorCode.STATE_CONFLICT, refused.code());
      assertTrue(refused.getMessage().contains("recover"), refused.getMessage());

      // Recovery copies the newest secondary's state and history.
      Revision recovered = c.await(mx1.recover("test"), Duration.ofSeconds(30));
      // A new epoch, whose first revision follows the copied one.
      assertEquals(Revision.of(mx2.state.revision().epoch() + 1, 1), recovered);
      assertTrue(mx1.configurationAt(mx2.state.revision()).sameContentAs(mx2.state));
      List<LogEntry> history = mx1.history();
      assertEquals(revisions(mx2.history), revisions(history.subList(0, history.size() - 1)));
      assertEquals("recovery from mx2 by test", history.get(history.size() - 1).origin());
      // Its own lost state was saved before the copy replaced it.
      assertEquals(1, divergenceFiles(c));
      // And the cluster replicates again, from where it was.
      Revision next =
          c.await(
              mx1.update(ConfigUpdate.builder("api:a").setRaw(LOCK, "after").build()),
              Duration.ofSeconds(10));
      assertEquals(Revision.of(recovered.epoch(), recovered.sequence() + 1), next);
      c.awaitConverged(Duration.ofSeconds(60));
      assertEquals("after", c.node("mx3").configuration().get(LOCK.stateKey()).orElseThrow());
      // The restarted primary rebuilds the recovered history from its disk.
      c.crash("mx1");
      ClusterService again = c.restart("mx1");
      assertTrue(revisions(again.history()).containsAll(revisions(mx2.history)));
    }
  }

  @Test
  void aPrimaryRestoredFromAnOldCopyIsRefusedAndRecoveredFromANamedServer() {
    try (SimulatedCluster c =
        SimulatedCluster.builder().nodes(3).seed(62).diskRetention(1_000).build()) {
      c.start();
      Revision old = edits(c, 3);
      edits(c, 6);
      c.awaitConverged(Duration.ofSeconds(30));
      Held mx3 = Held.of(c.node("mx3"));

      c.crash("mx1");
      c.disk("mx1").restoreOldCopy(old);
      ClusterService mx1 = c.restart("mx1");
      assertEquals(old, mx1.configuration().revision());
      c.runFor(Duration.ofSeconds(90));

      mx3.assertUnchanged(c.node("mx3"));
      assertEvent(c.node("mx3"), "ERROR", "mx1 is at " + old);
      Revision recovered =
          c.await(mx1.recoverFrom(NodeId.of("mx3"), "test"), Duration.ofSeconds(30));
      assertEquals(mx3.state.revision().epoch() + 1, recovered.epoch());
      assertTrue(mx1.configurationAt(mx3.state.revision()).sameContentAs(mx3.state));
      c.await(
          mx1.update(ConfigUpdate.builder("api:a").setRaw(LOCK, "after").build()),
          Duration.ofSeconds(10));
      c.awaitConverged(Duration.ofSeconds(60));
    }
  }

  @Test
  void recoveryNamesWhatItNeeds() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(2).seed(63).build()) {
      c.start();
      ClusterException notOther = refusal(c, c.primary().recoverFrom(NodeId.of("mx9"), "test"));
      assertEquals(ErrorCode.INVALID_VALUE, notOther.code());
      assertTrue(notOther.getMessage().contains("mx2"), notOther.getMessage());
      ClusterException onSecondary = refusal(c, c.node("mx2").recover("test"));
      assertEquals(ErrorCode.NOT_PRIMARY, onSecondary.code());
    }
  }

  // ---- helpers ------------------------------------------------------------------------

  /** What a node held: its state and history. */
  private record Held(ConfigSnapshot state, List<LogEntry> history) {
    static Held of(ClusterService node) {
      return new Held(node.configuration(), node.history());
    }

    void assertUnchanged(ClusterService node) {
      assertEquals(
          state.revision(), node.configuration().revision(), node.nodeId() + "'s revision");
      assertTrue(node.configuration().sameContentAs(state), node.nodeId() + "'s content");
      assertEquals(history, node.history(), node.nodeId() + "'s history");
    }
  }

  private static ClusterException refusal(SimulatedCluster c, CompletableFuture<?> future) {
    CompletionException e =
        assertThrows(CompletionException.class, () -> c.await(future, Duration.ofSeconds(30)));
    return (ClusterException) e.getCause();
  }

  private static Revision edits(SimulatedCluster c, int count) {
    Revision last = null;
    for (int i = 0; i < count; i++) {
      last =
          c.await(
              c.primary().update(ConfigUpdate.builder("api:a").setRaw(LOCK, "value " + i).build()),
              Duration.ofSeconds(10));
    }
    return last;
  }

  private static void register(SimulatedCluster c, ClusterService primary) {
    for (String id : List.of("mx2", "mx3")) {
      if (c.ids().contains(id)) {
        c.await(
            primary.addServer(NodeId.of(id), NodeAddress.of(id, NodeAddress.DEFAULT_PORT)),
            Duration.ofSeconds(10));
      }
    }
  }

  private static void assertEvent(ClusterService node, String level, String text) {
    assertTrue(
        node.diagnostics().recentEvents().stream()
            .anyMatch(e -> e.level().equals(level) && e.message().contains(text)),
        node.nodeId()
            + " has no "
            + level
            + " with '"
            + text
            + "': "
            + node.diagnostics().recentEvents());
  }

  private static List<Revision> revisions(List<LogEntry> history) {
    return history.stream().map(LogEntry::revision).toList();
  }

  private static int divergenceFiles(SimulatedCluster c) {
    try (var files = java.nio.file.Files.list(c.divergenceDirectory("mx1"))) {
      return (int) files.count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
