package org.mailcluster.transport;

import org.mailcluster.ClusterException;

/**
 * The sending side of a stream, as the transport gives it to the {@link InboundHandler}. A sender
 * checks {@link #isReady()} and stops sending when it is false; the transport calls the ready
 * callback when sending may resume, so nothing is buffered without bound.
 *
 * <pre>{@code
 * stream.setOnReady(() -> { while (stream.isReady() && backlog.hasNext()) stream.send(backlog.next()); });
 * }</pre>
 *
 * @param <T> the message type
 */
public interface ServerStream<T> {
  /** Returns whether a message may be sent now without piling up in memory. */
  boolean isReady();

  /** Sends one message; allowed even when not ready, but then it is buffered. */
  void send(T message);

  /** Ends the stream normally. */
  void complete();

  /** Ends the stream with an error the receiver will see. */
  void fail(ClusterException error);

  /** Registers what to call when the stream becomes ready again (replaces any earlier one). */
  void setOnReady(Runnable onReady);

  /** Registers what to call when the receiver cancels or disconnects (replaces any earlier one). */
  void setOnCancel(Runnable onCancel);
}
