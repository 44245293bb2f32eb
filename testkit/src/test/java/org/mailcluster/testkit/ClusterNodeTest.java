package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterListener;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.Scope;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;

/** The replication engine end to end on virtual time, over a direct in-memory transport. */
class ClusterNodeTest {
  private static final SettingKey LOCK = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");
  private static final SettingKey LINKING =
      SettingKey.ini("MDaemon.ini", "Special", "AttachmentLinking");
  private static final SettingKey BIND = SettingKey.ini("MDaemon.ini", "Cluster", "BindAddress");

  private final VirtualTime time = VirtualTime.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
  private final SimulatedNetwork network =
      SimulatedNetwork.builder(time, 20261124).traceCapacity(100_000).build();
  private final Map<String, SimulatedDisk> disks = new HashMap<>();
  private final Map<String, ClusterService> nodes = new HashMap<>();
  private final Map<String, org.mailcluster.spi.Scheduler> schedulers = new HashMap<>();
  private final SettingsRegistry registry = registry();

  private static SettingsRegistry registry() {
    SettingsRegistry r = SettingsRegistry.create();
    r.register(Setting.bool(LINKING).defaultValue(false).clusterConstraint(false).build());
    r.register(Setting.string(BIND).defaultValue("").scope(Scope.NODE_LOCAL).build());
    r.register(
        Setting.integer(SettingKey.ini("MDaemon.ini", "Cluster", "Port"))
            .defaultValue(7400)
            .validator(p -> p > 0 && p < 65536, "must be between 1 and 65535")
            .build());
    return r;
  }

  private static NodeAddress addr(String id) {
    return NodeAddress.of(id, 7400);
  }

  private ClusterService node(
      String id, boolean primary, String version, String licence, MemoryConfigSource files) {
    var scheduler = time.scheduler(id);
    schedulers.put(id, scheduler);
    var b =
        ClusterService.builder()
            .node(NodeId.of(id), addr(id))
            .productVersion(version)
            .licenceKey(licence)
            .registry(registry)
            .transport(network.transport(NodeId.of(id), addr(id)))
            .stateStore(disks.computeIfAbsent(id, k -> SimulatedDisk.create()).open())
            .scheduler(scheduler)
            .random(new SplittableRandom(id.hashCode()))
            .snapshotInterval(5)
            .resolver(
                a -> {
                  if (a.host().startsWith("typo")) {
                    throw new java.net.UnknownHostException(a.host() + ": no such host");
                  }
                  return List.of(java.net.InetAddress.getLoopbackAddress());
                });
    b = primary ? b.primary() : b.secondaryOf(addr("mx1"));
    if (files != null) {
      b = b.configSource(files);
    }
    ClusterService node = b.build();
    nodes.put(id, node);
    node.start();
    return node;
  }

  private ClusterService node(String id, boolean primary) {
    return node(id, primary, "23.5.2", "key-" + id, null);
  }

