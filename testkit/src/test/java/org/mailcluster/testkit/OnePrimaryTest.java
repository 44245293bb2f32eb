package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.Diagnostics;
import org.mailcluster.ErrorCode;
import org.mailcluster.PromotionOptions;
import org.mailcluster.Role;
import org.mailcluster.SyncOutcome;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;

/**
 * One primary per epoch and one process per node id (requirement S3 in docs/REQUIREMENTS.md), a
 * secondary given another secondary's address, and what a node says about its readiness, on the
 * simulated network.
 */
class OnePrimaryTest {
  private static final SettingKey KEY = SettingKey.plugin("test", "value");
  private static final SettingKey LOCK = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");
  private static final Duration LIMIT = Duration.ofMinutes(1);

  // ---- split brain --------------------------------------------------------------------

  @Test
  void twoPrimariesOfOneEpochAreReportedOnBothAndNeitherTakesOrStreamsAChange() {
    long seed = 11;
    System.out.println("seed " + seed);
    try (SimulatedCluster c =
        SimulatedCluster.builder()
            .nodes(3)
            .alsoPrimary("mx2")
            .seed(seed)
            .configSources(id -> new MemoryConfigSource(ConfigSnapshot.empty()))
            .build()) {
      c.start();
      ClusterService mx1 = c.node("mx1");
      ClusterService mx2 = c.node("mx2");
      ClusterService mx3 = c.node("mx3");
      Revision before = mx3.configuration().revision();

      // Within seconds, an ERROR on both.
      Instant t0 = c.time().now();
      assertTrue(
          c.time()
              .runUntil(
                  () ->
                      has(mx1, "ERROR", "split brain: mx1 and mx2 both claim to be the primary")
                          && has(mx2, "ERROR", "split brain: mx2 and mx1 both claim"),
                  Duration.ofSeconds(5)),
          () -> "no split brain reported:\n" + events(mx1) + "\n" + events(mx2));
      System.out.println(
          "reported after " + Duration.between(t0, c.time().now()).toMillis() + " ms");
      assertEquals("claims primary", connection(mx1, "mx2"), events(mx1));

      // Neither takes a change; the refusal says why and what to do.
      for (ClusterService p : List.of(mx1, mx2)) {
        ClusterException refused = failure(c, p.update(change(KEY, "during")));
        assertEquals(ErrorCode.SPLIT_BRAIN, refused.code(), refused.getMessage());
        assertTrue(
            refused.getMessage().contains("restart the other as its secondary"),
            refused.getMessage());
      }
      // A host-file edit on mx1 is held back, and nothing new reaches the secondary.
      files(c, "mx1").editBehindTheLibrarysBack(LOCK.stateKey(), "\\\\nas01\\locks\\");
      c.runFor(Duration.ofSeconds(10));
      assertEquals(before, mx3.configuration().revision());
      assertEquals(Optional.empty(), mx3.configuration().get(LOCK.stateKey()));
      assertTrue(has(mx1, "WARN", "a file edit is held back"), events(mx1));
      assertTrue(has(mx1, "ERROR", "split brain"), "still reported: " + events(mx1));

      // mx2 stops: the conflict ends with an INFO, and what was held back is committed and sent.
      c.crash("mx2");
      assertTrue(
          c.time()
              .runUntil(
                  () ->
                      mx3.configuration()
                          .get(LOCK.stateKey())
                          .equals(Optional.of("\\\\nas01\\locks\\")),
                  LIMIT),
          () -> "the held-back edit never reached mx3:\n" + events(mx1));
      assertTrue(has(mx1, "INFO", "split brain with mx2 is over"), events(mx1));
      Revision after = c.await(mx1.update(change(KEY, "after")), LIMIT);
      assertTrue(
          c.time().runUntil(() -> mx3.configuration().revision().compareTo(after) >= 0, LIMIT),
          "mx3 did not get " + after);
    }
  }

