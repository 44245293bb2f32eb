package org.mailcluster.transport;

import java.util.concurrent.CompletableFuture;

/**
 * The local node's side of the transport: what it does with calls from peers. Implemented by the
 * node core; the transport calls it from its own threads, and the node core moves the work onto its
 * single logical thread.
 */
public interface InboundHandler {
  /**
   * Answers a unary call. The future fails with a {@link org.mailcluster.ClusterException} to
   * refuse it (the code maps to the transport's status, e.g. {@code PERMISSION_DENIED}).
   */
  CompletableFuture<Response> handle(PeerIdentity from, Request request);

  /** Starts serving a replication stream to a subscribing secondary. */
  void subscribe(PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream);
}
