package org.mailcluster.benchmarks.peer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jgroups.JChannel;
import org.jgroups.blocks.ReplicatedHashMap;
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
 * A well-known peer for the replication figures: JGroups' {@code ReplicatedHashMap} with three
 * members in one JVM, over its TCP stack ({@code tcp.xml}) on 127.0.0.1 — the same member count,
 * host and process layout as {@code GrpcReplicationBenchmark}. JGroups does not encrypt or persist
 * here; we do both (TLS, and a log write without fsync), so the comparison favours it.
 *
 * <ul>
 *   <li>{@code syncPut}: one put with blocking updates: returns once every member applied it.
 *   <li>{@code pipelinedPutsThenSyncPut}: 999 asynchronous puts then one blocking put (JGroups
 *       delivers one sender's messages in order, so the last answer means all were applied):
 *       throughput, per put.
 * </ul>
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Djava.net.preferIPv4Stack=true",
      "-Djgroups.bind_addr=127.0.0.1",
      "-Djgroups.tcpping.initial_hosts=127.0.0.1[7800]",
      "-Djgroups.tcp.port_range=4"
    })
public class JGroupsReplicationBenchmark {
  private final List<JChannel> channels = new ArrayList<>();
  private final List<ReplicatedHashMap<String, String>> maps = new ArrayList<>();
  private ReplicatedHashMap<String, String> writer;
  private long counter;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    for (int i = 0; i < 3; i++) {
      JChannel channel = new JChannel("tcp.xml").name("jg" + (i + 1));
      ReplicatedHashMap<String, String> map = new ReplicatedHashMap<>(channel);
      map.setBlockingUpdates(true);
      map.setTimeout(60_000);
      channel.connect("mailcluster-bench");
      map.start(10_000);
      channels.add(channel);
      maps.add(map);
    }
    // The last to join holds the full view from its join on; the others learn it during warm-up.
    if (channels.get(2).getView().size() != 3) {
      throw new IllegalStateException("JGroups members did not form one view: " + channels);
    }
    writer = maps.get(0);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    for (int i = maps.size() - 1; i >= 0; i--) {
      maps.get(i).stop();
      channels.get(i).close();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public String syncPut() {
    writer.setBlockingUpdates(true);
    return writer.put("plugin/bench/value", "v" + counter++);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(1000)
  public String pipelinedPutsThenSyncPut() {
    writer.setBlockingUpdates(false);
    for (int i = 0; i < 999; i++) {
      writer.put("plugin/bench/value", "v" + counter++);
    }
    writer.setBlockingUpdates(true);
    return writer.put("plugin/bench/value", "v" + counter++);
  }
}