  private <T> T await(CompletableFuture<T> f) {
    assertTrue(time.runUntil(f::isDone, Duration.ofMinutes(1)), "future did not complete");
    try {
      return f.get();
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
  }

  private ClusterException failure(CompletableFuture<?> f) {
    assertTrue(time.runUntil(f::isDone, Duration.ofMinutes(1)), "future did not complete");
    try {
      f.get();
      throw new AssertionError("expected a failure but got " + f.join());
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    } catch (ExecutionException e) {
      return (ClusterException) e.getCause();
    }
  }

  private ClusterService clusterOfThree() {
    ClusterService primary = node("mx1", true);
    await(primary.start().exceptionally(e -> null));
    await(primary.addServer(NodeId.of("mx2"), addr("mx2")));
    await(primary.addServer(NodeId.of("mx3"), addr("mx3")));
    node("mx2", false);
    node("mx3", false);
    await(nodes.get("mx2").awaitSynchronized());
    await(nodes.get("mx3").awaitSynchronized());
    return primary;
  }

  private void assertConverged() {
    ConfigSnapshot p = nodes.get("mx1").configuration();
    for (ClusterService n : nodes.values()) {
      assertEquals(p.revision(), n.configuration().revision(), n.nodeId() + " revision");
      assertTrue(p.sameContentAs(n.configuration()), n.nodeId() + " content");
    }
    assertEquals(List.of(), time.failures());
  }

  @Test
  void aCommitOnThePrimaryReachesEverySecondary() {
    ClusterService primary = clusterOfThree();
    List<ConfigDiff> seenOnMx2 = new ArrayList<>();
    nodes
        .get("mx2")
        .addListener(
            new ClusterListener() {
              @Override
              public void configurationChanged(ConfigSnapshot now, ConfigDiff diff) {
                seenOnMx2.add(diff);
              }
            });
    Revision r =
        await(
            primary.update(
                ConfigUpdate.builder("api:test")
                    .setRaw(LOCK, "\\\\nas01\\mail\\LockFiles\\")
                    .build()));
    time.runFor(Duration.ofSeconds(3));
    assertConverged();
    assertEquals(
        Optional.of("\\\\nas01\\mail\\LockFiles\\"),
        nodes.get("mx3").configuration().get(LOCK.stateKey()));
    assertEquals(r, nodes.get("mx2").configuration().revision());
    assertEquals(1, seenOnMx2.size());
    assertEquals(
        "[Directories] LockFiles: (unset) → \\\\nas01\\mail\\LockFiles\\",
        seenOnMx2.get(0).render());
  }

  @Test
  void everyNodeListsEveryRegisteredServerWithItsRole() {
    clusterOfThree();
    time.runFor(Duration.ofSeconds(3));
    for (ClusterService n : nodes.values()) {
      Map<String, Role> roles = new HashMap<>();
      n.members().forEach(m -> roles.put(m.id().value(), m.role()));
      assertEquals(
          Map.of("mx1", Role.PRIMARY, "mx2", Role.SECONDARY, "mx3", Role.SECONDARY),
          roles,
          n.nodeId().value());
    }
    assertEquals(Optional.of("23.5.2"), nodes.get("mx2").members().get(1).productVersion());
  }

  /**
   * The object a host holds is a {@link ClusterService} and nothing more: peers' calls reach the
   * node only through the transport, so in-process code cannot forge a peer's identity; and the
   * cluster's own service names cannot be taken over.
   */
  @Test
  void theHostsObjectServesNoPeerCallsAndTheClustersServiceNamesAreReserved() {
    clusterOfThree();
    ClusterService mx1 = nodes.get("mx1");
    assertFalse(
        mx1 instanceof org.mailcluster.transport.InboundHandler,
        mx1.getClass() + " must not accept peer calls from the host");
    for (String name :
        List.of("mailcluster.status", "mailcluster.resync", "mailcluster.anything-new")) {
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class,
              () -> mx1.registerService(name, (from, p) -> CompletableFuture.completedFuture(p)));
      assertTrue(e.getMessage().contains("'" + name + "' is reserved"), e.getMessage());
    }
    mx1.registerService(
        "mailcluster-plugin.echo", (from, p) -> CompletableFuture.completedFuture(p));
  }

  @Test
  void aServiceRegisteredOnOneNodeAnswersCallsFromTheOthersWithTheirIdentity() {
    clusterOfThree();
    List<String> callers = new ArrayList<>();
    nodes
        .get("mx1")
        .registerService(
            "echo",
            (from, payload) -> {
              callers.add(from.node().map(NodeId::value).orElse("?"));
              return CompletableFuture.completedFuture(payload.toUpperCase(java.util.Locale.ROOT));
            });
    ClusterService mx2 = nodes.get("mx2");
    assertEquals(Optional.of(NodeId.of("mx1")), mx2.primary());
    CompletableFuture<String> answer =
        mx2.call(NodeId.of("mx1"), "echo", "hello", Duration.ofSeconds(2));
    assertTrue(time.runUntil(answer::isDone, Duration.ofSeconds(10)));
    assertEquals("HELLO", answer.join());
    CompletableFuture<String> local =
        nodes.get("mx1").call(NodeId.of("mx1"), "echo", "self", Duration.ofSeconds(2));
    assertTrue(time.runUntil(local::isDone, Duration.ofSeconds(10)));
    assertEquals("SELF", local.join());
    assertEquals(List.of("mx2", "mx1"), callers);

    ClusterException missing =
        failure(mx2.call(NodeId.of("mx3"), "echo", "x", Duration.ofSeconds(2)));
    assertEquals(ErrorCode.UNAVAILABLE, missing.code());
    assertEquals("no service named 'echo' runs on mx3", missing.getMessage());
    ClusterException unknown =
        failure(mx2.call(NodeId.of("mx9"), "echo", "x", Duration.ofSeconds(2)));
    assertEquals(ErrorCode.INVALID_VALUE, unknown.code());
  }

  @Test
  void aSecondaryRefusesWritesAndNamesThePrimary() {
    clusterOfThree();
    ClusterException e =
        failure(
            nodes.get("mx2").update(ConfigUpdate.builder("api:test").setRaw(LOCK, "x").build()));
    assertEquals(ErrorCode.NOT_PRIMARY, e.code());
    assertEquals(
        "configuration is read-only on mx2 (a secondary): change it on mx1 (mx1:7400)",
        e.getMessage());
  }

