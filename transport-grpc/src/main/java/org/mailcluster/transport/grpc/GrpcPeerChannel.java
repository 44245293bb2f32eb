package org.mailcluster.transport.grpc;

import com.google.protobuf.ByteString;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.Subscribe;
import org.mailcluster.transport.grpc.v1.ClusterGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel to one peer. gRPC reconnects by itself with jittered exponential backoff; calls fail
 * fast with {@code UNAVAILABLE} while the peer is down, and a call made after a failure asks for an
 * immediate reconnection attempt, so the node's own retry schedule decides how often to try.
 */
final class GrpcPeerChannel implements PeerChannel {
  private static final Logger log = LoggerFactory.getLogger(GrpcPeerChannel.class);
  private static final Logger clusterLog = LoggerFactory.getLogger("mailcluster.cluster");
  private static final int ROUND_TRIP_WINDOW = 8;
  // The first probes of a new connection pay for class loading and TLS warm-up: judge the LAN
  // only once the window holds a few samples.
  private static final int SAMPLES_BEFORE_WARNING = 3;

  /** How many delivered replication messages a receiver may hold before it releases any. */
  private static final int RECEIVE_WINDOW = 16;

  private final NodeAddress peer;
  private final ManagedChannel channel;
  private final ClusterGrpc.ClusterStub stub;
  private final long maxAssembledBytes;
  private final Duration roundTripWarning;
  private final Runnable onClose;
  private final Deque<Duration> roundTrips = new ArrayDeque<>(); // guarded by itself
  private volatile Optional<Duration> roundTrip = Optional.empty();
  private volatile boolean warnedSlow;
  private volatile boolean closed;
  private volatile boolean warmedUp; // whether the first, unmeasured probe was sent

  GrpcPeerChannel(
      NodeAddress peer,
      ManagedChannel channel,
      long maxAssembledBytes,
      Duration roundTripWarning,
      Runnable onClose) {
    this.peer = peer;
    this.channel = channel;
    this.stub = ClusterGrpc.newStub(channel);
    this.maxAssembledBytes = maxAssembledBytes;
    this.roundTripWarning = roundTripWarning;
    this.onClose = onClose;
  }

  NodeAddress peer() {
    return peer;
  }

  @Override
  public CompletableFuture<Response> call(Request request, Duration deadline) {
    java.util.Objects.requireNonNull(request, "request");
    java.util.Objects.requireNonNull(deadline, "deadline");
    if (closed) {
      return CompletableFuture.failedFuture(
          new ClusterException(ErrorCode.UNAVAILABLE, "the channel to " + peer + " is closed"));
    }
    wakeUp();
    ClusterGrpc.ClusterStub s = stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    CompletableFuture<Response> result = new CompletableFuture<>();
    try {
      if (request instanceof Request.Join j) {
        s.join(Wire.encode(j), unary(result, Wire::decode));
      } else if (request instanceof Request.Ack a) {
        s.acknowledge(Wire.encode(a), unary(result, Wire::decode));
      } else if (request instanceof Request.Ping p) {
        s.ping(Wire.encode(p), unary(result, Wire::decode));
      } else if (request instanceof Request.Forward f) {
        s.forward(Wire.encode(f), unary(result, Wire::decode));
      } else if (request instanceof Request.StatusQuery q) {
        s.status(Wire.encode(q), unary(result, Wire::decode));
      } else if (request instanceof Request.EpochGrant g) {
        s.grantEpoch(Wire.encode(g), unary(result, Wire::decode));
      } else if (request instanceof Request.Resync r) {
        s.resync(Wire.encode(r), unary(result, Wire::decode));
      } else if (request instanceof Request.SnapshotInstalled i) {
        s.snapshotInstalled(Wire.encode(i), unary(result, Wire::decode));
      } else if (request instanceof Request.ZoneQuery z) {
        s.zone(Wire.encode(z), unary(result, Wire::decode));
      } else if (request instanceof Request.StateCopy c) {
        s.copyState(Wire.encode(c), unary(result, Wire::decode));
      } else if (request instanceof Request.ProbeRead r) {
        s.readProbe(Wire.encode(r), unary(result, Wire::decode));
      } else {
        s.reportStatus(Wire.encode((Request.StatusReport) request), unary(result, Wire::decode));
      }
    } catch (RuntimeException e) {
      result.completeExceptionally(
          new ClusterException(
              ErrorCode.UNAVAILABLE, "could not call " + peer + ": " + e.getMessage(), e));
    }
    return result;
  }