  @Test
  void aHigherEpochSettlesASplitBrain() {
    long seed = 13;
    System.out.println("seed " + seed);
    try (SimulatedCluster c =
        SimulatedCluster.builder().nodes(3).alsoPrimary("mx2").seed(seed).build()) {
      c.start();
      assertTrue(
          c.time().runUntil(() -> has(c.node("mx1"), "ERROR", "split brain"), LIMIT),
          () -> events(c.node("mx1")));
      // An operator promotes mx3 (forced: both primaries still answer). mx1 granted epoch 2 and
      // follows mx3. mx2's state began on mx2 and does not register mx3: it refuses mx3 as a
      // stranger, and a claim of epoch 2 that only one of its servers vouches for changes nothing
      // there; it keeps what it holds and says so.
      Revision before = c.node("mx2").configuration().revision();
      c.await(c.node("mx3").promote(PromotionOptions.forced()), LIMIT);
      assertTrue(
          c.time().runUntil(() -> c.node("mx1").role() == Role.SECONDARY, LIMIT),
          () -> "mx1 follows epoch 2: " + events(c.node("mx1")));
      Revision next = c.await(c.node("mx3").update(change(KEY, "epoch 2")), LIMIT);
      assertEquals(2, next.epoch());
      // mx1's state is the cluster's: it follows mx3.
      assertTrue(
          c.time()
              .runUntil(
                  () ->
                      c.node("mx1")
                          .configuration()
                          .get(KEY.stateKey())
                          .equals(Optional.of("epoch 2")),
                  LIMIT),
          () -> events(c.node("mx1")));
      ClusterService mx2 = c.node("mx2");
      assertTrue(
          c.time()
              .runUntil(
                  () -> has(mx2, "WARN", "mx3 (at mx3) is not a registered server of this cluster"),
                  LIMIT),
          () -> events(mx2));
      assertTrue(
          c.time().runUntil(() -> has(mx2, "ERROR", "claims epoch 2 but only 1 of"), LIMIT),
          () -> events(mx2));
      assertEquals(Role.PRIMARY, mx2.role());
      assertEquals(before, mx2.configuration().revision());
      assertTrue(
          has(c.node("mx3"), "WARN", "promoted to primary at epoch 2"), events(c.node("mx3")));
      assertEquals("streaming", connection(c.node("mx3"), "mx1"));
    }
  }

  @Test
  void aSecondaryReportsASecondPrimaryOfItsEpochToo() {
    long seed = 12;
    System.out.println("seed " + seed);
    try (SimulatedCluster c =
        SimulatedCluster.builder().nodes(3).alsoPrimary("mx2").seed(seed).build()) {
      c.start();
      // mx2 lists mx3 as well, so it pings mx3 with its claim.
      c.await(c.node("mx2").addServer(NodeId.of("mx3"), NodeAddress.of("mx3", 7400)), LIMIT);
      ClusterService mx3 = c.node("mx3");
      assertTrue(
          c.time()
              .runUntil(
                  () -> has(mx3, "ERROR", "split brain: mx2 claims to be the primary of epoch 1"),
                  Duration.ofSeconds(10)),
          () -> events(mx3));
      assertTrue(has(mx3, "ERROR", "so does mx1, which this node follows"), events(mx3));
    }
  }

  // ---- one process per node id --------------------------------------------------------

