package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterService;
import org.mailcluster.ClusterServiceBuilder;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.runtime.SystemScheduler;
import org.mailcluster.storage.FileStateStore;

/**
 * Network faults injected into real gRPC connections (mutual TLS on loopback) by a {@link
 * FaultProxy} between a secondary and its primary: the secondary's primary address is the proxy's.
 * Cut connections, a slow link, a partition and a half-open connection each end with the secondary
 * converged on the primary's revision and fingerprint within a stated bound, and the primary keeps
 * committing throughout.
 */
@Tag("slow")
class NetworkFaultTest {
  /** The bound within which the secondary must converge once the network is healthy again. */
  private static final Duration CONVERGE = Duration.ofSeconds(20);

  private final List<ClusterService> nodes = new ArrayList<>();
  private final List<FaultProxy> proxies = new ArrayList<>();
  @TempDir Path home;

  @AfterEach
  void close() {
    proxies.forEach(FaultProxy::close);
    for (ClusterService n : nodes) {
      n.close(Duration.ofSeconds(5));
    }
  }

  /**
   * A primary, and a secondary that reaches it only through a proxy: the primary listens on its own
   * port but is known to the cluster (its member record) by the proxy's address, so that a
   * secondary looking for its primary among the registered servers goes through the proxy too.
   */
  private Pair pair() throws Exception {
    NodeAddress a1 = TestCluster.unusedAddress();
    NodeAddress a2 = TestCluster.unusedAddress();
    FaultProxy proxy = FaultProxy.to(a1);
    proxies.add(proxy);
    ClusterService primary = node("mx1", proxy.address(), a1, Optional.empty());
    primary.addServer(NodeId.of("mx2"), a2).get(10, TimeUnit.SECONDS);
    ClusterService secondary = node("mx2", a2, a2, Optional.of(proxy.address()));
    secondary.awaitSynchronized().get(30, TimeUnit.SECONDS);
    return new Pair(primary, secondary, proxy);
  }

  private ClusterService node(
      String id, NodeAddress advertised, NodeAddress listen, Optional<NodeAddress> primary) {
    NodeId node = NodeId.of(id);
    ClusterServiceBuilder b =
        ClusterService.builder()
            .node(node, advertised)
            .productVersion("23.5.2")
            .licenceKey("licence-" + id)
            .registry(SettingsRegistry.create())
            .stateStore(FileStateStore.builder(home.resolve(id)).build())
            .transport(
                GrpcTransport.builder(node, listen)
                    .security(TestCluster.tls(node))
                    .gracePeriod(Duration.ofSeconds(2))
                    // The shortest keepalive gRPC allows (it raises anything under 10 s to 10 s).
                    .keepAlive(Duration.ofSeconds(10), Duration.ofSeconds(2))
                    .build())
            .scheduler(SystemScheduler.create(id))
            .heartbeatInterval(Duration.ofMillis(200));
    ClusterService n =
        primary.isPresent() ? b.secondaryOf(primary.get()).build() : b.primary().build();
    nodes.add(n);
    n.start().join();
    return n;
  }

  private record Pair(ClusterService primary, ClusterService secondary, FaultProxy proxy) {}

  private static Revision commit(ClusterService node, String name, String value) throws Exception {
    return node.update(
            ConfigUpdate.builder("api:test")
                .setRaw(SettingKey.ini("MDaemon.ini", "Faults", name), value)
                .build())
        .get(10, TimeUnit.SECONDS);
  }

