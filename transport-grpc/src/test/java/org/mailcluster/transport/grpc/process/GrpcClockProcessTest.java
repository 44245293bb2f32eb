package org.mailcluster.transport.grpc.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterService;
import org.mailcluster.Diagnostics;
import org.mailcluster.clock.ClockState;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.runtime.SystemScheduler;
import org.mailcluster.storage.FileStateStore;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority;
import org.mailcluster.transport.grpc.GrpcTransport;
import org.mailcluster.transport.grpc.TransportSecurity;

/**
 * The clock check between two real processes over the gRPC transport with mutual TLS: the primary
 * runs in this JVM, the secondary in a child JVM started with another {@code -Duser.timezone} (a
 * real, different time zone; no extra tool needed). Each side must report the other's zone in its
 * diagnostics and its cluster log, with the measured offset and error bound.
 */
@Tag("process")
class GrpcClockProcessTest {
  private static final Duration ANSWER = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void nodesInDifferentTimeZonesWarnOnBothSides() throws Exception {
    ZoneId here = ZoneId.systemDefault();
    String childZone = here.getId().equals("Pacific/Chatham") ? "Asia/Tokyo" : "Pacific/Chatham";
    int[] ports = freePorts();
    ClusterCertificateAuthority ca = ClusterCertificateAuthority.create("clock-test");
    ca.issue(NodeId.of("mx2"), List.of("127.0.0.1")).writeTo(dir.resolve("certs/mx2"));
    Files.createDirectories(dir.resolve("mx2/App"));

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    System.setErr(new PrintStream(new Tee(originalErr, log), true, StandardCharsets.UTF_8));
    ClusterService mx1 = null;
    try (ChildNode mx2 =
        ChildNode.start(
            "mx2",
            List.of("-Duser.timezone=" + childZone),
            List.of(
                "--id", "mx2",
                "--role", "secondary",
                "--port", Integer.toString(ports[1]),
                "--primary", "127.0.0.1:" + ports[0],
                "--state", dir.resolve("mx2/Cluster").toString(),
                "--app", dir.resolve("mx2/App").toString(),
                "--certs", dir.resolve("certs/mx2").toString()))) {
      mx1 =
          ClusterService.builder()
              .node(NodeId.of("mx1"), NodeAddress.of("127.0.0.1", ports[0]))
              .primary()
              .productVersion(NodeProcess.PRODUCT_VERSION)
              .licenceKey("licence-mx1")
              .transport(
                  GrpcTransport.builder(NodeId.of("mx1"), "127.0.0.1", ports[0])
                      .security(
                          TransportSecurity.mutualTls(
                              ca.issue(NodeId.of("mx1"), List.of("127.0.0.1"))))
                      .roundTripWarning(Duration.ofSeconds(2))
                      .gracePeriod(Duration.ofSeconds(1))
                      .build())
              .stateStore(FileStateStore.builder(dir.resolve("mx1/Cluster")).build())
              .scheduler(SystemScheduler.create("mx1"))
              .build();
      mx1.start().get(60, TimeUnit.SECONDS);
      mx1.addServer(NodeId.of("mx2"), NodeAddress.of("127.0.0.1", ports[1]))
          .get(60, TimeUnit.SECONDS);
      assertTrue(mx2.next("start", ANSWER).startsWith("ready mx2"), mx2.stderr().toString());
      assertTrue(mx2.ask("synced", ANSWER).startsWith("synced"), mx2.stderr().toString());

      // The primary's view of the child.
      List<ClockState> clocks = mx1.checkClocks().get(60, TimeUnit.SECONDS);
      ClockState seen =
          clocks.stream().filter(c -> c.node().equals("mx2")).findFirst().orElseThrow();
      Duration offset = seen.offset().orElseThrow();
      Duration bound = seen.errorBound().orElseThrow();
      System.out.println(
          "gRPC real-process clock check: mx2 offset "
              + offset
              + " ± "
              + bound
              + ", zone "
              + seen.zone().orElseThrow()
              + " UTC"
              + seen.utcOffset().orElseThrow()
              + " vs "
              + here);
      // One machine, one system clock: the true offset is zero, within the bound.
      assertTrue(offset.abs().compareTo(bound) <= 0, offset + " ± " + bound);
      assertEquals(childZone, seen.zone().orElseThrow());
      assertTrue(seen.zoneDiffers());
      Diagnostics d = mx1.diagnostics();
      assertTrue(d.clocks().contains(seen), d.clocks().toString());
      assertTrue(
          d.recentEvents().stream()
              .anyMatch(e -> e.message().startsWith("time zone of mx2 is " + childZone)),
          d.recentEvents().toString());

      // The child's view of the primary, from its own diagnostics and its own cluster log.
      List<String> childClocks = mx2.askLines("clocks", ANSWER);
      assertEquals(1, childClocks.size(), childClocks.toString());
      String[] f = childClocks.get(0).split(" ");
      assertEquals(List.of("clock", "mx1", here.getId(), "true"), List.of(f[0], f[1], f[4], f[6]));
      assertTrue(
          mx2.askLines("events", ANSWER).stream()
              .anyMatch(l -> l.startsWith("event WARN time zone of mx1 is " + here.getId())));
      assertTrue(
          mx2.stderr().stream()
              .anyMatch(
                  l ->
                      l.contains("WARN mailcluster.cluster - time zone of mx1 is " + here.getId())),
          mx2.stderr().toString());
      assertEquals("bye", mx2.ask("quit", ANSWER));
    } finally {
      if (mx1 != null) {
        mx1.close();
      }
      System.setErr(originalErr);
    }
    String clusterLog = log.toString(StandardCharsets.UTF_8);
    assertTrue(
        clusterLog.contains("WARN mailcluster.cluster - time zone of mx2 is " + childZone),
        clusterLog);
  }

  private static int[] freePorts() throws IOException {
    try (ServerSocket a = new ServerSocket(0);
        ServerSocket b = new ServerSocket(0)) {
      return new int[] {a.getLocalPort(), b.getLocalPort()};
    }
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
}
