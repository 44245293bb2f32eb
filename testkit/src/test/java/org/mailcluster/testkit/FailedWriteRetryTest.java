package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.Diagnostics;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeId;

/**
 * What failed is retried (requirement S4): a write of a secondary's host files that fails, and a
 * commit of a primary's file edit that its state store refuses, and a write of a committed change
 * to the primary's own files that fails, are retried until they succeed, the node reports itself
 * degraded meanwhile (why and since when, on itself and, for a secondary, on the primary), and it
 * clears by itself. Also: a member that is disconnected has an unknown lag, and a secondary far
 * behind catches up by snapshot when that is shorter than the log.
 */
class FailedWriteRetryTest {
  private static final String LOCK = "config/MDaemon.ini/Directories/LockFiles";
  private static final String TEMP = "config/MDaemon.ini/Directories/Temp";
  private static final long SEED = 20261202;

  private static SimulatedCluster cluster(int nodes) {
    System.out.println("seed " + SEED);
    return SimulatedCluster.builder()
        .nodes(nodes)
        .seed(SEED)
        .configSources(id -> new MemoryConfigSource(ConfigSnapshot.empty()))
        .build()
        .start();
  }

  private static MemoryConfigSource files(SimulatedCluster c, String id) {
    return (MemoryConfigSource) c.configSource(id).orElseThrow();
  }

