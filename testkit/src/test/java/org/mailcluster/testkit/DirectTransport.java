package org.mailcluster.testkit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.transport.ClusterTransport;
import org.mailcluster.transport.InboundHandler;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.ServerStream;
import org.mailcluster.transport.StreamObserver;
import org.mailcluster.transport.Subscribe;

/**
 * The smallest faithful transport for engine tests: every delivery is a task on the sender's
 * scheduler, streams are always ready and never lose a message, and a node that is not in {@code
 * nodes} (crashed) is unreachable.
 */
final class DirectTransport implements ClusterTransport {
  private final NodeId self;
  private final NodeAddress address;
  private final Scheduler scheduler;
  private final Map<NodeAddress, DirectTransport> nodes;
  InboundHandler handler;
  boolean closed;

  DirectTransport(
      NodeId self,
      NodeAddress address,
      Scheduler scheduler,
      Map<NodeAddress, DirectTransport> nodes) {
    this.self = self;
    this.address = address;
    this.scheduler = scheduler;
    this.nodes = nodes;
  }

  @Override
  public void start(InboundHandler h) {
    this.handler = h;
    nodes.put(address, this);
  }

  @Override
  public NodeAddress localAddress() {
    return address;
  }

  @Override
  public PeerChannel connect(NodeAddress peer) {
    PeerIdentity me = PeerIdentity.of(self, address.toString());
    return new PeerChannel() {
      @Override
      public CompletableFuture<Response> call(Request request, Duration deadline) {
        DirectTransport target = nodes.get(peer);
        if (target == null || target.closed || closed) {
          return CompletableFuture.failedFuture(
              new ClusterException(ErrorCode.UNAVAILABLE, peer + " is unreachable"));
        }
        return target.handler.handle(me, request);
      }

      @Override
      public Subscription subscribe(
          Subscribe request, StreamObserver<ReplicationMessage> observer) {
        DirectTransport target = nodes.get(peer);
        Stream stream = new Stream(observer);
        if (target == null || target.closed || closed) {
          scheduler.execute(
              () ->
                  observer.onError(
                      new ClusterException(ErrorCode.UNAVAILABLE, peer + " is unreachable")));
        } else {
          target.handler.subscribe(me, request, stream);
        }
        return () -> {
          stream.cancelled = true;
          if (stream.onCancel != null) {
            stream.onCancel.run();
          }
        };
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void close() {
    closed = true;
    nodes.remove(address, this);
  }

  /** A stream that delivers on the receiver's scheduler in order. */
  private final class Stream implements ServerStream<ReplicationMessage> {
    final StreamObserver<ReplicationMessage> observer;
    final Deque<ReplicationMessage> inFlight = new ArrayDeque<>();
    boolean cancelled;
    boolean ended;
    Runnable onCancel;

    Stream(StreamObserver<ReplicationMessage> observer) {
      this.observer = observer;
    }

    @Override
    public boolean isReady() {
      return !cancelled && !ended;
    }

    @Override
    public void send(ReplicationMessage message) {
      if (cancelled || ended) {
        return;
      }
      scheduler.execute(
          () -> {
            if (!cancelled) {
              observer.onNext(message);
            }
          });
    }

    @Override
    public void complete() {
      ended = true;
      scheduler.execute(
          () -> {
            if (!cancelled) {
              observer.onCompleted();
            }
          });
    }

    @Override
    public void fail(ClusterException error) {
      ended = true;
      scheduler.execute(
          () -> {
            if (!cancelled) {
              observer.onError(error);
            }
          });
    }

    @Override
    public void setOnReady(Runnable r) {}

    @Override
    public void setOnCancel(Runnable r) {
      onCancel = r;
    }
  }
}
