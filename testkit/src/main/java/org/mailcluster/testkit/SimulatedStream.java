package org.mailcluster.testkit;

import static java.util.Objects.requireNonNull;
import static org.mailcluster.testkit.SimulatedNetwork.unavailable;

import java.time.Duration;
import org.mailcluster.ClusterException;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.ServerStream;
import org.mailcluster.transport.StreamObserver;

/**
 * One replication stream: the sending side the handler sees and the subscription the receiver
 * holds. Invariants: messages arrive in send order because each is due no earlier than the one
 * before it; the receiver gets exactly one ending ({@code receiverDone} guards it) unless it
 * cancelled; the sender's cancel callback runs at most once.
 */
final class SimulatedStream implements ServerStream<ReplicationMessage>, PeerChannel.Subscription {
  private final SimulatedNetwork network;
  private final long id;
  final SimulatedTransport receiver;
  private final SimulatedTransport.Channel channel;
  private final StreamObserver<ReplicationMessage> observer;
  final String what;
  SimulatedTransport sender;

  boolean receiverDone;
  // The sender called complete or fail.
  private boolean senderFinished;
  // The stream is dead for the sender: cancelled or broken; sends are discarded.
  private boolean cut;
  private boolean cancelCallbackRan;
  private int inFlight;
  private long lastDueNanos;
  private boolean waitingForReady;
  private Runnable onReady;
  private Runnable onCancel;

  SimulatedStream(
      SimulatedNetwork network,
      long id,
      SimulatedTransport receiver,
      SimulatedTransport.Channel channel,
      StreamObserver<ReplicationMessage> observer,
      String what) {
    this.network = network;
    this.id = id;
    this.receiver = receiver;
    this.channel = channel;
    this.observer = observer;
    this.what = what;
  }

  /** Returns whether the stream is dead for the sender: cancelled, broken or closed. */
  boolean isCut() {
    return cut;
  }

  String route(SimulatedTransport from) {
    return from.node + "→" + receiver.node + " stream#" + id;
  }

  private String route() {
    return sender == null ? channel.peer + "→" + receiver.node + " stream#" + id : route(sender);
  }

  // ---- sending side -------------------------------------------------------------------------

  @Override
  public boolean isReady() {
    boolean ready = !senderFinished && !cut && inFlight < network.streamWindow();
    if (!ready && !senderFinished && !cut) {
      waitingForReady = true;
    }
    return ready;
  }

  @Override
  public void send(ReplicationMessage message) {
    requireNonNull(message, "message");
    if (senderFinished) {
      throw new IllegalStateException(
          "stream#" + id + " to " + receiver.node + " has already ended; a stream ends once");
    }
    String text = MessageText.of(message);
    if (cut) {
      network.record(route() + " " + text + " discarded (stream ended)");
      return;
    }
    if (network.partitioned(sender.node, receiver.node)) {
      network.record(route() + " " + text + " lost (partition)");
      breakStream("network partition", network.noticeDelayNanos(), true);
      return;
    }
    if (network.rollDrop()) {
      network.record(route() + " " + text + " dropped");
      breakStream("a message was lost", network.noticeDelayNanos(), true);
      return;
    }
    inFlight++;
    if (inFlight >= network.streamWindow()) {
      waitingForReady = true;
    }
    inOrder(() -> arrive(message, text));
  }

  @Override
  public void complete() {
    end(null);
  }

  @Override
  public void fail(ClusterException error) {
    requireNonNull(error, "error");
    end(new ClusterException(error.code(), error.getMessage()));
  }

  private void end(ClusterException error) {
    if (senderFinished) {
      throw new IllegalStateException(
          "stream#" + id + " to " + receiver.node + " has already ended; a stream ends once");
    }
    senderFinished = true;
    if (cut) {
      return;
    }
    sender.served.remove(this);
    inOrder(
        () -> {
          if (receiverDone || receiver.crashed()) {
            return;
          }
          receiverDone = true;
          channel.streams.remove(this);
          if (error == null) {
            network.record(route() + " completed");
            observer.onCompleted();
          } else {
            network.record(route() + " failed " + error.code() + ": " + error.getMessage());
            observer.onError(error);
          }
        });
  }

  @Override
  public void setOnReady(Runnable onReady) {
    this.onReady = requireNonNull(onReady, "onReady");
  }

  @Override
  public void setOnCancel(Runnable onCancel) {
    this.onCancel = requireNonNull(onCancel, "onCancel");
  }

  private void inOrder(Runnable arrival) {
    long now = network.wire().nanoTime();
    long due = Math.max(Math.addExact(now, network.messageDelayNanos()), lastDueNanos);
    lastDueNanos = due;
    network.wire().schedule(Duration.ofNanos(due - now), arrival);
  }

  private void arrive(ReplicationMessage message, String text) {
    inFlight--;
    if (receiverDone || receiver.crashed()) {
      network.record(route() + " " + text + " discarded (stream ended)");
    } else {
      network.record(route() + " " + text + " delivered");
      try {
        observer.onNext(message);
      } catch (RuntimeException e) {
        network.record(receiver.node + " observer threw " + e + "; stream#" + id + " cancelled");
        cancel();
        throw e;
      }
    }
    if (waitingForReady && isReady()) {
      waitingForReady = false;
      Runnable callback = onReady;
      if (callback != null && !sender.crashed()) {
        try {
          callback.run();
        } catch (RuntimeException e) {
          network.record(sender.node + " onReady threw " + e + "; stream#" + id + " broken");
          breakStream("the sender failed with " + e, network.noticeDelayNanos(), false);
          throw e;
        }
      }
    }
  }

  // ---- receiving side -----------------------------------------------------------------------

  @Override
  public void cancel() {
    if (receiverDone) {
      return;
    }
    receiverDone = true;
    channel.streams.remove(this);
    network.record(route() + " cancelled by " + receiver.node);
    if (sender != null && !cut) {
      cut = true;
      sender.served.remove(this);
      if (!senderFinished) {
        network
            .wire()
            .schedule(Duration.ofNanos(network.noticeDelayNanos()), this::runCancelCallback);
      }
    }
  }

  /**
   * Ends the stream because of a fault or a closing side: the receiver gets {@code onError} after
   * {@code receiverDelayNanos} (never, if negative: the receiver is gone), and the sender's cancel
   * callback runs if {@code notifySender} and it had not ended the stream itself.
   */
  void breakStream(String reason, long receiverDelayNanos, boolean notifySender) {
    boolean senderWasLive = sender != null && !cut && !senderFinished;
    cut = true;
    if (sender != null) {
      sender.served.remove(this);
    }
    if (receiverDelayNanos < 0) {
      receiverDone = true;
      channel.streams.remove(this);
    } else if (!receiverDone) {
      ClusterException error = unavailable("stream#" + id + " broke: " + reason);
      network
          .wire()
          .schedule(
              Duration.ofNanos(receiverDelayNanos),
              () -> {
                if (receiverDone || receiver.crashed()) {
                  return;
                }
                receiverDone = true;
                channel.streams.remove(this);
                network.record(route() + " broken: " + reason);
                observer.onError(error);
              });
    }
    if (notifySender && senderWasLive) {
      network
          .wire()
          .schedule(Duration.ofNanos(network.noticeDelayNanos()), this::runCancelCallback);
    }
  }

  private void runCancelCallback() {
    if (cancelCallbackRan || sender.crashed()) {
      return;
    }
    cancelCallbackRan = true;
    Runnable callback = onCancel;
    if (callback != null) {
      callback.run();
    }
  }

  @Override
  public String toString() {
    return "stream#" + id;
  }
}
