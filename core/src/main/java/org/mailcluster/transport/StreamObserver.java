package org.mailcluster.transport;

import org.mailcluster.ClusterException;

/**
 * Receives the messages of a stream. Called one at a time, on a transport thread; must not block
 * and must not throw. A receiver that hands messages to another thread releases each one through
 * {@link PeerChannel.Subscription#release} once processed, so that the sender cannot get ahead of
 * it by more than the transport's window.
 *
 * @param <T> the message type
 */
public interface StreamObserver<T> {
  /** Receives the next message. */
  void onNext(T message);

  /** The stream ended with a failure; nothing follows. */
  void onError(ClusterException error);

  /** The stream ended normally; nothing follows. */
  void onCompleted();
}