  private <A> StreamObserver<A> unary(
      CompletableFuture<Response> result, Function<A, ? extends Response> decode) {
    return new StreamObserver<>() {
      @Override
      public void onNext(A answer) {
        try {
          result.complete(decode.apply(answer));
        } catch (ClusterException e) {
          result.completeExceptionally(e);
        }
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(Wire.fromStatus(t));
      }

      @Override
      public void onCompleted() {
        if (!result.isDone()) {
          result.completeExceptionally(
              new ClusterException(ErrorCode.UNAVAILABLE, peer + " ended the call without answer"));
        }
      }
    };
  }

  @Override
  public Subscription subscribe(
      Subscribe request, org.mailcluster.transport.StreamObserver<ReplicationMessage> observer) {
    java.util.Objects.requireNonNull(request, "request");
    java.util.Objects.requireNonNull(observer, "observer");
    Receiver receiver = new Receiver(observer);
    if (closed) {
      receiver.end(
          new ClusterException(ErrorCode.UNAVAILABLE, "the channel to " + peer + " is closed"));
      return () -> {};
    }
    wakeUp();
    stub.subscribe(Wire.encode(request), receiver);
    return receiver;
  }

  /** Asks for an immediate reconnection if the channel is waiting out a backoff. */
  private void wakeUp() {
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff();
    }
  }

  @Override
  public Optional<Duration> roundTrip() {
    return roundTrip;
  }

  /** Measures one round trip with a health check (answered by the transport, not the node). */
  void probeRoundTrip(Duration timeout) {
    // Asking for the state with true also connects an idle channel, so the next probe measures.
    if (closed || channel.getState(true) != ConnectivityState.READY) {
      return;
    }
    // The first call on a channel pays for code that has not run yet in this process (tens of
    // milliseconds on loopback): it warms up, and the call right after it is measured.
    boolean warmUp = !warmedUp;
    warmedUp = true;
    probe(timeout, warmUp);
  }

  private void probe(Duration timeout, boolean warmUp) {
    long start = System.nanoTime();
    var future =
        HealthGrpc.newFutureStub(channel)
            .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
            .check(HealthCheckRequest.getDefaultInstance());
    future.addListener(
        () -> {
          if (future.isCancelled()) {
            return;
          }
          try {
            future.get();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          } catch (java.util.concurrent.ExecutionException e) {
            return;
          }
          if (warmUp) {
            if (!closed) {
              probe(timeout, false);
            }
          } else {
            record(Duration.ofNanos(System.nanoTime() - start));
          }
        },
        Runnable::run);
  }

  private void record(Duration sample) {
    Duration min;
    int samples;
    synchronized (roundTrips) {
      roundTrips.addLast(sample);
      while (roundTrips.size() > ROUND_TRIP_WINDOW) {
        roundTrips.removeFirst();
      }
      min = roundTrips.stream().min(Duration::compareTo).orElseThrow();
      samples = roundTrips.size();
    }
    roundTrip = Optional.of(min);
    if (samples < SAMPLES_BEFORE_WARNING) {
      return;
    }
    if (min.compareTo(roundTripWarning) > 0) {
      if (!warnedSlow) {
        warnedSlow = true;
        clusterLog.warn(
            "the round trip to {} is {} ms, above {} ms: the nodes of a cluster must share one"
                + " LAN (mail store on common storage, fast replication); move them together",
            peer,
            String.format(java.util.Locale.ROOT, "%.2f", min.toNanos() / 1e6),
            roundTripWarning.toMillis());
      }
    } else {
      warnedSlow = false;
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    channel.shutdownNow();
    onClose.run();
  }

  /** Receives one replication stream, joining fragments, and calls the observer at most once. */
  private final class Receiver
      implements Subscription,
          ClientResponseObserver<
              org.mailcluster.transport.grpc.v1.SubscribeRequest,
              org.mailcluster.transport.grpc.v1.ReplicationMessage> {
    private final org.mailcluster.transport.StreamObserver<ReplicationMessage> observer;
    private volatile ClientCallStreamObserver<org.mailcluster.transport.grpc.v1.SubscribeRequest>
        call;
    private volatile boolean ended;
    private ByteString.Output assembling;

    Receiver(org.mailcluster.transport.StreamObserver<ReplicationMessage> observer) {
      this.observer = observer;
    }

    @Override
    public void beforeStart(
        ClientCallStreamObserver<org.mailcluster.transport.grpc.v1.SubscribeRequest> call) {
      this.call = call;
      // Receiver flow control: gRPC reads a message from the connection only when asked, so at
      // most RECEIVE_WINDOW messages the observer has not released are ever delivered; past that
      // the primary's stream reports not ready and it stops sending.
      call.disableAutoRequestWithInitial(RECEIVE_WINDOW);
    }

    @Override
    public void release(int messages) {
      if (messages < 0) {
        throw new IllegalArgumentException("cannot release " + messages + " messages");
      }
      var c = call;
      if (!ended && c != null && messages > 0) {
        c.request(messages);
      }
    }

    @Override
    public void onNext(org.mailcluster.transport.grpc.v1.ReplicationMessage message) {
      if (ended) {
        return;
      }
      try {
        if (message.hasFragment()) {
          if (assembling == null) {
            assembling = ByteString.newOutput();
          }
          ByteString data = message.getFragment().getData();
          if (assembling.size() + (long) data.size() > maxAssembledBytes) {
            throw new ClusterException(
                ErrorCode.CORRUPT_DATA,
                peer
                    + " sent a replication message larger than "
                    + maxAssembledBytes
                    + " bytes: raise the transport's maxAssembledMessageSize on the secondaries");
          }
          data.writeTo(assembling);
          if (!message.getFragment().getLast()) {
            call.request(1); // a part of one message: the window counts whole messages
            return;
          }
          ByteString whole = assembling.toByteString();
          assembling = null;
          message = org.mailcluster.transport.grpc.v1.ReplicationMessage.parseFrom(whole);
          if (message.hasFragment()) {
            throw new ClusterException(
                ErrorCode.CORRUPT_DATA, peer + " sent a fragment inside a fragment");
          }
        }
        ReplicationMessage decoded = Wire.decode(message);
        try {
          observer.onNext(decoded);
        } catch (RuntimeException e) {
          log.error("a stream observer threw; the stream from {} ends", peer, e);
          cancelWith(new ClusterException(ErrorCode.UNAVAILABLE, "the receiver failed: " + e, e));
        }
      } catch (ClusterException e) {
        cancelWith(e);
      } catch (java.io.IOException e) {
        cancelWith(
            new ClusterException(
                ErrorCode.CORRUPT_DATA, peer + " sent an unreadable replication message", e));
      }
    }

    private void cancelWith(ClusterException e) {
      clusterLog.warn("ending the replication stream from {}: {}", peer, e.getMessage());
      end(e);
      var c = call;
      if (c != null) {
        c.cancel(e.getMessage(), null);
      }
    }

    @Override
    public void onError(Throwable t) {
      end(Wire.fromStatus(t));
    }

    @Override
    public void onCompleted() {
      if (ended) {
        return;
      }
      ended = true;
      try {
        observer.onCompleted();
      } catch (RuntimeException e) {
        log.error("a stream observer threw on completion", e);
      }
    }

    void end(ClusterException error) {
      if (ended) {
        return;
      }
      ended = true;
      try {
        observer.onError(error);
      } catch (RuntimeException e) {
        log.error("a stream observer threw on error", e);
      }
    }

    @Override
    public void cancel() {
      ended = true;
      var c = call;
      if (c != null) {
        c.cancel("cancelled by the receiver", null);
      }
    }
  }
}