  @Test
  void aSecondProcessWithAConnectedNodesIdIsRefusedAndTheFirstKeepsItsStream() {
    long seed = 21;
    System.out.println("seed " + seed);
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(seed).build()) {
      c.start();
      ClusterService mx1 = c.primary();
      ClusterService twin = c.startTwin("mx2", NodeAddress.of("mx2", 7401));
      String message = "mx2 is already connected from mx2:7400";
      assertTrue(
          c.time()
              .runUntil(
                  () -> has(mx1, "ERROR", message) && has(twin, "ERROR", message),
                  Duration.ofSeconds(10)),
          () -> "primary:\n" + events(mx1) + "\ntwin:\n" + events(twin));
      assertTrue(has(twin, "ERROR", "join refused by mx1:7400"), events(twin));

      // The connected mx2 keeps its stream and gets every change; the twin gets nothing.
      for (int i = 0; i < 5; i++) {
        c.await(mx1.update(change(KEY, "v" + i)), LIMIT);
        c.runFor(Duration.ofSeconds(5));
      }
      c.awaitConverged(LIMIT);
      assertEquals("streaming", connection(mx1, "mx2"));
      assertEquals(
          Optional.of(mx1.configuration().revision()), acknowledged(mx1, "mx2"), events(mx1));
      assertEquals(Revision.INITIAL, twin.configuration().revision());
      assertFalse(twin.awaitSynchronized().isDone());
      // Reported once a minute, not on every retry.
      long errors =
          mx1.diagnostics().recentEvents().stream()
              .filter(e -> e.level().equals("ERROR") && e.message().contains(message))
              .count();
      assertTrue(errors >= 1 && errors <= 2, events(mx1));
    }
  }

  @Test
  void aProcessWithANodesIdOnAnotherHostIsRefusedEvenWhileThatNodeIsDown() {
    long seed = 22;
    System.out.println("seed " + seed);
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(seed).build()) {
      c.start();
      c.crash("mx2");
      c.runFor(Duration.ofSeconds(10));
      ClusterService twin = c.startTwin("mx2", NodeAddress.of("mx2b", 7400));
      String message =
          "mx2 is registered at mx2:7400 but a process with its id called from mx2b:7400";
      assertTrue(
          c.time()
              .runUntil(
                  () -> has(c.primary(), "ERROR", message) && has(twin, "ERROR", message),
                  Duration.ofSeconds(10)),
          () -> events(c.primary()) + "\n" + events(twin));
      assertEquals(Revision.INITIAL, twin.configuration().revision());
    }
  }

  @Test
  void aNodeBackOnAnotherPortAfterItsOldStreamEndedIsTakenBack() {
    long seed = 23;
    System.out.println("seed " + seed);
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(seed).build()) {
      c.start();
      c.await(c.primary().update(change(KEY, "before")), LIMIT);
      c.awaitConverged(LIMIT);
      // The process dies; a new one on the same host, from another port, has its id.
      c.crash("mx2");
      ClusterService again = c.startTwin("mx2", NodeAddress.of("mx2", 7401));
      c.await(again.awaitSynchronized(), LIMIT);
      assertEquals(c.primary().configuration().fingerprint(), again.configuration().fingerprint());
      assertEquals("streaming", connection(c.primary(), "mx2"));
    }
  }

  // ---- a secondary given another secondary's address ----------------------------------

  @Test
  void aSecondaryGivenAnotherSecondarysAddressFollowsThePrimaryThatOneNames() {
    long seed = 31;
    System.out.println("seed " + seed);
    try (SimulatedCluster c =
        SimulatedCluster.builder().nodes(3).secondaryOf("mx3", "mx2").seed(seed).build()) {
      c.start(); // every node synchronizes, mx3 too
      ClusterService mx3 = c.node("mx3");
      assertEquals(Optional.of(NodeId.of("mx1")), mx3.primary());
      assertTrue(
          has(
              mx3,
              "WARN",
              "the server given as this node's primary, mx2:7400, is a secondary;"
                  + " it follows mx1 at mx1:7400"),
          events(mx3));
      assertTrue(has(mx3, "WARN", "set its primary to mx1:7400"), events(mx3));
      c.await(c.primary().update(change(KEY, "reaches mx3")), LIMIT);
      c.awaitConverged(LIMIT);
    }
  }

  // ---- readiness ----------------------------------------------------------------------

  @Test
  void aPrimarysStartCompletesOnceItsFilesAreCommitted() throws Exception {
    VirtualTime time = VirtualTime.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
    SimulatedNetwork network = SimulatedNetwork.create(time, 41);
    MemoryConfigSource files =
        new MemoryConfigSource(ConfigSnapshot.of(Map.of(LOCK.stateKey(), "C:\\MDaemon\\Locks\\")));
    ClusterService mx1 = lone(time, network, "mx1", true, files);
    CompletableFuture<Void> started = mx1.start();
    assertTrue(time.runUntil(started::isDone, LIMIT));
    started.get();
    // No time passes between start() completing and this read.
    assertEquals(Optional.of("C:\\MDaemon\\Locks\\"), mx1.configuration().get(LOCK.stateKey()));
    assertTrue(mx1.configuration().revision().compareTo(Revision.INITIAL) > 0);
    assertTrue(mx1.awaitSynchronized().isDone());
    CompletableFuture<SyncOutcome> outcome = mx1.awaitSynchronized(Duration.ofSeconds(5));
    assertTrue(time.runUntil(outcome::isDone, LIMIT));
    assertEquals(SyncOutcome.State.SYNCHRONIZED, outcome.get().state());
    mx1.closeAsync();
    time.runUntil(() -> false, Duration.ofSeconds(1));
  }

  @Test
  void aFreshSecondaryWithoutItsPrimaryHasNoConfigurationAfterTheWait() throws Exception {
    VirtualTime time = VirtualTime.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
    SimulatedNetwork network = SimulatedNetwork.create(time, 42);
    ClusterService mx2 = lone(time, network, "mx2", false, null);
    mx2.start();
    CompletableFuture<SyncOutcome> outcome = mx2.awaitSynchronized(Duration.ofSeconds(20));
    assertTrue(time.runUntil(outcome::isDone, LIMIT));
    SyncOutcome o = outcome.get();
    assertEquals(SyncOutcome.State.NO_CONFIGURATION, o.state(), o.summary());
    assertEquals(Revision.INITIAL, o.revision());
    assertTrue(o.summary().contains("primary unreachable (mx1:7400)"), o.summary());
    assertFalse(o.isSynchronized());
    mx2.closeAsync();
    time.runUntil(() -> false, Duration.ofSeconds(1));
  }

  @Test
  void aRestartedSecondaryWhosePrimaryIsGoneSaysItServesItsLastKnownConfiguration() {
    long seed = 43;
    System.out.println("seed " + seed);
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(seed).build()) {
      c.start();
      Revision last = c.await(c.primary().update(change(KEY, "last")), LIMIT);
      c.awaitConverged(LIMIT);
      c.runFor(Duration.ofMinutes(3));
      c.crash("mx1");
      c.crash("mx2");
      ClusterService mx2 = c.restart("mx2");

      SyncOutcome o = c.await(mx2.awaitSynchronized(Duration.ofSeconds(30)), LIMIT);
      assertEquals(SyncOutcome.State.SERVING_LAST_KNOWN, o.state(), o.summary());
      assertEquals(last, o.revision());
      assertTrue(
          o.age().isPresent() && o.age().get().compareTo(Duration.ofMinutes(3)) >= 0, o.summary());
      assertTrue(
          o.summary().startsWith("serving last known configuration at " + last + ", 3 min old"),
          o.summary());
      assertTrue(o.summary().contains("primary unreachable (mx1:7400)"), o.summary());
      assertFalse(mx2.awaitSynchronized().isDone());
      assertFalse(mx2.diagnostics().initialSyncComplete());
      assertTrue(
          has(
              mx2,
              "WARN",
              "serving its last known configuration, revision " + last + ", 3 min old"),
          events(mx2));

      // The primary returns: the same wait now says synchronized.
      c.restart("mx1");
      SyncOutcome back =
          c.await(mx2.awaitSynchronized(Duration.ofMinutes(2)), Duration.ofMinutes(3));
      assertEquals(SyncOutcome.State.SYNCHRONIZED, back.state(), back.summary());
    }
  }

  // ---- helpers ------------------------------------------------------------------------

  private static ClusterService lone(
      VirtualTime time,
      SimulatedNetwork network,
      String id,
      boolean primary,
      MemoryConfigSource files) {
    NodeAddress at = NodeAddress.of(id, 7400);
    var b =
        ClusterService.builder()
            .node(NodeId.of(id), at)
            .productVersion("1.0")
            .licenceKey("licence-" + id)
            .transport(network.transport(NodeId.of(id), at))
            .stateStore(SimulatedDisk.create().open())
            .scheduler(time.scheduler(id))
            .random(new SplittableRandom(id.hashCode()))
            .resolver(a -> List.of(InetAddress.getLoopbackAddress()))
            .storageExecutor(Runnable::run);
    b = primary ? b.primary() : b.secondaryOf(NodeAddress.of("mx1", 7400));
    if (files != null) {
      b = b.configSource(files);
    }
    return b.build();
  }

  private static ConfigUpdate change(SettingKey key, String value) {
    return ConfigUpdate.builder("api:test").setRaw(key, value).build();
  }

  private static MemoryConfigSource files(SimulatedCluster c, String id) {
    return (MemoryConfigSource) c.configSource(id).orElseThrow();
  }

  private static ClusterException failure(SimulatedCluster c, CompletableFuture<?> f) {
    assertTrue(c.time().runUntil(f::isDone, LIMIT), "the call did not complete");
    try {
      f.get();
      throw new AssertionError("expected a refusal but got " + f.join());
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    } catch (ExecutionException e) {
      return (ClusterException) e.getCause();
    }
  }

  private static boolean has(ClusterService n, String level, String text) {
    return n.diagnostics().recentEvents().stream()
        .anyMatch(e -> e.level().equals(level) && e.message().contains(text));
  }

  private static String events(ClusterService n) {
    return n.diagnostics().recentEvents().stream()
        .map(e -> e.level() + " " + e.message())
        .collect(Collectors.joining("\n"));
  }

  private static String connection(ClusterService n, String member) {
    return member(n, member).connection();
  }

  private static Optional<Revision> acknowledged(ClusterService n, String member) {
    return member(n, member).acknowledged();
  }

  private static Diagnostics.MemberState member(ClusterService n, String id) {
    return n.diagnostics().members().stream()
        .filter(m -> m.id().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no member " + id + " on " + n.nodeId()));
  }
}
