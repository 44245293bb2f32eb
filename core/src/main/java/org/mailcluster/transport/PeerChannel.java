package org.mailcluster.transport;

import java.time.Duration;
import java.util.Optional;
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

  /**
   * Returns the round-trip time to the peer as the transport last measured it (the minimum of a
   * recent window), or empty if it has not measured one. Nodes of one cluster belong on one LAN;
   * diagnostics show this figure per peer.
   */
  default Optional<Duration> roundTrip() {
    return Optional.empty();
  }

  /** Closes the channel; open streams end with an error, pending calls fail. Idempotent. */
  @Override
  void close();

  /**
   * An open stream that the receiving side can end, and through which it says what it has
   * processed.
   */
  interface Subscription {
    /** Ends the stream; no callback follows. Idempotent. */
    void cancel();

    /**
     * Tells the transport that the receiver has finished with {@code messages} more of the messages
     * delivered to its observer. A transport with receiver flow control delivers only a window of
     * messages beyond those released, so a receiver that falls behind holds the sender back (its
     * {@code ServerStream.isReady()} turns false) instead of queueing without bound. The default
     * does nothing: such a transport delivers as fast as the network allows. Callable from any
     * thread; ignored once the stream has ended.
     *
     * <pre>{@code
     * subscription = channel.subscribe(request, new StreamObserver<>() {
     *   public void onNext(ReplicationMessage m) {
     *     loop.execute(() -> { apply(m); subscription.release(1); });
     *   }
     *   ...
     * });
     * }</pre>
     */
    default void release(int messages) {}
  }
}
