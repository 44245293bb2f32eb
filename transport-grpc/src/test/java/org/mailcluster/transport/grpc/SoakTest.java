package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterService;
import org.mailcluster.ClusterServiceBuilder;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.runtime.SystemScheduler;
import org.mailcluster.storage.FileStateStore;

/**
 * A soak: a three-node cluster over gRPC with mutual TLS, continuous commits on the primary, and
 * random network faults ({@link FaultProxy} between the secondaries and the primary: cuts, slow
 * links, partitions, half-open connections) for a set time. Every few seconds it samples the heap
 * in use after a full collection, the open file descriptors ({@code /proc/self/fd}) and the live
 * threads (the proxy's own excepted), while the network is healthy; at the end the network heals,
 * both secondaries must converge, and the later samples must not exceed the earlier ones by more
 * than a margin: no leak of memory, connections or threads.
 *
 * <p>Runs for 20 seconds in the normal build; {@code -Dmailcluster.soak.minutes=30} runs the long
 * form. {@code -Dmailcluster.soak.seed=S} replays the fault sequence of an earlier run, whose seed
 * it prints.
 */
@Tag("soak")
class SoakTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final SettingsRegistry REGISTRY = SettingsRegistry.create();

  private final List<ClusterService> nodes = new ArrayList<>();
  private FaultProxy proxy;
  @TempDir Path home;

  enum FaultKind {
    CUT,
    DELAY,
    PARTITION,
    HALF_OPEN
  }

  /** One sample of what a leak would make grow. */
  record Sample(long atMillis, long heapBytes, long fileDescriptors, int threads) {}

  @AfterEach
  void close() {
    if (proxy != null) {
      proxy.close();
    }
    for (ClusterService n : nodes) {
      n.close(Duration.ofSeconds(5));
    }
  }

  private ClusterService node(
      String id, NodeAddress advertised, NodeAddress listen, Optional<NodeAddress> primary) {
    NodeId node = NodeId.of(id);
    ClusterServiceBuilder b =
        ClusterService.builder()
            .node(node, advertised)
            .productVersion("23.5.2")
            .licenceKey("licence-" + id)
            .registry(REGISTRY)
            .stateStore(FileStateStore.builder(home.resolve(id)).build())
            .historyRetention(1_000, Duration.ofHours(1))
            .transport(
                GrpcTransport.builder(node, listen)
                    .security(TestCluster.tls(node))
                    .gracePeriod(Duration.ofSeconds(2))
                    .keepAlive(Duration.ofSeconds(10), Duration.ofSeconds(2))
                    .roundTripWarning(Duration.ofSeconds(5))
                    .build())
            .scheduler(SystemScheduler.create(id))
            .heartbeatInterval(Duration.ofMillis(200));
    ClusterService n =
        primary.isPresent() ? b.secondaryOf(primary.get()).build() : b.primary().build();
    nodes.add(n);
    n.start().join();
    return n;
  }

  private static long openFileDescriptors() {
    Path fds = Path.of("/proc/self/fd");
    if (!Files.isDirectory(fds)) {
      return -1;
    }
    try (Stream<Path> list = Files.list(fds)) {
      return list.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Sample sample(long t0) {
    System.gc();
    System.gc();
    return new Sample(
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(),
        openFileDescriptors(),
        (int) nodeThreads().count());
  }

  /** Live threads, except the fault proxy's own (one pair per connection it carries). */
  private static Stream<Thread> nodeThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && !t.getName().startsWith("fault-proxy"));
  }

  /** Live threads by name with digits dropped, largest groups first: what a leak would show. */
  private static String threadGroups() {
    Map<String, Long> groups =
        nodeThreads()
            .collect(
                java.util.stream.Collectors.groupingBy(
                    t -> t.getName().replaceAll("[0-9]+", "#"),
                    java.util.TreeMap::new,
                    java.util.stream.Collectors.counting()));
    return groups.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(8)
        .map(e -> e.getKey() + "=" + e.getValue())
        .toList()
        .toString();
  }

  @Test
  void aThreeNodeClusterUnderChangesAndNetworkFaultsKeepsItsResourcesStable() throws Exception {
    String minutes = System.getProperty("mailcluster.soak.minutes");
    Duration duration =
        minutes == null || minutes.isBlank()
            ? Duration.ofSeconds(20)
            : Duration.ofSeconds(Math.round(Double.parseDouble(minutes) * 60));
    long seed = Long.getLong("mailcluster.soak.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.println(
        "soak: seed " + seed + " (replay with -Dmailcluster.soak.seed=" + seed + "), " + duration);
    Duration sampleEvery = duration.compareTo(Duration.ofMinutes(2)) > 0 ? seconds(10) : seconds(1);

    NodeAddress a1 = TestCluster.unusedAddress();
    NodeAddress a2 = TestCluster.unusedAddress();
    NodeAddress a3 = TestCluster.unusedAddress();
    proxy = FaultProxy.to(a1);
    // The primary is known by the proxy's address, so every secondary reaches it through the
    // proxy, also when it looks for its primary among the registered servers.
    ClusterService mx1 = node("mx1", proxy.address(), a1, Optional.empty());
    mx1.addServer(NodeId.of("mx2"), a2).get(10, TimeUnit.SECONDS);
    mx1.addServer(NodeId.of("mx3"), a3).get(10, TimeUnit.SECONDS);
    ClusterService mx2 = node("mx2", a2, a2, Optional.of(proxy.address()));
    ClusterService mx3 = node("mx3", a3, a3, Optional.of(proxy.address()));
    mx2.awaitSynchronized().get(30, TimeUnit.SECONDS);
    mx3.awaitSynchronized().get(30, TimeUnit.SECONDS);

    long t0 = System.nanoTime();
    long end = t0 + duration.toNanos();
    List<Sample> samples = new ArrayList<>();
    samples.add(sample(t0));
    long nextSample = System.nanoTime() + sampleEvery.toNanos();
    long nextFault = System.nanoTime() + seconds(1 + random.nextInt(3)).toNanos();
    boolean faulty = false;
    Map<FaultKind, Integer> faults = new EnumMap<>(FaultKind.class);
    long commits = 0;
    List<CompletableFuture<Revision>> window = new ArrayList<>();
    // The writer paces everything: between commits it takes samples and injects or heals faults
    // when their time has come.
    while (System.nanoTime() - end < 0) {
      window.add(
          mx1.update(
              ConfigUpdate.builder("api:soak")
                  .setRaw(
                      SettingKey.ini("MDaemon.ini", "Soak", "K" + random.nextInt(200)),
                      Long.toHexString(random.nextLong()))
                  .build()));
      if (window.size() == 8) {
        CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        commits += window.size();
        window.clear();
      }
      long now = System.nanoTime();
      if (now - nextFault >= 0) {
        if (faulty) {
          proxy.pass();
          faulty = false;
          nextFault = now + seconds(2 + random.nextInt(4)).toNanos();
        } else {
          FaultKind kind = FaultKind.values()[random.nextInt(FaultKind.values().length)];
          faults.merge(kind, 1, Integer::sum);
          if (kind == FaultKind.CUT) {
            proxy.cut();
          } else if (kind == FaultKind.DELAY) {
            proxy.delay(Duration.ofMillis(20 + random.nextInt(200)));
            faulty = true;
          } else if (kind == FaultKind.PARTITION) {
            proxy.partition();
            faulty = true;
          } else {
            proxy.halfOpen();
            faulty = true;
          }
          nextFault = now + seconds(1 + random.nextInt(faulty ? 4 : 3)).toNanos();
        }
      }
      // Samples only while the network is healthy: a fault in progress holds connections and
      // threads that healing releases, which is not a leak.
      if (now - nextSample >= 0 && !faulty) {
        samples.add(sample(t0));
        nextSample = now + sampleEvery.toNanos();
      }
    }
    CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    commits += window.size();
    proxy.pass();

    long healed = System.nanoTime();
    for (ClusterService secondary : List.of(mx2, mx3)) {
      assertTrue(
          TestCluster.await(
              () ->
                  mx1.configuration().fingerprint().equals(secondary.configuration().fingerprint()),
              CONVERGE),
          secondary.nodeId()
              + " did not converge within "
              + CONVERGE
              + " after the soak: primary at "
              + mx1.configuration().revision()
              + ", "
              + secondary.nodeId()
              + " at "
              + secondary.configuration().revision()
              + "; "
              + secondary.diagnostics().recentEvents());
    }
    long convergedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healed);
    samples.add(sample(t0));
    assertEquals(mx1.configuration().revision(), mx2.configuration().revision());
    assertEquals(mx1.configuration().revision(), mx3.configuration().revision());

    // Stability: after a warm-up (the first quarter), the last quarter's highest sample exceeds
    // the second quarter's highest by less than a margin. A leak grows with time and load; a
    // steady cluster only fluctuates.
    int n = samples.size();
    List<Sample> early = samples.subList(n / 4, Math.max(n / 4 + 1, n / 2));
    List<Sample> late = samples.subList(Math.min(n - 1, 3 * n / 4), n);
    long earlyHeap = early.stream().mapToLong(Sample::heapBytes).max().orElseThrow();
    long lateHeap = late.stream().mapToLong(Sample::heapBytes).max().orElseThrow();
    long earlyFds = early.stream().mapToLong(Sample::fileDescriptors).max().orElseThrow();
    long lateFds = late.stream().mapToLong(Sample::fileDescriptors).max().orElseThrow();
    int earlyThreads = early.stream().mapToInt(Sample::threads).max().orElseThrow();
    int lateThreads = late.stream().mapToInt(Sample::threads).max().orElseThrow();
    String figures =
        String.format(
            "soak: %d s, %d commits (%.0f/s), faults %s, %d connections through the proxy;"
                + " secondaries converged %d ms after healing at %s; heap after GC %d..%d MiB"
                + " (second quarter max %d, last quarter max %d); open files %d..%d (%d, %d);"
                + " threads %d..%d (%d, %d); %d samples",
            duration.toSeconds(),
            commits,
            commits * 1000.0 / Math.max(1, duration.toMillis()),
            faults,
            proxy.connectionsAccepted(),
            convergedMillis,
            mx1.configuration().revision(),
            samples.stream().mapToLong(Sample::heapBytes).min().orElseThrow() >> 20,
            samples.stream().mapToLong(Sample::heapBytes).max().orElseThrow() >> 20,
            earlyHeap >> 20,
            lateHeap >> 20,
            samples.stream().mapToLong(Sample::fileDescriptors).min().orElseThrow(),
            samples.stream().mapToLong(Sample::fileDescriptors).max().orElseThrow(),
            earlyFds,
            lateFds,
            samples.stream().mapToInt(Sample::threads).min().orElseThrow(),
            samples.stream().mapToInt(Sample::threads).max().orElseThrow(),
            earlyThreads,
            lateThreads,
            n);
    System.out.println(figures);
    System.out.println("soak: threads at the end " + threadGroups());
    assertTrue(commits > 0, figures);
    assertTrue(lateHeap < earlyHeap + earlyHeap / 2 + (32L << 20), "heap grew: " + figures);
    if (earlyFds >= 0) {
      assertTrue(lateFds <= earlyFds + 32, "open files grew: " + figures);
    } else {
      System.out.println("soak: no /proc/self/fd here; open files were not sampled");
    }
    assertTrue(
        lateThreads <= earlyThreads + 16, "threads grew: " + figures + "; now " + threadGroups());
  }

  private static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }
}
