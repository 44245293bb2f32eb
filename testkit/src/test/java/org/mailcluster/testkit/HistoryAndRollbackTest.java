package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.spi.LogEntry;

/**
 * Configuration history, diff and rollback (requirement B1 in docs/REQUIREMENTS.md) on a simulated
 * cluster.
 */
class HistoryAndRollbackTest {
  private static final SettingKey LOCK = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");
  private static final SettingKey PEM = SettingKey.ini("MDaemon.ini", "Directories", "PEM");

  private static Revision set(SimulatedCluster c, String origin, SettingKey key, String value) {
    return c.await(
        c.primary().update(ConfigUpdate.builder(origin).setRaw(key, value).build()),
        Duration.ofSeconds(10));
  }

  @Test
  void everyRevisionIsKeptWithTimeOriginAndDiffAndAnyTwoCanBeDiffed() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(2).seed(11).build()) {
      c.start();
      Revision r1 = set(c, "api:alice", LOCK, "C:\\MDaemon\\LockFiles\\");
      c.runFor(Duration.ofSeconds(5));
      Revision r2 = set(c, "api:bob", LOCK, "\\\\nas01\\mail\\LockFiles\\");
      Revision r3 = set(c, "api:bob", PEM, "\\\\nas01\\mail\\PEM\\");

      List<LogEntry> history = c.primary().history();
      LogEntry last = history.get(history.size() - 1);
      assertEquals(r3, last.revision());
      assertEquals("api:bob", last.origin());
      LogEntry first = history.stream().filter(e -> e.revision().equals(r1)).findFirst().get();
      assertEquals("api:alice", first.origin());
      assertTrue(last.committedAt().isAfter(first.committedAt()), "time is recorded");

      ConfigDiff d = c.primary().diff(r1, r3);
      assertEquals(2, d.size());
      assertEquals(
          c.primary().configurationAt(r3).asMap(),
          d.apply(c.primary().configurationAt(r1)).asMap());
      // Backwards too, and the same on the secondary, which keeps what it applied.
      c.awaitConverged(Duration.ofSeconds(10));
      ConfigDiff back = c.node("mx2").diff(r3, r2);
      assertEquals(
          c.primary().configurationAt(r2).asMap(),
          back.apply(c.node("mx2").configurationAt(r3)).asMap());
    }
  }

  @Test
  void rollbackIsANewRevisionThatRestoresTheOldContentEverywhere() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(12).build()) {
      c.start();
      Revision good = set(c, "api:alice", LOCK, "good");
      set(c, "api:bob", LOCK, "bad");
      set(c, "api:bob", PEM, "also bad");
      ConfigSnapshot before = c.primary().configurationAt(good);

      Revision undone = c.await(c.primary().rollback(good, "api:alice"), Duration.ofSeconds(10));

      assertTrue(undone.compareTo(good) > 0, "a new revision, history is not rewritten");
      LogEntry entry = c.primary().history().get(c.primary().history().size() - 1);
      assertEquals("rollback:" + good + " by api:alice", entry.origin());
      assertTrue(c.primary().configuration().sameContentAs(before));
      c.awaitConverged(Duration.ofSeconds(20));
      assertEquals(Optional.of("good"), c.node("mx3").configuration().get(LOCK.stateKey()));
      assertEquals(Optional.empty(), c.node("mx3").configuration().get(PEM.stateKey()));
    }
  }

  @Test
  void rollbackLeavesRegisteredServersAloneAndIsRefusedOnSecondaries() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(13).build()) {
      c.start();
      Revision beforeAnyConfig = c.primary().history().get(0).revision();
      set(c, "api:alice", LOCK, "x");
      c.await(c.primary().rollback(beforeAnyConfig, "api:alice"), Duration.ofSeconds(10));
      assertEquals(3, c.primary().members().size(), "membership is not rolled back");
      c.awaitConverged(Duration.ofSeconds(20));

      ClusterException e =
          assertThrows(
              ClusterException.class,
              () -> join(c, c.node("mx2").rollback(beforeAnyConfig, "api:alice")));
      assertEquals(ErrorCode.NOT_PRIMARY, e.code());
    }
  }

  @Test
  void retentionBoundsHistoryByCountAndAgeAndOlderRevisionsAreRefusedClearly() {
    try (SimulatedCluster c =
        SimulatedCluster.builder()
            .nodes(1)
            .seed(14)
            .historyRetention(1000, Duration.ofMinutes(10))
            .build()) {
      c.start();
      Revision old = set(c, "api:a", LOCK, "0");
      for (int i = 1; i <= 1005; i++) {
        set(c, "api:a", LOCK, Integer.toString(i));
      }
      assertEquals(1000, c.primary().history().size(), "count limit");
      ClusterException e =
          assertThrows(ClusterException.class, () -> c.primary().configurationAt(old));
      assertEquals(ErrorCode.INVALID_VALUE, e.code());
      assertTrue(e.getMessage().contains("historyRetention"), e.getMessage());

      c.runFor(Duration.ofMinutes(11));
      assertEquals(List.of(), c.primary().history(), "age limit");
      // The current state is always known.
      Revision now = c.primary().configuration().revision();
      assertEquals(Optional.of("1005"), c.primary().configurationAt(now).get(LOCK.stateKey()));
    }
  }

  @Test
  void historySurvivesARestartAcrossSnapshotsAsFarAsTheLogReaches() {
    try (SimulatedCluster c =
        SimulatedCluster.builder().nodes(2).seed(15).snapshotInterval(5).build()) {
      c.start();
      Revision early = set(c, "api:a", LOCK, "early");
      for (int i = 0; i < 12; i++) {
        set(c, "api:a", PEM, "p" + i);
      }
      List<LogEntry> before = c.primary().history();
      c.crash("mx1");
      c.restart("mx1");
      assertEquals(before, c.primary().history());
      assertEquals(Optional.of("early"), c.primary().configurationAt(early).get(LOCK.stateKey()));
      c.awaitConverged(Duration.ofSeconds(30));
    }
  }

  private static <T> T join(SimulatedCluster c, java.util.concurrent.CompletableFuture<T> f) {
    c.time().runUntil(f::isDone, Duration.ofSeconds(10));
    try {
      return f.join();
    } catch (CompletionException e) {
      throw (RuntimeException) e.getCause();
    }
  }
}
