package org.mailcluster.transport.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;

/** Certificates and helpers shared by the gRPC tests: one cluster CA, node certs on loopback. */
final class TestCluster {
  static final ClusterCertificateAuthority CA = ClusterCertificateAuthority.create("test");
  private static final Map<NodeId, ClusterCertificateAuthority.NodeCertificate> CERTS =
      new ConcurrentHashMap<>();

  private TestCluster() {}

  static ClusterCertificateAuthority.NodeCertificate certificate(NodeId node) {
    return CERTS.computeIfAbsent(node, n -> CA.issue(n, List.of("127.0.0.1", "localhost")));
  }

  static TransportSecurity tls(NodeId node) {
    return TransportSecurity.mutualTls(certificate(node));
  }

  static GrpcTransport transport(NodeId node) {
    return GrpcTransport.builder(node, "127.0.0.1", 0)
        .security(tls(node))
        .gracePeriod(Duration.ofSeconds(2))
        .build();
  }

  /** An address on loopback where nothing listens (a port just released). */
  static NodeAddress unusedAddress() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return NodeAddress.of("127.0.0.1", socket.getLocalPort());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Polls a condition every millisecond until it holds or the timeout passes. */
  static boolean await(BooleanSupplier condition, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        return condition.getAsBoolean();
      }
      LockSupport.parkNanos(1_000_000);
    }
    return true;
  }
}
