package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.Diagnostics;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;

/** Real nodes replicating over gRPC with mutual TLS on loopback, in one process. */
class GrpcClusterTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private final List<ClusterService> nodes = new ArrayList<>();
  @TempDir Path home;

  @AfterEach
  void closeNodes() {
    for (ClusterService n : nodes) {
      n.close(Duration.ofSeconds(5));
    }
  }

  private ClusterService node(String id, NodeAddress address, Optional<NodeAddress> primary) {
    return node(id, address, primary, 4 * 1024 * 1024);
  }

  private ClusterService node(
      String id, NodeAddress address, Optional<NodeAddress> primary, int maxMessageSize) {
    ClusterService cluster =
        TestCluster.node(
            home,
            id,
            address,
            primary,
            t -> t.maxMessageSize(maxMessageSize).roundTripProbe(Duration.ofMillis(100)));
    nodes.add(cluster);
    return cluster;
  }

  private static SettingKey key(String name) {
    return SettingKey.ini("MDaemon.ini", "Test", name);
  }

  @Test
  void aCommitOnThePrimaryReachesBothSecondariesOverMutualTls() throws Exception {
    NodeAddress a1 = TestCluster.unusedAddress();
    NodeAddress a2 = TestCluster.unusedAddress();
    NodeAddress a3 = TestCluster.unusedAddress();
    ClusterService mx1 = node("mx1", a1, Optional.empty());
    mx1.addServer(NodeId.of("mx2"), a2).get(10, TimeUnit.SECONDS);
    mx1.addServer(NodeId.of("mx3"), a3).get(10, TimeUnit.SECONDS);
    ClusterService mx2 = node("mx2", a2, Optional.of(a1));
    ClusterService mx3 = node("mx3", a3, Optional.of(a1));
    mx2.awaitSynchronized().get(30, TimeUnit.SECONDS);
    mx3.awaitSynchronized().get(30, TimeUnit.SECONDS);

    mx1.update(ConfigUpdate.builder("api:test").setRaw(key("Greeting"), "hello").build())
        .get(10, TimeUnit.SECONDS);
    for (ClusterService s : List.of(mx2, mx3)) {
      assertTrue(
          TestCluster.await(
              () -> s.configuration().get(key("Greeting").stateKey()).isPresent(), PATIENCE),
          s.nodeId() + " did not apply the commit");
      assertEquals(mx1.configuration().fingerprint(), s.configuration().fingerprint());
    }

    // Health advertises each node's role; round trips reach diagnostics on both sides.
    assertEquals(ServingStatus.SERVING, health(a1, GrpcTransport.PRIMARY_HEALTH_NAME));
    assertEquals(ServingStatus.NOT_SERVING, health(a2, GrpcTransport.PRIMARY_HEALTH_NAME));
    assertEquals(ServingStatus.SERVING, health(a2, GrpcTransport.SECONDARY_HEALTH_NAME));
    assertTrue(
        TestCluster.await(() -> roundTrip(mx2, "mx1").isPresent(), PATIENCE),
        "mx2 measured no round trip to mx1: " + mx2.diagnostics());
    assertTrue(
        TestCluster.await(() -> roundTrip(mx1, "mx3").isPresent(), PATIENCE),
        "mx1 measured no round trip to mx3: " + mx1.diagnostics());
    assertTrue(roundTrip(mx2, "mx1").get().compareTo(Duration.ofSeconds(1)) < 0);
  }

  @Test
  void replicationMessagesLargerThanTheMessageLimitTravelInFragments() throws Exception {
    int limit = 64 * 1024;
    NodeAddress a1 = TestCluster.unusedAddress();
    NodeAddress a2 = TestCluster.unusedAddress();
    ClusterService mx1 = node("mx1", a1, Optional.empty(), limit);
    mx1.addServer(NodeId.of("mx2"), a2).get(10, TimeUnit.SECONDS);
    // One revision far larger than a message: 1 MiB in one value plus 500 keys of 1 KiB.
    ConfigUpdate.Builder big = ConfigUpdate.builder("api:test");
    big.setRaw(key("Certificate"), "c".repeat(1024 * 1024));
    for (int i = 0; i < 500; i++) {
      big.setRaw(key("Padding" + i), Integer.toString(i).repeat(1024));
    }
    mx1.update(big.build()).get(10, TimeUnit.SECONDS);
    ClusterService mx2 = node("mx2", a2, Optional.of(a1), limit);
    mx2.awaitSynchronized().get(30, TimeUnit.SECONDS);
    // Synchronized means caught up with what the primary held when mx2 joined; the revision that
    // records the join follows, in a message of its own now that the large one travels alone.
    assertTrue(
        TestCluster.await(
            () -> mx1.configuration().fingerprint().equals(mx2.configuration().fingerprint()),
            PATIENCE),
        "mx2 did not catch up with the large revision");
    // And streamed live, not only as a catch-up snapshot.
    mx1.update(
            ConfigUpdate.builder("api:test")
                .setRaw(key("Certificate"), "d".repeat(300_000))
                .build())
        .get(10, TimeUnit.SECONDS);
    assertTrue(
        TestCluster.await(
            () -> mx1.configuration().fingerprint().equals(mx2.configuration().fingerprint()),
            PATIENCE),
        "mx2 did not receive the large live revision");
  }

  private static Optional<Duration> roundTrip(ClusterService node, String peer) {
    for (Diagnostics.MemberState m : node.diagnostics().members()) {
      if (m.id().equals(peer)) {
        return m.roundTrip();
      }
    }
    return Optional.empty();
  }

  /** Asks a node's health service as an outside load balancer would: TLS, no client cert. */
  static ServingStatus health(NodeAddress node, String service) throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(node.host(), node.port())
            .sslContext(
                GrpcSslContexts.forClient()
                    .trustManager((X509Certificate) TestCluster.CA.certificate())
                    .build())
            .build();
    try {
      return HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus();
    } finally {
      channel.shutdownNow();
    }
  }
}
