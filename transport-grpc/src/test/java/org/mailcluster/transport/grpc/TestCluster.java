package org.mailcluster.transport.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.mailcluster.ClusterService;
import org.mailcluster.ClusterServiceBuilder;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.runtime.SystemScheduler;
import org.mailcluster.storage.FileStateStore;

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

  /**
   * Starts a real node: a file store under {@code home}, the system scheduler and a mutual-TLS gRPC
   * transport that {@code tune} may adjust; a primary if {@code primary} is empty.
   */
  static ClusterService node(
      Path home,
      String id,
      NodeAddress address,
      Optional<NodeAddress> primary,
      UnaryOperator<GrpcTransport.Builder> tune) {
    return node(home, id, address, primary, tune, b -> b);
  }

  /** As above, with {@code options} applied to the node's builder before it is built. */
  static ClusterService node(
      Path home,
      String id,
      NodeAddress address,
      Optional<NodeAddress> primary,
      UnaryOperator<GrpcTransport.Builder> tune,
      UnaryOperator<ClusterServiceBuilder> options) {
    NodeId node = NodeId.of(id);
    ClusterServiceBuilder b =
        options.apply(
            ClusterService.builder()
                .node(node, address)
                .productVersion("23.5.2")
                .licenceKey("licence-" + id)
                .registry(SettingsRegistry.create())
                .stateStore(FileStateStore.builder(home.resolve(id)).build())
                .transport(
                    tune.apply(
                            GrpcTransport.builder(node, address)
                                .security(tls(node))
                                .gracePeriod(Duration.ofSeconds(2)))
                        .build())
                .scheduler(SystemScheduler.create(id))
                .heartbeatInterval(Duration.ofMillis(200)));
    ClusterService cluster =
        primary.isPresent() ? b.secondaryOf(primary.get()).build() : b.primary().build();
    cluster.start().join();
    return cluster;
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

  /**
   * A raw gRPC channel to {@code target} holding {@code node}'s genuine certificate of the test CA,
   * as a compromised or independent peer has: requests go out as the generated stubs build them,
   * without the transport's own classes. The caller shuts it down.
   */
  static io.grpc.ManagedChannel rawChannel(NodeAddress target, NodeId node) {
    ClusterCertificateAuthority.NodeCertificate c = certificate(node);
    io.grpc.netty.shaded.io.netty.handler.ssl.SslContext context;
    try {
      context =
          io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient()
              .trustManager((java.security.cert.X509Certificate) CA.certificate())
              .keyManager(
                  org.mailcluster.internal.io.Pem.privateKey(c.privateKeyPem(), "test"),
                  org.mailcluster.internal.io.Pem.certificates(c.certificatePem(), "test")
                      .toArray(new java.security.cert.X509Certificate[0]))
              .build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalStateException(e);
    }
    io.grpc.Metadata headers = new io.grpc.Metadata();
    headers.put(Wire.PROTOCOL_HEADER, "1");
    return io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress(
            target.host(), target.port())
        .sslContext(context)
        .intercept(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers))
        .build();
  }
}