  private static Diagnostics.MemberState member(ClusterService on, String id) {
    return on.diagnostics().members().stream()
        .filter(m -> m.id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  /** Runs until every node's state has {@code value} at {@code key}. */
  private static void awaitEverywhere(SimulatedCluster c, String key, String value) {
    assertTrue(
        c.time()
            .runUntil(
                () ->
                    c.ids().stream()
                        .filter(c::isRunning)
                        .allMatch(
                            id -> c.node(id).configuration().get(key).equals(Optional.of(value))),
                Duration.ofSeconds(30)),
        key + " never became " + value + " everywhere");
  }

  private static List<String> events(ClusterService node, String level) {
    return node.diagnostics().recentEvents().stream()
        .filter(e -> e.level().equals(level))
        .map(Diagnostics.Event::message)
        .toList();
  }

  @Test
  void aSecondarysFailedFileWriteIsRetriedUntilTheFilesHoldTheStateAndItIsDegradedMeanwhile() {
    try (SimulatedCluster c = cluster(2)) {
      ClusterService mx1 = c.node("mx1");
      ClusterService mx2 = c.node("mx2");
      MemoryConfigSource files2 = files(c, "mx2");
      files(c, "mx1").editBehindTheLibrarysBack(LOCK, "C:\\Locks");
      awaitEverywhere(c, LOCK, "C:\\Locks");
      assertEquals(Optional.of("C:\\Locks"), files2.load().get(LOCK));

      files2.refusal = "Permission denied";
      files(c, "mx1").editBehindTheLibrarysBack(LOCK, "\\\\nas\\Locks");
      awaitEverywhere(c, LOCK, "\\\\nas\\Locks");
      c.runFor(Duration.ofSeconds(3));
      // In the state, not in the files.
      assertEquals(Optional.of("\\\\nas\\Locks"), mx2.configuration().get(LOCK));
      assertEquals(Optional.of("C:\\Locks"), files2.load().get(LOCK));
      List<Diagnostics.Degraded> degraded = mx2.diagnostics().degraded();
      assertEquals(1, degraded.size(), degraded.toString());
      assertTrue(degraded.get(0).reason().contains("Permission denied"), degraded.toString());
      assertTrue(
          events(mx2, "ERROR").stream().anyMatch(m -> m.contains("Permission denied")),
          events(mx2, "ERROR").toString());
      // The primary sees its files behind, not caught up.
      Diagnostics.MemberState seen = member(mx1, "mx2");
      Revision applied = seen.acknowledged().orElseThrow();
      assertEquals(mx1.configuration().revision(), applied);
      assertTrue(seen.written().orElseThrow().compareTo(applied) < 0, seen.toString());
      assertTrue(seen.degraded().isPresent(), seen.toString());
      assertTrue(mx1.diagnostics().degraded().isEmpty());
      assertTrue(files2.refusedWrites > 1, "retried: " + files2.refusedWrites + " attempts");

      // A later edit while the writes fail folds in: the retry writes the whole state.
      files(c, "mx1").editBehindTheLibrarysBack(TEMP, "D:\\Temp");
      awaitEverywhere(c, TEMP, "D:\\Temp");
      Instant since = degraded.get(0).since();
      assertEquals(since, mx2.diagnostics().degraded().get(0).since());

      files2.refusal = null;
      assertTrue(
          c.time()
              .runUntil(
                  () ->
                      files2.load().get(LOCK).equals(Optional.of("\\\\nas\\Locks"))
                          && files2.load().get(TEMP).equals(Optional.of("D:\\Temp")),
                  Duration.ofSeconds(30)),
          "the files never got the state: " + files2.load());
      c.runFor(Duration.ofSeconds(2));
      assertTrue(mx2.diagnostics().degraded().isEmpty(), mx2.diagnostics().degraded().toString());
      assertTrue(
          events(mx2, "INFO").stream().anyMatch(m -> m.startsWith("no longer degraded")),
          events(mx2, "INFO").toString());
      Diagnostics.MemberState after = member(mx1, "mx2");
      assertEquals(after.acknowledged(), after.written());
      assertTrue(after.degraded().isEmpty(), after.toString());
      assertTrue(
          events(mx1, "INFO").stream().anyMatch(m -> m.contains("mx2 is no longer degraded")),
          events(mx1, "INFO").toString());
    }
  }

  @Test
  void aFileEditWhoseCommitTheStoreRefusedStaysPendingAndIsCommittedOnceTheStoreAcceptsWrites() {
    try (SimulatedCluster c = cluster(2)) {
      ClusterService mx1 = c.node("mx1");
      ClusterService mx2 = c.node("mx2");
      Revision before = mx1.configuration().revision();
      c.disk("mx1").refuseWrites("No space left on device");
      files(c, "mx1").editBehindTheLibrarysBack(LOCK, "C:\\Locks");
      c.runFor(Duration.ofSeconds(3));
      assertEquals(before, mx1.configuration().revision(), "nothing committed meanwhile");
      List<Diagnostics.Degraded> degraded = mx1.diagnostics().degraded();
      assertEquals(1, degraded.size(), degraded.toString());
      assertTrue(degraded.get(0).reason().contains("No space left on device"), degraded.toString());
      assertTrue(
          events(mx1, "ERROR").stream().anyMatch(m -> m.contains("No space left on device")),
          events(mx1, "ERROR").toString());

      // A later edit while the disk is full folds into the pending change.
      files(c, "mx1").editBehindTheLibrarysBack(TEMP, "D:\\Temp");
      c.runFor(Duration.ofSeconds(3));
      assertEquals(before, mx1.configuration().revision());

      c.disk("mx1").acceptWrites();
      assertTrue(
          c.time()
              .runUntil(
                  () -> mx2.configuration().get(TEMP).equals(Optional.of("D:\\Temp")),
                  Duration.ofSeconds(30)),
          "the pending edit never reached mx2");
      c.awaitConverged(Duration.ofSeconds(10));
      assertEquals(Optional.of("C:\\Locks"), mx2.configuration().get(LOCK));
      assertEquals(Optional.of("C:\\Locks"), files(c, "mx2").load().get(LOCK));
      assertEquals(Optional.of("D:\\Temp"), files(c, "mx2").load().get(TEMP));
      assertTrue(mx1.diagnostics().degraded().isEmpty(), mx1.diagnostics().degraded().toString());
      assertTrue(
          events(mx1, "INFO").stream().anyMatch(m -> m.startsWith("no longer degraded")),
          events(mx1, "INFO").toString());
    }
  }

  @Test
  void aPrimarysFailedWriteOfACommittedChangeToItsOwnFilesIsRetried() {
    try (SimulatedCluster c = cluster(2)) {
      ClusterService mx1 = c.node("mx1");
      MemoryConfigSource files1 = files(c, "mx1");
      files1.refusal = "Read-only file system";
      c.await(
          mx1.update(
              ConfigUpdate.builder("api:test")
                  .setRaw(SettingKey.parse(LOCK), "\\\\nas\\Locks")
                  .build()),
          Duration.ofSeconds(10));
      awaitEverywhere(c, LOCK, "\\\\nas\\Locks");
      c.runFor(Duration.ofSeconds(3));
      assertEquals(Optional.empty(), files1.load().get(LOCK));
      List<Diagnostics.Degraded> degraded = mx1.diagnostics().degraded();
      assertEquals(1, degraded.size(), degraded.toString());
      assertTrue(degraded.get(0).reason().contains("Read-only file system"), degraded.toString());
      // The secondary's files are fine.
      assertEquals(Optional.of("\\\\nas\\Locks"), files(c, "mx2").load().get(LOCK));

      files1.refusal = null;
      assertTrue(
          c.time()
              .runUntil(
                  () -> files1.load().get(LOCK).equals(Optional.of("\\\\nas\\Locks")),
                  Duration.ofSeconds(30)),
          "the primary's file never got the committed value");
      assertTrue(mx1.diagnostics().degraded().isEmpty(), mx1.diagnostics().degraded().toString());
      assertTrue(
          events(mx1, "INFO").stream().anyMatch(m -> m.startsWith("no longer degraded")),
          events(mx1, "INFO").toString());
    }
  }

  @Test
  void aDisconnectedMembersLagIsUnknownNotZero() {
    try (SimulatedCluster c = cluster(3)) {
      ClusterService mx1 = c.node("mx1");
      assertTrue(
          c.time()
              .runUntil(
                  () -> member(mx1, "mx3").lag().equals(OptionalLong.of(0)),
                  Duration.ofSeconds(10)),
          member(mx1, "mx3").toString());
      c.crash("mx3");
      files(c, "mx1").editBehindTheLibrarysBack(LOCK, "C:\\Locks");
      awaitEverywhere(c, LOCK, "C:\\Locks");
      assertTrue(
          c.time()
              .runUntil(
                  () -> member(mx1, "mx3").connection().equals("disconnected"),
                  Duration.ofSeconds(30)),
          "mx3 never shown disconnected");
      Diagnostics.MemberState mx3 = member(mx1, "mx3");
      assertEquals(OptionalLong.empty(), mx3.lag(), mx3.toString());
      assertTrue(mx3.acknowledged().isPresent(), "its last acknowledged revision is kept");
      assertTrue(mx3.acknowledged().get().compareTo(mx1.configuration().revision()) < 0);
      assertTrue(
          c.time()
              .runUntil(
                  () -> member(mx1, "mx2").lag().equals(OptionalLong.of(0)),
                  Duration.ofSeconds(10)),
          "the connected member's lag is known: " + member(mx1, "mx2"));
    }
  }

  @Test
  void largeRevisionsAndSnapshotsFlowInMessagesOfAboutOneMebibyte() {
    try (SimulatedCluster c = cluster(2)) {
      ClusterService mx1 = c.node("mx1");
      c.crash("mx2");
      for (int i = 0; i < 3; i++) {
        c.await(
            mx1.update(
                ConfigUpdate.builder("api:test")
                    .setRaw(SettingKey.plugin("big", "v" + i), String.valueOf(i).repeat(700_000))
                    .build()),
            Duration.ofSeconds(10));
      }
      int traced = c.network().trace().size();
      c.restart("mx2");
      c.awaitConverged(Duration.ofSeconds(60));
      List<String> catchUp = c.network().trace().subList(traced, c.network().trace().size());
      long entries =
          catchUp.stream().filter(l -> l.contains("mx1→mx2") && l.contains("Entries[")).count();
      assertEquals(3, entries, "one revision of 700,000 characters per message\n" + catchUp);

      int before = c.network().trace().size();
      c.await(mx1.resync(NodeId.of("mx2")), Duration.ofSeconds(60));
      List<String> resync = c.network().trace().subList(before, c.network().trace().size());
      long chunks =
          resync.stream()
              .filter(l -> l.contains("mx1→mx2") && l.contains("SnapshotChunk["))
              .count();
      assertTrue(chunks >= 3, "three large keys in three chunks or more\n" + resync);
      assertEquals(
          Optional.of("2".repeat(700_000)), c.node("mx2").configuration().get("setting/big/v2"));
    }
  }

  @Test
  void aSecondaryFarBehindOnFewKeysCatchesUpBySnapshotNotByTheLongLog() {
    try (SimulatedCluster c = cluster(2)) {
      ClusterService mx1 = c.node("mx1");
      c.crash("mx2");
      // More revisions than one message carries, all of one key.
      for (int i = 0; i < 300; i++) {
        files(c, "mx1").editBehindTheLibrarysBack(LOCK, "C:\\Locks" + i);
        c.runFor(Duration.ofMillis(20));
      }
      awaitEverywhere(c, LOCK, "C:\\Locks299");
      int traced = c.network().trace().size();
      c.restart("mx2");
      c.awaitConverged(Duration.ofSeconds(60));
      List<String> after = c.network().trace().subList(traced, c.network().trace().size());
      assertTrue(
          after.stream().anyMatch(l -> l.contains("mx1→mx2") && l.contains("SnapshotChunk")),
          String.join("\n", after));
      assertFalse(
          after.stream().anyMatch(l -> l.contains("mx1→mx2") && l.contains("Entries[")),
          String.join("\n", after));
      assertEquals(Optional.of("C:\\Locks299"), c.node("mx2").configuration().get(LOCK));
      assertEquals(Optional.of("C:\\Locks299"), files(c, "mx2").load().get(LOCK));
      assertEquals(mx1.configuration().revision(), c.node("mx2").configuration().revision());
    }
  }
}
