package org.mailcluster.benchmarks.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.mailcluster.ClusterListener;
import org.mailcluster.ClusterService;
import org.mailcluster.ClusterServiceBuilder;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.runtime.SystemScheduler;
import org.mailcluster.storage.FileStateStore;
import org.mailcluster.storage.FsyncPolicy;
import org.mailcluster.transport.InboundHandler;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.ServerStream;
import org.mailcluster.transport.Subscribe;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority;
import org.mailcluster.transport.grpc.GrpcTransport;
import org.mailcluster.transport.grpc.TransportSecurity;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * End-to-end replication over the real transport: three nodes in one JVM, gRPC with mutual TLS on
 * loopback, file state stores without fsync (targets in benchmarks/README.md). The baseline is a
 * plain gRPC unary round trip over the same mutual-TLS transport, to a handler that answers at
 * once.
 *
 * <ul>
 *   <li>{@code echoRoundTrip}: the baseline.
 *   <li>{@code commitUntilAppliedOnTwoSecondaries}: one single-key commit on the primary, until
 *       both secondaries have applied it (target: median ≤ 2 × the echo).
 *   <li>{@code batchedCommitsUntilAppliedOnTwoSecondaries}: 1000 single-key commits submitted
 *       together, until both secondaries have applied the last (target ≥ 50 000 changes/s).
 * </ul>
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GrpcReplicationBenchmark {
  private final List<ClusterService> nodes = new ArrayList<>();
  private final List<Applied> secondaries = new ArrayList<>();
  private GrpcTransport echoServer;
  private GrpcTransport echoClient;
  private PeerChannel echo;
  private ClusterService primary;
  private Path home;
  private SettingKey key;
  private long counter;

  /** Tracks the revision a secondary has applied, and wakes whoever waits for one. */
  private static final class Applied implements ClusterListener {
    private Revision latest = Revision.INITIAL;

    @Override
    public synchronized void configurationChanged(ConfigSnapshot now, ConfigDiff diff) {
      if (now.revision().compareTo(latest) > 0) {
        latest = now.revision();
        notifyAll();
      }
    }

    synchronized void await(Revision r) throws InterruptedException {
      long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
      while (latest.compareTo(r) < 0) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("revision " + r + " not applied within a minute");
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    home = Files.createTempDirectory("mailcluster-bench");
    ClusterCertificateAuthority ca = ClusterCertificateAuthority.create("bench");
    NodeAddress a1 = freeAddress();
    NodeAddress a2 = freeAddress();
    NodeAddress a3 = freeAddress();
    primary = node(ca, "mx1", a1, null);
    primary.addServer(NodeId.of("mx2"), a2).get(10, TimeUnit.SECONDS);
    primary.addServer(NodeId.of("mx3"), a3).get(10, TimeUnit.SECONDS);
    for (String[] s : new String[][] {{"mx2", a2.toString()}, {"mx3", a3.toString()}}) {
      ClusterService secondary = node(ca, s[0], NodeAddress.parse(s[1]), a1);
      Applied applied = new Applied();
      secondary.addListener(applied);
      secondary.awaitSynchronized().get(30, TimeUnit.SECONDS);
      secondaries.add(applied);
    }
    key = SettingKey.plugin("bench", "value");

    NodeId server = NodeId.of("echo-server");
    NodeId client = NodeId.of("echo-client");
    echoServer =
        GrpcTransport.builder(server, "127.0.0.1", 0)
            .security(TransportSecurity.mutualTls(ca.issue(server, List.of("127.0.0.1"))))
            .build();
    echoServer.start(new Echo());
    echoClient =
        GrpcTransport.builder(client, "127.0.0.1", 0)
            .security(TransportSecurity.mutualTls(ca.issue(client, List.of("127.0.0.1"))))
            .build();
    echoClient.start(new Echo());
    echo = echoClient.connect(echoServer.localAddress());
  }

  private ClusterService node(
      ClusterCertificateAuthority ca, String id, NodeAddress address, NodeAddress primaryAddress)
      throws Exception {
    NodeId node = NodeId.of(id);
    ClusterServiceBuilder b =
        ClusterService.builder()
            .node(node, address)
            .productVersion("23.5.2")
            .licenceKey("licence-" + id)
            .registry(SettingsRegistry.create())
            .stateStore(
                FileStateStore.builder(home.resolve(id)).fsyncPolicy(FsyncPolicy.NONE).build())
            .transport(
                GrpcTransport.builder(node, address)
                    .security(TransportSecurity.mutualTls(ca.issue(node, List.of("127.0.0.1"))))
                    .build())
            .scheduler(SystemScheduler.create(id))
            .snapshotInterval(1_000_000);
    ClusterService cluster =
        primaryAddress == null ? b.primary().build() : b.secondaryOf(primaryAddress).build();
    cluster.start().get(10, TimeUnit.SECONDS);
    nodes.add(cluster);
    return cluster;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    echo.close();
    echoClient.close();
    echoServer.close();
    for (ClusterService n : nodes) {
      n.close(Duration.ofSeconds(10));
    }
    try (Stream<Path> files = Files.walk(home)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Response echoRoundTrip() {
    return echo.call(new Request.Ping(Instant.EPOCH, 1), Duration.ofSeconds(10)).join();
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Revision commitUntilAppliedOnTwoSecondaries() throws InterruptedException {
    Revision r =
        primary.update(ConfigUpdate.builder("bench").setRaw(key, "v" + counter++).build()).join();
    for (Applied s : secondaries) {
      s.await(r);
    }
    return r;
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(1000)
  public Revision batchedCommitsUntilAppliedOnTwoSecondaries() throws InterruptedException {
    CompletableFuture<Revision> last = null;
    for (int i = 0; i < 1000; i++) {
      last = primary.update(ConfigUpdate.builder("bench").setRaw(key, "v" + counter++).build());
    }
    Revision r = last.join();
    for (Applied s : secondaries) {
      s.await(r);
    }
    return r;
  }

  private static NodeAddress freeAddress() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return NodeAddress.of("127.0.0.1", socket.getLocalPort());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Answers every call at once: the baseline's far end. */
  private static final class Echo implements InboundHandler {
    @Override
    public CompletableFuture<Response> handle(PeerIdentity from, Request request) {
      Request.Ping p = (Request.Ping) request;
      return CompletableFuture.completedFuture(
          new Response.Pong(p.sentAt(), p.sentAt(), p.sentAt(), p.epoch()));
    }

    @Override
    public void subscribe(
        PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream) {
      stream.complete();
    }
  }
}
