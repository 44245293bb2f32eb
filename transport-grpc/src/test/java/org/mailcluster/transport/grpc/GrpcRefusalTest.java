package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.SettingKey;
import org.mailcluster.internal.io.Pem;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority.NodeCertificate;
import org.mailcluster.transport.grpc.v1.ClusterGrpc;
import org.mailcluster.transport.grpc.v1.JoinRequest;
import org.mailcluster.transport.grpc.v1.PingRequest;

/**
 * Every refusal of the gRPC transport, against real nodes over real TLS: each gets its status and a
 * cluster-log line, and the node keeps serving the others.
 */
class GrpcRefusalTest {
  private static final Duration DEADLINE = Duration.ofSeconds(5);
  private final List<ClusterService> nodes = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  @TempDir Path home;

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    for (ClusterService n : nodes) {
      n.close(Duration.ofSeconds(5));
    }
  }

  private ClusterService node(String id, NodeAddress address, Optional<NodeAddress> primary) {
    ClusterService cluster = TestCluster.node(home, id, address, primary, t -> t);
    nodes.add(cluster);
    return cluster;
  }

  /** A raw gRPC client, as an attacker or a misconfigured peer would use. */
  private ClusterGrpc.ClusterBlockingStub rawClient(
      NodeAddress target, Optional<NodeCertificate> clientCertificate, String protocol) {
    SslContextBuilder tls =
        GrpcSslContexts.forClient().trustManager((X509Certificate) TestCluster.CA.certificate());
    if (clientCertificate.isPresent()) {
      NodeCertificate c = clientCertificate.get();
      PrivateKey key = Pem.privateKey(c.privateKeyPem(), "test");
      tls.keyManager(
          key, Pem.certificates(c.certificatePem(), "test").toArray(new X509Certificate[0]));
    }
    Metadata headers = new Metadata();
    headers.put(Wire.PROTOCOL_HEADER, protocol);
    io.grpc.netty.shaded.io.netty.handler.ssl.SslContext context;
    try {
      context = tls.build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalStateException(e);
    }
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(target.host(), target.port())
            .sslContext(context)
            .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
            .build();
    closeables.add(channel::shutdownNow);
    return ClusterGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  private static PingRequest ping() {
    return Wire.encode(new Request.Ping(Instant.now(), 1));
  }

  private static StatusRuntimeException refused(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run);
  }

  private static ClusterException refusedByNode(PeerChannel channel, Request request) {
    CompletionException e =
        assertThrows(CompletionException.class, () -> channel.call(request, DEADLINE).join());
    return (ClusterException) e.getCause();
  }

  @Test
  void callsWithoutAClusterCertificateOrWithTheWrongProtocolAreRefusedBeforeTheNode()
      throws Exception {
    NodeAddress a1 = TestCluster.unusedAddress();
    ClusterService mx1 = node("mx1", a1, Optional.empty());
    // mx2 is a registered server (it never runs here): the legitimate caller at the end.
    mx1.addServer(NodeId.of("mx2"), TestCluster.unusedAddress()).get(10, TimeUnit.SECONDS);
    String log =
        capturingStderr(
            () -> {
              StatusRuntimeException none =
                  refused(() -> rawClient(a1, Optional.empty(), "1").ping(ping()));
              assertEquals(Status.Code.UNAUTHENTICATED, none.getStatus().getCode());
              assertTrue(
                  none.getStatus().getDescription().contains("no client certificate"),
                  none.toString());

              NodeCertificate foreign =
                  ClusterCertificateAuthority.create("other")
                      .issue(NodeId.of("mx2"), List.of("127.0.0.1"));
              StatusRuntimeException wrongCa =
                  refused(() -> rawClient(a1, Optional.of(foreign), "1").ping(ping()));
              assertEquals(Status.Code.UNAUTHENTICATED, wrongCa.getStatus().getCode());
              assertTrue(
                  wrongCa.getStatus().getDescription().contains("not valid for this cluster"),
                  wrongCa.toString());

              StatusRuntimeException protocol =
                  refused(
                      () ->
                          rawClient(a1, Optional.of(TestCluster.certificate(NodeId.of("mx2"))), "2")
                              .ping(ping()));
              assertEquals(Status.Code.FAILED_PRECONDITION, protocol.getStatus().getCode());
              assertTrue(
                  protocol.getStatus().getDescription().contains("speaks mailcluster protocol 2"),
                  protocol.toString());
              assertEquals("PROTOCOL_MISMATCH", protocol.getTrailers().get(Wire.ERROR_TRAILER));

              // A malformed message from an authenticated peer: refused, not crashed.
              StatusRuntimeException malformed =
                  refused(
                      () ->
                          rawClient(a1, Optional.of(TestCluster.certificate(NodeId.of("mx2"))), "1")
                              .join(
                                  JoinRequest.newBuilder()
                                      .setNode("")
                                      .setAddress("::bad::")
                                      .build()));
              assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode());
            });
    assertTrue(log.contains("refused mailcluster.v1.Cluster/Ping"), log);
    assertTrue(log.contains("no client certificate"), log);

    // The node still serves a legitimate caller.
    assertEquals(
        1,
        rawClient(a1, Optional.of(TestCluster.certificate(NodeId.of("mx2"))), "1")
            .ping(ping())
            .getEpoch());
  }

  @Test
  void theNodeRefusesUnknownNodesImpostorsAndJoinsAtASecondaryAndKeepsServing() throws Exception {
    NodeAddress a1 = TestCluster.unusedAddress();
    NodeAddress a2 = TestCluster.unusedAddress();
    ClusterService mx1 = node("mx1", a1, Optional.empty());
    mx1.addServer(NodeId.of("mx2"), a2).get(10, TimeUnit.SECONDS);
    ClusterService mx2 = node("mx2", a2, Optional.of(a1));
    mx2.awaitSynchronized().get(30, TimeUnit.SECONDS);

    // mx9 holds a genuine cluster certificate but is not a registered server.
    GrpcTransport mx9 = TestCluster.transport(NodeId.of("mx9"));
    closeables.add(mx9);
    PeerChannel fromMx9 = mx9.connect(a1);
    ClusterException unknown = refusedByNode(fromMx9, join("mx9", 1));
    assertEquals(ErrorCode.PERMISSION_DENIED, unknown.code());
    assertTrue(unknown.getMessage().contains("not a registered server"), unknown.getMessage());

    // mx3's certificate (mx3 is registered), claiming to be mx2.
    mx1.addServer(NodeId.of("mx3"), TestCluster.unusedAddress()).get(10, TimeUnit.SECONDS);
    GrpcTransport mx3 = TestCluster.transport(NodeId.of("mx3"));
    closeables.add(mx3);
    ClusterException impostor = refusedByNode(mx3.connect(a1), join("mx2", 1));
    assertEquals(ErrorCode.PERMISSION_DENIED, impostor.code());
    assertTrue(impostor.getMessage().contains("certificate names mx3"), impostor.getMessage());

    // A registered node that tries to join (and so be fed state) through a secondary, once the
    // secondary knows it is registered.
    assertTrue(
        TestCluster.await(() -> mx2.members().size() == 3, Duration.ofSeconds(30)),
        "mx2 never learnt that mx3 is registered");
    ClusterException notPrimary = refusedByNode(mx3.connect(a2), join("mx3", 1));
    assertEquals(ErrorCode.NOT_PRIMARY, notPrimary.code());

    // The wrong protocol version in the join itself.
    ClusterException protocol =
        refusedByNode(
            mx9.connect(a1),
            new Request.Join(
                NodeId.of("mx2"), a2, 99, "23.5.2", "f", 1)); // mx9's cert: refused first
    assertEquals(ErrorCode.PERMISSION_DENIED, protocol.code());

    // Every refusal is in the primary's diagnostics, and replication goes on.
    String events = mx1.diagnostics().recentEvents().toString();
    assertTrue(events.contains("not a registered server"), events);
    assertTrue(events.contains("certificate names mx3"), events);
    SettingKey key = SettingKey.ini("MDaemon.ini", "Test", "After");
    mx1.update(ConfigUpdate.builder("api:test").setRaw(key, "still serving").build())
        .get(10, TimeUnit.SECONDS);
    assertTrue(
        TestCluster.await(
            () -> mx2.configuration().get(key.stateKey()).isPresent(), Duration.ofSeconds(30)),
        "replication stopped after the refusals");
  }

  private static Request.Join join(String node, int protocol) {
    return new Request.Join(
        NodeId.of(node), NodeAddress.parse("127.0.0.1:9"), protocol, "23.5.2", "fp-" + node, 1);
  }

  private static String capturingStderr(ThrowingRunnable body) throws Exception {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setErr(original);
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    original.print(text);
    return text;
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run() throws Exception;
  }
}
