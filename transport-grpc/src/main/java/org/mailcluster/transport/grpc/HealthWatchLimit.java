package org.mailcluster.transport.grpc;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the health service's {@code Watch} streams, which anyone who reaches the port may open
 * without a certificate and which stay open until the caller goes: at most {@link #PER_HOST} from
 * one host and {@link #TOTAL} in all; beyond that a watch is refused with {@code
 * RESOURCE_EXHAUSTED}, and {@code Check} keeps answering. A stream that ends, or whose connection
 * closes, gives its place back.
 */
final class HealthWatchLimit implements ServerInterceptor {
  static final int PER_HOST = 16;
  static final int TOTAL = 256;
  private static final String WATCH = "grpc.health.v1.Health/Watch";

  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<String, AtomicInteger> perHost = new ConcurrentHashMap<>();

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (!call.getMethodDescriptor().getFullMethodName().equals(WATCH)) {
      return next.startCall(call, headers);
    }
    String host = host(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    AtomicInteger mine = perHost.computeIfAbsent(host, h -> new AtomicInteger());
    int fromHost = mine.incrementAndGet();
    int all = total.incrementAndGet();
    if (fromHost > PER_HOST || all > TOTAL) {
      release(host, mine);
      call.close(
          Status.RESOURCE_EXHAUSTED.withDescription(
              "too many health watches open ("
                  + PER_HOST
                  + " per host, "
                  + TOTAL
                  + " in all): close some, or poll with Check"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Runnable done =
        new Runnable() {
          private boolean released;

          @Override
          public synchronized void run() {
            if (!released) {
              released = true;
              release(host, mine);
            }
          }
        };
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
        next.startCall(call, headers)) {
      @Override
      public void onCancel() {
        done.run();
        super.onCancel();
      }

      @Override
      public void onComplete() {
        done.run();
        super.onComplete();
      }
    };
  }

  private void release(String host, AtomicInteger mine) {
    total.decrementAndGet();
    if (mine.decrementAndGet() <= 0) {
      perHost.remove(host, mine);
    }
  }

  /** The number of watches open now, for tests. */
  int open() {
    return total.get();
  }

  private static String host(SocketAddress address) {
    return address instanceof InetSocketAddress a
        ? a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString()
        : String.valueOf(address);
  }
}
