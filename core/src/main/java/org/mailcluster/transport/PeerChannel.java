package org.mailcluster.transport;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A connection to one peer. Reconnects by itself when the peer comes back; a call made while the
 * peer is unreachable fails with {@code UNAVAILABLE} rather than waiting past its deadline.
 *
 * <pre>{@code
 * PeerChannel primary = transport.connect(NodeAddress.parse("mx1:7400"));
 * Response.Joined joined = (Response.Joined) primary.call(join, Duration.ofSeconds(5)).join();
 * }</pre>
 */
public interface PeerChannel extends AutoCloseable {
  /** Sends a unary request; the future completes once, with the response or a failure. */
  CompletableFuture<Response> call(Request request, Duration deadline);

  /** Opens a replication stream; cancel it through the returned handle. */
  Subscription subscribe(Subscribe request, StreamObserver<ReplicationMessage> observer);

  /** Closes the channel; open streams end with an error, pending calls fail. Idempotent. */
  @Override
  void close();

  /** An open stream that the receiving side can end. */
  interface Subscription {
    /** Ends the stream; no callback follows. Idempotent. */
    void cancel();
  }
}
