package org.mailcluster.internal.node;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.internal.replication.SecondaryRole;
import org.mailcluster.transport.InboundHandler;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.ServerStream;
import org.mailcluster.transport.Subscribe;

/**
 * What the transport hands the node: every call and subscription from a peer moves onto the loop,
 * where its epoch is checked first (a primary that meets a higher epoch was replaced) and then it
 * goes to the role that may answer it. Only the transport holds this object; the host's {@link
 * org.mailcluster.ClusterService} has no way to forge a peer's call.
 */
final class InboundDispatch implements InboundHandler {
  private final NodeCore node;

  InboundDispatch(NodeCore node) {
    this.node = node;
  }

  @Override
  public CompletableFuture<Response> handle(PeerIdentity from, Request request) {
    Instant receivedAt = node.scheduler().now();
    return node.loop()
        .call(
            () -> {
              node.roleChange().check(request.epoch(), from);
              if (node.roleState() instanceof SecondaryRole s && from.node().isPresent()) {
                s.heardFrom(from.node().get(), request.epoch());
              }
              if (request instanceof Request.Join j) {
                return CompletableFuture.completedFuture(node.asPrimary().onJoin(from, j));
              } else if (request instanceof Request.Ack a) {
                return CompletableFuture.completedFuture(node.asPrimary().onAck(from, a));
              } else if (request instanceof Request.Ping p) {
                return CompletableFuture.completedFuture(
                    new Response.Pong(
                        p.sentAt(), receivedAt, node.scheduler().now(), node.epochs().current()));
              }
              Request.Forward f = (Request.Forward) request;
              return node.services()
                  .serve(from, f.service(), f.payload())
                  .thenApply(
                      answer -> (Response) new Response.Forwarded(answer, node.epochs().current()));
            });
  }

  @Override
  public void subscribe(
      PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream) {
    node.loop()
        .execute(
            () -> {
              try {
                node.asPrimary();
                node.roleChange().check(request.epoch(), from);
                node.asPrimary().subscribe(from, request, stream);
              } catch (ClusterException e) {
                stream.fail(e);
              } catch (RuntimeException e) {
                NodeEvents.CLUSTER_LOG.error("could not serve a subscription from {}", from, e);
                stream.fail(
                    new ClusterException(
                        ErrorCode.UNAVAILABLE, "the primary failed to serve the stream: " + e));
              }
            });
  }
}