  @Test
  void invalidValuesAndBrokenConstraintsAreRefusedWithTheSettingNamed() {
    ClusterService primary = clusterOfThree();
    Revision before = primary.configuration().revision();
    ClusterException invalid =
        failure(
            primary.update(
                ConfigUpdate.builder("api:test")
                    .setRaw(SettingKey.ini("MDaemon.ini", "Cluster", "Port"), "99999")
                    .build()));
    assertEquals(ErrorCode.INVALID_VALUE, invalid.code());
    assertTrue(invalid.getMessage().contains("[Cluster] Port"), invalid.getMessage());
    ClusterException constraint =
        failure(primary.update(ConfigUpdate.builder("api:test").setRaw(LINKING, "Yes").build()));
    assertEquals(ErrorCode.CONSTRAINT_VIOLATION, constraint.code());
    assertEquals(
        "setting [Special] AttachmentLinking must be 'No' while clustering is on, not 'Yes'",
        constraint.getMessage());
    assertEquals(before, primary.configuration().revision());
  }

  @Test
  void commitsSubmittedTogetherShareOneDurableAppend() {
    ClusterService primary = clusterOfThree();
    time.runFor(Duration.ofSeconds(2));
    long appendsBefore = disks.get("mx1").appends();
    List<CompletableFuture<Revision>> futures = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      futures.add(primary.update(ConfigUpdate.builder("api:test").setRaw(LOCK, "v" + i).build()));
    }
    Revision last = await(futures.get(9));
    assertEquals(1, disks.get("mx1").appends() - appendsBefore);
    for (int i = 0; i < 10; i++) {
      assertTrue(disks.get("mx1").durableState().revision().compareTo(await(futures.get(i))) >= 0);
    }
    time.runFor(Duration.ofSeconds(3));
    assertEquals(last, nodes.get("mx3").configuration().revision());
    assertConverged();
  }

  @Test
  void joinIsRefusedForAnotherVersionADuplicateLicenceAndAnUnregisteredServer() {
    ClusterService primary = node("mx1", true);
    await(primary.addServer(NodeId.of("mx2"), addr("mx2")));
    await(primary.addServer(NodeId.of("mx3"), addr("mx3")));
    node("mx2", false, "23.5.1", "key-mx2", null);
    node("mx3", false, "23.5.2", "key-mx1", null);
    node("mx4", false);
    time.runFor(Duration.ofSeconds(5));
    List<String> primaryEvents = new ArrayList<>();
    primary.diagnostics().recentEvents().forEach(e -> primaryEvents.add(e.message()));
    assertTrue(
        primaryEvents.contains(
            "refused: node mx2 runs 23.5.1 but the primary runs 23.5.2: upgrade mx2 to 23.5.2"),
        primaryEvents.toString());
    assertTrue(
        primaryEvents.contains(
            "refused: node mx3 uses the same licence key as mx1: every node needs its own licence key"),
        primaryEvents.toString());
    assertTrue(
        primaryEvents.contains(
            "refused: mx4 (at mx4) is not a registered server of this cluster, or was removed: its"
                + " Join request was refused. If it belongs to the cluster, add it on the primary"
                + " mx1 first (ClusterService.addServer)"),
        primaryEvents.toString());
    for (String id : List.of("mx2", "mx3", "mx4")) {
      assertFalse(nodes.get(id).awaitSynchronized().isDone(), id);
      assertEquals(Revision.INITIAL, nodes.get(id).configuration().revision(), id);
    }
  }

  @Test
  void aLocalEditOnASecondaryIsOverwrittenAndReported() {
    MemoryConfigSource primaryFiles =
        new MemoryConfigSource(
            ConfigSnapshot.of(Map.of(LOCK.stateKey(), "C:\\MDaemon\\LockFiles\\")));
    ClusterService primary = node("mx1", true, "23.5.2", "key-mx1", primaryFiles);
    await(primary.addServer(NodeId.of("mx2"), addr("mx2")));
    MemoryConfigSource mx2Files =
        new MemoryConfigSource(
            ConfigSnapshot.of(Map.of(BIND.stateKey(), "10.0.0.2", LOCK.stateKey(), "D:\\old\\")));
    ClusterService mx2 = node("mx2", false, "23.5.2", "key-mx2", mx2Files);
    List<ConfigDiff> overwritten = new ArrayList<>();
    mx2.addListener(
        new ClusterListener() {
          @Override
          public void localEditOverwritten(ConfigDiff diff) {
            overwritten.add(diff);
          }
        });
    await(mx2.awaitSynchronized());
    time.runFor(Duration.ofSeconds(2));
    // The first sync wrote the primary's value and kept the node-local bind address.
    assertEquals(Optional.of("C:\\MDaemon\\LockFiles\\"), mx2Files.files.get(LOCK.stateKey()));
    assertEquals(Optional.of("10.0.0.2"), mx2Files.files.get(BIND.stateKey()));

    mx2Files.editBehindTheLibrarysBack(LOCK.stateKey(), "E:\\sneaky\\");
    time.runFor(Duration.ofSeconds(1));
    assertEquals(Optional.of("C:\\MDaemon\\LockFiles\\"), mx2Files.files.get(LOCK.stateKey()));
    ConfigDiff last = overwritten.get(overwritten.size() - 1);
    assertEquals("[Directories] LockFiles: E:\\sneaky\\ → C:\\MDaemon\\LockFiles\\", last.render());

    // An edit of the primary's files is committed and replicated.
    primaryFiles.editBehindTheLibrarysBack(LOCK.stateKey(), "\\\\nas01\\mail\\LockFiles\\");
    time.runFor(Duration.ofSeconds(2));
    assertEquals(Optional.of("\\\\nas01\\mail\\LockFiles\\"), mx2Files.files.get(LOCK.stateKey()));
    assertConverged();
  }

  @Test
  void aSecondaryFarBehindCatchesUpBySnapshot() {
    ClusterService primary = node("mx1", true);
    await(primary.addServer(NodeId.of("mx2"), addr("mx2")));
    for (int i = 0; i < 30; i++) {
      await(
          primary.update(
              ConfigUpdate.builder("api:test")
                  .setRaw(SettingKey.plugin("p", "k" + i), "v" + i)
                  .build()));
    }
    // The primary snapshots every 5 commits and the disk trims its log, so the log cannot serve
    // 0:0.
    assertTrue(
        disks.get("mx1").durableRevisions().size() < 10,
        disks.get("mx1").durableRevisions().toString());
    ClusterService mx2 = node("mx2", false);
    await(mx2.awaitSynchronized());
    time.runFor(Duration.ofSeconds(2));
    assertConverged();
    // 30 keys, 2 members, the certificate mx2 joined with and the genesis of the state
    assertEquals(34, mx2.configuration().size());
  }

  @Test
  void afterThePrimaryCrashesAndRestartsNothingAcknowledgedIsLostAndAllConverge() {
    ClusterService primary = clusterOfThree();
    List<Revision> acknowledged = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      acknowledged.add(
          await(primary.update(ConfigUpdate.builder("api:test").setRaw(LOCK, "v" + i).build())));
    }
    // Crash: no graceful close; the node's tasks stop and unsynced writes are lost.
    disks.get("mx1").crash();
    schedulers.get("mx1").close();
    network.crash(NodeId.of("mx1"));
    time.runFor(Duration.ofSeconds(10));
    assertEquals(acknowledged.get(6), disks.get("mx1").durableState().revision());
    ClusterService restarted = node("mx1", true);
    time.runFor(Duration.ofSeconds(60));
    assertEquals(acknowledged.get(6), restarted.configuration().revision());
    Revision r =
        await(
            restarted.update(
                ConfigUpdate.builder("api:test").setRaw(LOCK, "after restart").build()));
    time.runFor(Duration.ofSeconds(5));
    assertEquals(r, nodes.get("mx2").configuration().revision());
    assertConverged();
  }

  @Test
  void aBurstOfCommitsCostsOneAcknowledgementPerIntervalAndTheLastIsAcknowledged() {
    ClusterService primary = clusterOfThree();
    Duration interval = Duration.ofMillis(5); // ClusterNode's acknowledgement interval
    int commits = 200;
    Revision last = null;
    long before = acknowledgementsFrom("mx2");
    for (int i = 0; i < commits; i++) {
      last = await(primary.update(ConfigUpdate.builder("api:test").setRaw(LOCK, "v" + i).build()));
      time.runFor(Duration.ofMillis(1));
    }
    time.runFor(Duration.ofSeconds(1));
    long acks = acknowledgementsFrom("mx2") - before;
    // One per interval over the burst (200 ms), plus a few heartbeat acknowledgements; one per
    // commit would be 200.
    long bound = Duration.ofMillis(commits).dividedBy(interval) + 10;
    assertTrue(acks <= bound, acks + " acknowledgements for " + commits + " commits");
    var mx2 =
        primary.diagnostics().members().stream()
            .filter(m -> m.id().equals("mx2"))
            .findFirst()
            .orElseThrow();
    assertEquals(Optional.of(last), mx2.acknowledged(), mx2.toString());
    assertConverged();
  }

  private long acknowledgementsFrom(String node) {
    return network.trace().stream()
        .filter(l -> l.contains(node + "→mx1 Ack[") && l.endsWith(" delivered"))
        .count();
  }

  @Test
  void aSecondaryReportsAnUnreachablePrimaryOncePerOutage() {
    clusterOfThree();
    ClusterService mx2 = nodes.get("mx2");
    for (int outage = 1; outage <= 2; outage++) {
      disks.get("mx1").crash();
      schedulers.get("mx1").close();
      network.crash(NodeId.of("mx1"));
      // Long enough for many join attempts with backoff.
      time.runFor(Duration.ofMinutes(3));
      assertEquals(outage, unreachableWarnings(mx2), mx2.diagnostics().recentEvents().toString());
      node("mx1", true);
      time.runFor(Duration.ofMinutes(1));
      assertConverged();
    }
  }

  private static long unreachableWarnings(ClusterService node) {
    return node.diagnostics().recentEvents().stream()
        .filter(e -> e.message().startsWith("no primary reachable at mx1:7400"))
        .count();
  }

  @Test
  void afterThePrimaryIsUpgradedAnOldSecondaryCannotStreamEvenWithoutJoining() {
    clusterOfThree();
    schedulers.get("mx1").close();
    disks.get("mx1").crash();
    network.crash(NodeId.of("mx1"));
    ClusterService upgraded = node("mx1", true, "24.0.0", "key-mx1", null);
    time.runFor(Duration.ofSeconds(5));
    assertEquals("24.0.0", upgraded.members().get(0).productVersion().orElseThrow());

    // A client that skips the join and subscribes directly as mx2 (still at 23.5.2).
    schedulers.get("mx2").close();
    network.crash(NodeId.of("mx2"));
    var raw = network.restart(NodeId.of("mx2"));
    raw.start(
        new org.mailcluster.transport.InboundHandler() {
          @Override
          public CompletableFuture<org.mailcluster.transport.Response> handle(
              org.mailcluster.transport.PeerIdentity from, org.mailcluster.transport.Request r) {
            return new CompletableFuture<>();
          }

          @Override
          public void subscribe(
              org.mailcluster.transport.PeerIdentity from,
              org.mailcluster.transport.Subscribe r,
              org.mailcluster.transport.ServerStream<org.mailcluster.transport.ReplicationMessage>
                  s) {}
        });
    CompletableFuture<ClusterException> ended = new CompletableFuture<>();
    raw.connect(addr("mx1"))
        .subscribe(
            new org.mailcluster.transport.Subscribe(NodeId.of("mx2"), 1, Revision.INITIAL),
            new org.mailcluster.transport.StreamObserver<>() {
              @Override
              public void onNext(org.mailcluster.transport.ReplicationMessage m) {
                ended.completeExceptionally(new AssertionError("streamed to an old version: " + m));
              }

              @Override
              public void onError(ClusterException e) {
                ended.complete(e);
              }

              @Override
              public void onCompleted() {
                ended.completeExceptionally(new AssertionError("completed"));
              }
            });
    ClusterException refused = await(ended);
    assertEquals(ErrorCode.VERSION_MISMATCH, refused.code());
    assertEquals(
        "node mx2 last joined with version 23.5.2 but the primary runs 24.0.0: upgrade mx2 and"
            + " restart it",
        refused.getMessage());
  }

  @Test
  void aServerWhoseNameDoesNotResolveIsRefusedAndNothingIsRegistered() {
    ClusterService primary = clusterOfThree();
    Revision before = primary.configuration().revision();
    ClusterException e =
        failure(primary.addServer(NodeId.of("mx4"), NodeAddress.parse("typo-mx4.example.com")));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertEquals(
        "server mx4 at typo-mx4.example.com:7400 cannot be found (typo-mx4.example.com: no such"
            + " host): check the name, or give its IP address",
        e.getMessage());
    assertEquals(before, primary.configuration().revision());
    assertEquals(3, primary.members().size());
  }

  @Test
  void diagnosticsShowMembersLagAndConnections() {
    ClusterService primary = clusterOfThree();
    time.runFor(Duration.ofSeconds(3));
    var d = primary.diagnostics();
    assertEquals("mx1", d.node());
    assertTrue(d.initialSyncComplete());
    assertEquals(3, d.members().size());
    assertEquals("self", d.members().get(0).connection());
    assertEquals("streaming", d.members().get(1).connection());
    assertEquals(
        Optional.of(primary.configuration().revision()), d.members().get(1).acknowledged());
    assertEquals(OptionalLong.of(0), d.members().get(1).lag());
  }
}
