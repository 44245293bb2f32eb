package org.mailcluster.benchmarks.replication;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.testkit.SimulatedCluster;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The replication engine's own cost, in memory: a {@link SimulatedCluster} with zero network
 * latency and an in-memory disk, so every nanosecond measured is spent in the engine (validation,
 * commit, streaming, applying, acknowledging) on one thread. {@code secondaries = 0} is the
 * baseline: a primary alone.
 *
 * <ul>
 *   <li>{@code commitUntilAppliedEverywhere}: one single-key commit, until every secondary has
 *       applied it (latency).
 *   <li>{@code batchedCommitsUntilAppliedEverywhere}: 1000 single-key commits submitted together,
 *       until every secondary has applied the last (throughput, per commit).
 * </ul>
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SimulatedReplicationBenchmark {
  @Param({"0", "1", "2", "4", "8"})
  int secondaries;

  private SimulatedCluster cluster;
  private ClusterService primary;
  private List<ClusterService> others;
  private SettingKey key;
  private long counter;

  @Setup(Level.Trial)
  public void setUp() {
    cluster =
        SimulatedCluster.builder()
            .nodes(secondaries + 1)
            .seed(20261124)
            .latency(Duration.ZERO, Duration.ZERO)
            .snapshotInterval(100_000)
            .build()
            .start();
    primary = cluster.primary();
    others = new ArrayList<>();
    for (String id : cluster.ids()) {
      if (!id.equals("mx1")) {
        others.add(cluster.node(id));
      }
    }
    key = SettingKey.plugin("bench", "value");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cluster.close();
  }

  private boolean appliedEverywhere(Revision r) {
    for (ClusterService n : others) {
      if (n.configuration().revision().compareTo(r) < 0) {
        return false;
      }
    }
    return true;
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Revision commitUntilAppliedEverywhere() {
    CompletableFuture<Revision> f =
        primary.update(ConfigUpdate.builder("bench").setRaw(key, "v" + counter++).build());
    Revision r = cluster.await(f, Duration.ofMinutes(1));
    cluster.time().runUntil(() -> appliedEverywhere(r), Duration.ofMinutes(1));
    return r;
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(1000)
  public Revision batchedCommitsUntilAppliedEverywhere() {
    CompletableFuture<Revision> last = null;
    for (int i = 0; i < 1000; i++) {
      last = primary.update(ConfigUpdate.builder("bench").setRaw(key, "v" + counter++).build());
    }
    Revision r = cluster.await(last, Duration.ofMinutes(1));
    cluster.time().runUntil(() -> appliedEverywhere(r), Duration.ofMinutes(1));
    return r;
  }
}
