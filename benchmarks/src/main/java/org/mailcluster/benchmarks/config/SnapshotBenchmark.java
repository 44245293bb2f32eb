package org.mailcluster.benchmarks.config;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Fingerprint;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The configuration model at 100k keys (targets in benchmarks/README.md), each operation beside a
 * baseline measured in the same run: a {@link TreeMap} that must be copied to keep the old
 * revision, and a naive merge-walk diff over two {@code TreeMap}s.
 *
 * <p>Targets: one-key update ≤ 5 µs; diff of related snapshots 100 keys apart ≤ 1 ms; diff of
 * unrelated snapshots ≤ 50 ms.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SnapshotBenchmark {
  private static final HashFunction ENTRY_HASH = Hashing.murmur3_128(0x636c7573);

  @Param("100000")
  int keys;

  private List<String> keyList;
  private TreeMap<String, String> baseMap;
  private TreeMap<String, String> changedMap;
  private TreeMap<String, String> unrelatedMap;
  private ConfigSnapshot base;
  private ConfigSnapshot related;
  private ConfigSnapshot unrelated;
  private SplittableRandom random;
  private int counter;

  @Setup(Level.Trial)
  public void setUp() {
    random = new SplittableRandom(20261124);
    baseMap = new TreeMap<>();
    for (int i = 0; i < keys; i++) {
      baseMap.put(
          String.format("config/MDaemon.ini/Section%05d/Key%03d", i / 50, i % 50),
          "C:\\MDaemon\\Value\\" + random.nextInt(1_000_000));
    }
    keyList = new ArrayList<>(baseMap.keySet());
    base = ConfigSnapshot.of(baseMap);

    // 100 keys apart: 60 changed, 20 added, 20 removed.
    changedMap = new TreeMap<>(baseMap);
    related = base;
    for (int i = 0; i < 100; i++) {
      String k = keyList.get(random.nextInt(keyList.size()));
      if (i < 60) {
        changedMap.put(k, "changed " + i);
        related = related.with(k, "changed " + i);
      } else if (i < 80) {
        changedMap.put(k + "/new", "added " + i);
        related = related.with(k + "/new", "added " + i);
      } else {
        changedMap.remove(k);
        related = related.without(k);
      }
    }
    // Same content as 'related', built on its own: no structure shared with 'base'.
    unrelatedMap = new TreeMap<>(changedMap);
    unrelated = ConfigSnapshot.of(unrelatedMap);
  }

  private String nextKey() {
    return keyList.get(random.nextInt(keyList.size()));
  }

  /** One-key update that keeps the previous revision intact (persistent map). */
  @Benchmark
  public ConfigSnapshot updateOneKey() {
    return base.with(nextKey(), "v" + (counter++));
  }

  /** Baseline: a TreeMap keeps the previous revision only by being copied first. */
  @Benchmark
  public TreeMap<String, String> updateOneKeyBaselineTreeMapCopy() {
    TreeMap<String, String> copy = new TreeMap<>(baseMap);
    copy.put(nextKey(), "v" + (counter++));
    return copy;
  }

  /** Diff of two snapshots that share structure, 100 keys apart. */
  @Benchmark
  public ConfigDiff diffRelated() {
    return ConfigDiff.between(base, related);
  }

  /** Diff of two snapshots built independently (no shared structure), 100 keys apart. */
  @Benchmark
  public ConfigDiff diffUnrelated() {
    return ConfigDiff.between(base, unrelated);
  }

  /** Baseline: merge-walk of two TreeMaps, the obvious way to diff them. */
  @Benchmark
  public List<String> diffBaselineTreeMap() {
    return naiveDiff(baseMap, changedMap);
  }

  /** Fingerprint after a one-key update: maintained incrementally. */
  @Benchmark
  public Fingerprint fingerprintIncremental() {
    return base.with(nextKey(), "v" + (counter++)).fingerprint();
  }

  /** Baseline: hash every entry again, as a non-incremental fingerprint must. */
  @Benchmark
  public long fingerprintBaselineRehashAll() {
    long high = 0;
    long low = 0;
    for (Map.Entry<String, String> e : baseMap.entrySet()) {
      byte[] h =
          ENTRY_HASH
              .newHasher()
              .putInt(e.getKey().length())
              .putUnencodedChars(e.getKey())
              .putInt(e.getValue().length())
              .putUnencodedChars(e.getValue())
              .hash()
              .asBytes();
      high += h[0];
      low += h[8];
    }
    return high ^ low;
  }

  static List<String> naiveDiff(TreeMap<String, String> a, TreeMap<String, String> b) {
    List<String> out = new ArrayList<>();
    Iterator<Map.Entry<String, String>> ia = a.entrySet().iterator();
    Iterator<Map.Entry<String, String>> ib = b.entrySet().iterator();
    Map.Entry<String, String> ea = ia.hasNext() ? ia.next() : null;
    Map.Entry<String, String> eb = ib.hasNext() ? ib.next() : null;
    while (ea != null || eb != null) {
      int c = ea == null ? 1 : eb == null ? -1 : ea.getKey().compareTo(eb.getKey());
      if (c < 0) {
        out.add(ea.getKey());
        ea = ia.hasNext() ? ia.next() : null;
      } else if (c > 0) {
        out.add(eb.getKey());
        eb = ib.hasNext() ? ib.next() : null;
      } else {
        if (!ea.getValue().equals(eb.getValue())) {
          out.add(ea.getKey());
        }
        ea = ia.hasNext() ? ia.next() : null;
        eb = ib.hasNext() ? ib.next() : null;
      }
    }
    return out;
  }
}