  /** Waits until the secondary holds the primary's state; returns how long that took. */
  private static Duration awaitConverged(Pair p, String after) {
    long t0 = System.nanoTime();
    boolean converged =
        TestCluster.await(
            () ->
                p.primary()
                        .configuration()
                        .fingerprint()
                        .equals(p.secondary().configuration().fingerprint())
                    && p.primary()
                        .configuration()
                        .revision()
                        .equals(p.secondary().configuration().revision()),
            CONVERGE);
    assertTrue(
        converged,
        "the secondary did not converge within "
            + CONVERGE
            + " after "
            + after
            + ": primary at "
            + p.primary().configuration().revision()
            + ", secondary at "
            + p.secondary().configuration().revision()
            + "; "
            + p.secondary().diagnostics().recentEvents());
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  @Test
  void cutConnectionsAreReopenedAndTheSecondaryConverges() throws Exception {
    Pair p = pair();
    int rounds = 10;
    int perRound = 20;
    long worst = 0;
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < perRound; i++) {
        commit(p.primary(), "Cut" + round + "_" + i, "v" + i);
        if (i == perRound / 2) {
          p.proxy().cut();
        }
      }
      worst = Math.max(worst, awaitConverged(p, "cut " + (round + 1)).toMillis());
    }
    // Every reconnection went through the proxy: the secondary never bypassed the fault.
    assertTrue(
        p.proxy().connectionsAccepted() > rounds,
        "only " + p.proxy().connectionsAccepted() + " connections after " + rounds + " cuts");
    System.out.printf(
        "network faults: %d cuts under load, %d commits, %d connections reopened through the"
            + " proxy, slowest convergence %d ms (bound %d ms)%n",
        rounds, rounds * perRound, p.proxy().connectionsAccepted() - 1, worst, CONVERGE.toMillis());
  }

  @Test
  void aSlowLinkDelaysButDoesNotStopReplication() throws Exception {
    Pair p = pair();
    Duration delay = Duration.ofMillis(150);
    p.proxy().delay(delay);
    int commits = 50;
    for (int i = 0; i < commits; i++) {
      commit(p.primary(), "Slow" + i, "v" + i);
    }
    Duration took = awaitConverged(p, "a " + delay + " delay each way");
    assertTrue(p.proxy().bytesForwarded() > 0);
    System.out.printf(
        "network faults: %d ms delay each way, %d commits, converged %d ms after the last%n",
        delay.toMillis(), commits, took.toMillis());
  }

  @Test
  void aPartitionedSecondaryKeepsServingAndCatchesUpWhenItHeals() throws Exception {
    Pair p = pair();
    commit(p.primary(), "Before", "1");
    awaitConverged(p, "the first commit");
    Revision before = p.secondary().configuration().revision();

    p.proxy().partition();
    int commits = 30;
    for (int i = 0; i < commits; i++) {
      commit(p.primary(), "Partitioned" + i, "v" + i);
    }
    // The secondary tries to reconnect and is refused, and still serves what it had.
    assertTrue(
        TestCluster.await(() -> p.proxy().connectionsRefused() > 0, CONVERGE),
        "the secondary never tried to reconnect during the partition");
    assertEquals(before, p.secondary().configuration().revision());
    assertEquals(
        Optional.of("1"),
        p.secondary()
            .configuration()
            .get(SettingKey.ini("MDaemon.ini", "Faults", "Before").stateKey()));

    p.proxy().pass();
    Duration took = awaitConverged(p, "the partition healed");
    System.out.printf(
        "network faults: partition with %d commits on the primary and %d refused reconnections;"
            + " converged %d ms after healing%n",
        commits, p.proxy().connectionsRefused(), took.toMillis());
  }

  @Test
  void aHalfOpenConnectionIsDetectedAndTheSecondaryRecoversAfterHealing() throws Exception {
    Pair p = pair();
    commit(p.primary(), "Before", "1");
    awaitConverged(p, "the first commit");
    long connections = p.proxy().connectionsAccepted();

    p.proxy().halfOpen();
    long t0 = System.nanoTime();
    commit(p.primary(), "Unseen", "1");
    // Nothing gets through, and no socket is closed by the proxy: only the nodes' own liveness
    // checks (heartbeat silence, then gRPC keepalive) can notice and open a new connection.
    assertTrue(
        TestCluster.await(
            () -> p.proxy().connectionsAccepted() > connections, Duration.ofSeconds(40)),
        "the secondary did not notice the dead connection: "
            + p.secondary().diagnostics().recentEvents());
    long detected = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(
        p.secondary()
            .configuration()
            .get(SettingKey.ini("MDaemon.ini", "Faults", "Unseen").stateKey())
            .isEmpty(),
        "a commit crossed a half-open connection: "
            + p.proxy().connectionsAccepted()
            + " connections; "
            + p.secondary().diagnostics().recentEvents());

    p.proxy().pass();
    Duration took = awaitConverged(p, "the half-open connection healed");
    System.out.printf(
        "network faults: half-open connection replaced by a new one after %d ms (heartbeat"
            + " silence restarts the stream, the channel's keepalive of 10 s + 2 s drops the dead"
            + " connection); converged %d ms after healing%n",
        detected, took.toMillis());
  }
}
