package org.mailcluster.clock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.Diagnostics;
import org.mailcluster.ErrorCode;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.runtime.SystemScheduler;
import org.mailcluster.storage.FileStateStore;
import org.mailcluster.transport.ClusterTransport;
import org.mailcluster.transport.InboundHandler;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.StreamObserver;
import org.mailcluster.transport.Subscribe;

/**
 * The clock check against a real second process: a child JVM started with another {@code
 * -Duser.timezone} (a real, different time zone; no extra tool needed) whose wall clock answers 5 s
 * ahead. The node under test is a real {@link ClusterService} on the system scheduler and a file
 * store; its transport to the child is the child's stdin and stdout. The warnings and figures must
 * appear in the node's diagnostics and in the cluster log.
 */
@Tag("process")
class ClockRealProcessTest {
  private static final Duration CHILD_SKEW = Duration.ofSeconds(5);
  private static final NodeAddress CHILD = NodeAddress.parse("127.0.0.1:7402");

  @Test
  void aPeerInAnotherZoneWithASkewedClockIsReported(@TempDir Path tmp) throws Exception {
    ZoneId here = ZoneId.systemDefault();
    String childZone = here.getId().equals("Pacific/Chatham") ? "Asia/Tokyo" : "Pacific/Chatham";
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.timezone=" + childZone,
                "-cp",
                System.getProperty("java.class.path"),
                ClockChild.class.getName(),
                CHILD_SKEW.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    System.setErr(new PrintStream(new Tee(originalErr, log), true, StandardCharsets.UTF_8));
    try (PipeTransport transport = new PipeTransport(child)) {
      assertEquals("READY " + childZone, transport.readLine(), "the child's own default zone");
      ClusterService mx1 =
          ClusterService.builder()
              .node(NodeId.of("mx1"), NodeAddress.parse("127.0.0.1:7401"))
              .primary()
              .productVersion("23.5.2")
              .licenceKey("licence-mx1")
              .transport(transport)
              .stateStore(FileStateStore.builder(tmp.resolve("state")).build())
              .scheduler(SystemScheduler.create("mx1"))
              .clockCheck(ClockOptions.defaults().withInterval(Duration.ZERO))
              .build();
      try {
        mx1.start().get(30, TimeUnit.SECONDS);
        mx1.addServer(NodeId.of("mx2"), CHILD).get(30, TimeUnit.SECONDS);
        List<ClockState> clocks = mx1.checkClocks().get(30, TimeUnit.SECONDS);

        ClockState mx2 =
            clocks.stream().filter(c -> c.node().equals("mx2")).findFirst().orElseThrow();
        Duration offset = mx2.offset().orElseThrow();
        Duration bound = mx2.errorBound().orElseThrow();
        System.out.println(
            "real-process clock check: offset "
                + offset
                + " ± "
                + bound
                + " (round trip "
                + mx2.roundTrip().orElseThrow()
                + "), zone "
                + mx2.zone().orElseThrow()
                + " UTC"
                + mx2.utcOffset().orElseThrow()
                + " vs "
                + here);
        // Both processes read the same system clock, so the true offset is the child's skew.
        assertTrue(
            offset.minus(CHILD_SKEW).abs().compareTo(bound) <= 0,
            offset + " ± " + bound + " does not contain " + CHILD_SKEW);
        assertTrue(mx2.drifting());
        assertTrue(mx2.zoneDiffers());
        assertEquals(childZone, mx2.zone().orElseThrow());

        Diagnostics d = mx1.diagnostics();
        assertEquals(clocks, d.clocks());
        List<String> events = d.recentEvents().stream().map(Diagnostics.Event::message).toList();
        assertTrue(
            events.stream()
                .anyMatch(m -> m.matches("clock of mx2 is [45]\\.\\d{3}s ahead of mx1 .*")),
            events.toString());
        assertTrue(
            events.stream().anyMatch(m -> m.startsWith("time zone of mx2 is " + childZone)),
            events.toString());
      } finally {
        mx1.close();
      }
    } finally {
      System.setErr(originalErr);
      child.destroy();
      child.waitFor(10, TimeUnit.SECONDS);
    }
    String clusterLog = log.toString(StandardCharsets.UTF_8);
    assertTrue(
        clusterLog.matches(
            "(?s).*WARN mailcluster.cluster - clock of mx2 is [45]\\.\\d{3}s ahead.*"),
        clusterLog);
    assertTrue(
        clusterLog.contains("WARN mailcluster.cluster - time zone of mx2 is " + childZone),
        clusterLog);
  }

  /** Writes to two streams: the test's stderr and the captured cluster log. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }

  /**
   * A transport whose only peer is the child process: pings and the {@code clock} service go over
   * its stdin and stdout, one request at a time, on the transport's own thread.
   */
  private static final class PipeTransport implements ClusterTransport, PeerChannel {
    private final Writer toChild;
    private final BufferedReader fromChild;
    private final ExecutorService io = Executors.newSingleThreadExecutor();

    PipeTransport(Process child) {
      this.toChild =
          new java.io.OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8);
      this.fromChild =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    }

    String readLine() throws IOException {
      return fromChild.readLine();
    }

    private String ask(String line) {
      try {
        toChild.write(line + "\n");
        toChild.flush();
        String answer = fromChild.readLine();
        if (answer == null) {
          throw new ClusterException(ErrorCode.UNAVAILABLE, "the child process ended");
        }
        return answer;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void start(InboundHandler handler) {}

    @Override
    public NodeAddress localAddress() {
      return NodeAddress.parse("127.0.0.1:7401");
    }

    @Override
    public PeerChannel connect(NodeAddress peer) {
      return this;
    }

    @Override
    public CompletableFuture<Response> call(Request request, Duration deadline) {
      CompletableFuture<Response> answer =
          CompletableFuture.supplyAsync(
              () -> {
                if (request instanceof Request.Ping p) {
                  String[] f = ask("PING").split(" ");
                  return new Response.Pong(p.sentAt(), Instant.parse(f[1]), Instant.parse(f[2]), 1);
                }
                if (request instanceof Request.ZoneQuery) {
                  String[] z = ask("ZONE").split(" ");
                  return new Response.Zone(ZoneId.of(z[1]), ZoneOffset.of(z[2]), 1);
                }
                throw new ClusterException(
                    ErrorCode.UNAVAILABLE, "the child answers only clock requests, not " + request);
              },
              io);
      return answer.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public Subscription subscribe(Subscribe request, StreamObserver<ReplicationMessage> observer) {
      observer.onError(new ClusterException(ErrorCode.UNAVAILABLE, "no streams to the child"));
      return () -> {};
    }

    @Override
    public void close() {
      io.shutdownNow();
      try {
        toChild.close();
      } catch (IOException e) {
        // The child is being stopped anyway.
      }
    }
  }
}
