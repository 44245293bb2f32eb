package org.mailcluster.transport.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mailcluster.membership.NodeAddress;

/**
 * A TCP proxy on 127.0.0.1 that a test places between two nodes to inject network faults into real
 * gRPC connections: {@link Mode#PASS} forwards, {@link Mode#DELAY} forwards every chunk after a
 * fixed delay (order kept), {@link Mode#DROP_NEW} closes every new connection at once (a partition,
 * together with {@link #cut()}), and {@link Mode#HALF_OPEN} stops forwarding in both directions
 * while keeping the sockets open, as a peer behind a dead link or a stuck firewall would. {@link
 * #cut()} closes every connection it carries. One thread per direction of each connection.
 */
final class FaultProxy implements AutoCloseable {
  enum Mode {
    PASS,
    DELAY,
    DROP_NEW,
    HALF_OPEN
  }

  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Pair> pairs = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService delayLine =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "fault-proxy-delay");
            t.setDaemon(true);
            return t;
          });
  private final Object modeLock = new Object();
  private volatile Mode mode = Mode.PASS;
  private volatile Duration delay = Duration.ZERO;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong cuts = new AtomicLong();
  private volatile boolean closed;

  private FaultProxy(NodeAddress target) throws IOException {
    this.target = new InetSocketAddress(target.host(), target.port());
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::accept, "fault-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A proxy in {@link Mode#PASS} in front of {@code target}. */
  static FaultProxy to(NodeAddress target) {
    try {
      return new FaultProxy(target);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where nodes connect to reach the target through the proxy. */
  NodeAddress address() {
    return NodeAddress.of("127.0.0.1", server.getLocalPort());
  }

  void pass() {
    setMode(Mode.PASS);
  }

  void delay(Duration d) {
    this.delay = d;
    setMode(Mode.DELAY);
  }

  void dropNewConnections() {
    setMode(Mode.DROP_NEW);
  }

  void halfOpen() {
    setMode(Mode.HALF_OPEN);
  }

  /** Closes every connection the proxy carries now (new ones follow the mode). */
  void cut() {
    for (Pair p : pairs) {
      p.close();
    }
    cuts.incrementAndGet();
  }

  /** A partition: existing connections cut, new ones refused, until {@link #pass()}. */
  void partition() {
    dropNewConnections();
    cut();
  }

  Mode mode() {
    return mode;
  }

  long connectionsAccepted() {
    return accepted.get();
  }

  long connectionsRefused() {
    return refused.get();
  }

  long bytesForwarded() {
    return bytes.get();
  }

  int openConnections() {
    return pairs.size();
  }

  private void setMode(Mode m) {
    synchronized (modeLock) {
      mode = m;
      modeLock.notifyAll();
    }
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (mode == Mode.DROP_NEW) {
        refused.incrementAndGet();
        closeQuietly(client);
        continue;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 5_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      accepted.incrementAndGet();
      Pair pair = new Pair(client, upstream);
      pairs.add(pair);
      pair.start();
    }
  }

  /** Blocks while the proxy is half-open; true when the caller may forward. */
  private boolean awaitForwarding(Pair pair) {
    synchronized (modeLock) {
      while (mode == Mode.HALF_OPEN && !pair.closed && !closed) {
        try {
          modeLock.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return !pair.closed && !closed;
  }

  private final class Pair {
    final Socket a;
    final Socket b;
    volatile boolean closed;

    Pair(Socket a, Socket b) {
      this.a = a;
      this.b = b;
    }

    void start() {
      pump(a, b, "fault-proxy-up");
      pump(b, a, "fault-proxy-down");
    }

    private void pump(Socket from, Socket to, String name) {
      Thread t =
          new Thread(
              () -> {
                byte[] buffer = new byte[16 * 1024];
                // When the last delayed chunk of this direction goes out: until then every chunk
                // goes through the delay line too, so that leaving DELAY never reorders bytes.
                long delayedUntil = System.nanoTime();
                AtomicLong pending = new AtomicLong();
                try (InputStream in = from.getInputStream()) {
                  OutputStream out = to.getOutputStream();
                  while (true) {
                    // Half-open: neither read nor write, so the peers' buffers fill and nothing
                    // gets through, while both sockets stay open.
                    if (!awaitForwarding(this)) {
                      break;
                    }
                    int n = in.read(buffer);
                    if (n < 0 || !awaitForwarding(this)) {
                      break;
                    }
                    byte[] chunk = Arrays.copyOf(buffer, n);
                    long now = System.nanoTime();
                    long wait = mode == Mode.DELAY ? delay.toNanos() : 0;
                    wait = Math.max(wait, delayedUntil - now);
                    if (wait > 0 || pending.get() > 0) {
                      wait = Math.max(0, wait);
                      delayedUntil = now + wait;
                      pending.incrementAndGet();
                      delayLine.schedule(
                          () -> {
                            write(out, chunk);
                            pending.decrementAndGet();
                          },
                          wait,
                          TimeUnit.NANOSECONDS);
                    } else {
                      write(out, chunk);
                    }
                  }
                } catch (IOException e) {
                  // the connection was cut or reset: close both sides below
                }
                close();
              },
              name);
      t.setDaemon(true);
      t.start();
    }

    private void write(OutputStream out, byte[] chunk) {
      try {
        out.write(chunk);
        out.flush();
        bytes.addAndGet(chunk.length);
      } catch (IOException e) {
        close();
      }
    }

    void close() {
      closed = true;
      closeQuietly(a);
      closeQuietly(b);
      pairs.remove(this);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    cut();
    delayLine.shutdownNow();
  }
}
