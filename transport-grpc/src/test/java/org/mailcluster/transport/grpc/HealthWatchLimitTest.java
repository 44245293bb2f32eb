package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.InboundHandler;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.ServerStream;
import org.mailcluster.transport.Subscribe;

/**
 * Health watches need no certificate and stay open: a caller that opens thousands is refused beyond
 * the bound, and what it held is released when its connection closes.
 */
class HealthWatchLimitTest {
  private static final InboundHandler NOTHING =
      new InboundHandler() {
        @Override
        public CompletableFuture<Response> handle(PeerIdentity from, Request request) {
          return CompletableFuture.failedFuture(new IllegalStateException("not used"));
        }

        @Override
        public void subscribe(
            PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream) {
          stream.complete();
        }
      };

  private static ManagedChannel withoutCertificate(NodeAddress target) throws Exception {
    return NettyChannelBuilder.forAddress(target.host(), target.port())
        .sslContext(
            GrpcSslContexts.forClient()
                .trustManager((X509Certificate) TestCluster.CA.certificate())
                .build())
        .build();
  }

  @Test
  void watchesBeyondTheBoundAreRefusedAndClosedConnectionsGiveThemBack() throws Exception {
    try (GrpcTransport node = TestCluster.transport(NodeId.of("mx1"))) {
      node.start(NOTHING);
      NodeAddress at = node.localAddress();
      ManagedChannel channel = withoutCertificate(at);
      List<CompletableFuture<Status>> ends = new ArrayList<>();
      List<CompletableFuture<Void>> firstAnswers = new ArrayList<>();
      int attempts = HealthWatchLimit.PER_HOST + 4;
      for (int i = 0; i < attempts; i++) {
        CompletableFuture<Status> end = new CompletableFuture<>();
        CompletableFuture<Void> first = new CompletableFuture<>();
        ends.add(end);
        firstAnswers.add(first);
        HealthGrpc.newStub(channel)
            .watch(
                HealthCheckRequest.newBuilder().setService("").build(),
                new StreamObserver<HealthCheckResponse>() {
                  @Override
                  public void onNext(HealthCheckResponse value) {
                    first.complete(null);
                  }

                  @Override
                  public void onError(Throwable t) {
                    first.complete(null);
                    end.complete(Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    end.complete(Status.OK);
                  }
                });
      }
      CompletableFuture.allOf(firstAnswers.toArray(CompletableFuture[]::new))
          .get(30, TimeUnit.SECONDS);
      long refused =
          ends.stream()
              .filter(e -> e.isDone() && e.join().getCode() == Status.Code.RESOURCE_EXHAUSTED)
              .count();
      assertEquals(attempts - HealthWatchLimit.PER_HOST, refused);
      assertTrue(
          TestCluster.await(
              () -> node.openHealthWatches() == HealthWatchLimit.PER_HOST, Duration.ofSeconds(30)),
          "open watches: " + node.openHealthWatches());
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      assertTrue(
          TestCluster.await(() -> node.openHealthWatches() == 0, Duration.ofSeconds(30)),
          "watches still held after the connection closed: " + node.openHealthWatches());
      // A new caller is served again.
      ManagedChannel again = withoutCertificate(at);
      try {
        assertEquals(
            HealthCheckResponse.ServingStatus.SERVING,
            HealthGrpc.newBlockingStub(again)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService("").build())
                .getStatus());
      } finally {
        again.shutdownNow();
      }
    }
  }
}
