package org.mailcluster.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.spi.StateStore;
import org.mailcluster.testing.PropertyRuns;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Random sequences of appends, snapshots, resets, reopens and torn tails, each checked against a
 * plain reference model after every step: the state as a map, the revision of the last snapshot,
 * and the entries logged since the last reset. 150 sequences of up to 40 steps; the seed is printed
 * and a failure shrinks to a short sequence.
 */
class FileStateStoreProperties {

  /** One step; records print as readable action descriptions in a failure report. */
  sealed interface Op permits Append, Save, Reset, Reopen, CutTail {}

  /** Appends {@code count} entries in one call, the first in a new epoch if asked. */
  record Append(int count, long seed, boolean newEpoch) implements Op {}

  /** Saves a snapshot of the current state. */
  record Save() implements Op {}

  /** Resets to unrelated content at the current revision moved by {@code delta}. */
  record Reset(long seed, int delta) implements Op {}

  /** Closes and reopens the store, checking what recovery returns. */
  record Reopen() implements Op {}

  /** Closes the store, cuts 1 to all bytes of the last record off the log, reopens. */
  record CutTail(int amount) implements Op {}

  static Gen<List<Op>> ops() {
    Gen<Op> append =
        integers()
            .between(1, 3)
            .zip(
                longs().all(),
                integers().between(0, 12),
                (n, seed, e) -> (Op) new Append(n, seed, e == 0));
    Gen<Op> reset =
        longs().all().zip(integers().between(-3, 3), (seed, delta) -> (Op) new Reset(seed, delta));
    Gen<Op> op =
        Generate.frequency(
            Pair.of(8, append),
            Pair.of(2, Generate.constant(new Save())),
            Pair.of(1, reset),
            Pair.of(2, Generate.constant(new Reopen())),
            Pair.of(2, integers().between(1, 100_000).map(a -> (Op) new CutTail(a))));
    return lists().of(op).ofSizeBetween(0, 40);
  }

  /** The reference model. */
  private static final class Model {
    final StoreFixtures.History h = new StoreFixtures.History();
    final List<LogEntry> log = new ArrayList<>();
    TreeMap<String, String> snapshotState = new TreeMap<>();
    Revision snapshotRevision = Revision.INITIAL;

    List<LogEntry> after(Revision from) {
      return log.stream().filter(e -> e.revision().compareTo(from) > 0).toList();
    }
  }

  @Test
  void storeBehavesLikeTheModel() {
    PropertyRuns.check(
        150,
        theory ->
            theory
                .forAll(ops(), integers().between(0, 6), integers().between(100, 600))
                .checkAssert(
                    (ops, retainEntries, segmentBytes) -> {
                      try {
                        run(ops, retainEntries, segmentBytes);
                      } catch (IOException e) {
                        throw new UncheckedIOException(e);
                      }
                    }));
  }

  private static void run(List<Op> ops, int retainEntries, int segmentBytes) throws IOException {
    Path dir = Files.createTempDirectory("mailcluster-store-property");
    Model m = new Model();
    FileStateStore store = open(dir, retainEntries, segmentBytes);
    try {
      StateStore.Recovered first = store.recover();
      assertEquals(ConfigSnapshot.empty(), first.replay());
      for (Op op : ops) {
        store = step(op, store, m, dir, retainEntries, segmentBytes);
        check(store, m, op);
      }
    } finally {
      store.close();
      deleteTree(dir);
    }
  }

  private static FileStateStore open(Path dir, int retainEntries, int segmentBytes) {
    return FileStateStore.builder(dir)
        .fsyncPolicy(FsyncPolicy.NONE)
        .retainEntries(retainEntries)
        .segmentBytes(segmentBytes)
        .build();
  }

  private static FileStateStore step(
      Op op, FileStateStore store, Model m, Path dir, int retainEntries, int segmentBytes)
      throws IOException {
    if (op instanceof Append a) {
      Random random = new Random(a.seed());
      List<LogEntry> batch = new ArrayList<>();
      for (int i = 0; i < a.count(); i++) {
        Revision r = i == 0 && a.newEpoch() ? m.h.last.nextEpoch() : m.h.last.next();
        TreeMap<String, String> changes = new TreeMap<>();
        for (int k = 0; k < 1 + random.nextInt(3); k++) {
          changes.put(
              "config/MDaemon.ini/S/k" + random.nextInt(6),
              random.nextInt(4) == 0 ? null : "välue " + random.nextInt(50));
        }
        batch.add(m.h.put(r, changes));
      }
      store.append(batch);
      m.log.addAll(batch);
      return store;
    }
    if (op instanceof Save) {
      store.saveSnapshot(m.h.snapshot());
      m.snapshotState = new TreeMap<>(m.h.state);
      m.snapshotRevision = m.h.last;
      return store;
    }
    if (op instanceof Reset r) {
      Random random = new Random(r.seed());
      TreeMap<String, String> content = new TreeMap<>();
      for (int i = random.nextInt(5); i > 0; i--) {
        content.put("setting/reset/k" + random.nextInt(10), "v" + random.nextInt(10));
      }
      Revision at = Revision.of(m.h.last.epoch(), Math.max(0, m.h.last.sequence() + r.delta()));
      store.resetTo(ConfigSnapshot.of(content, at));
      m.h.state.clear();
      m.h.state.putAll(content);
      m.h.last = at;
      m.log.clear();
      m.snapshotState = new TreeMap<>(content);
      m.snapshotRevision = at;
      return store;
    }
    if (op instanceof Reopen) {
      store.close();
      FileStateStore next = open(dir, retainEntries, segmentBytes);
      StateStore.Recovered rec = next.recover();
      assertEquals(List.of(), rec.repairs());
      assertEquals(m.h.snapshot(), rec.replay());
      assertEquals(ConfigSnapshot.of(m.snapshotState, m.snapshotRevision), rec.snapshot());
      assertEquals(m.after(m.snapshotRevision), rec.entries());
      return next;
    }
    if (op instanceof CutTail c) {
      if (m.log.isEmpty()) {
        return store;
      }
      store.close();
      LogEntry last = m.log.get(m.log.size() - 1);
      List<Path> segs = StoreFixtures.segments(dir);
      Path tail = segs.get(segs.size() - 1);
      long cut = 1 + c.amount() % Codec.frame(last).length;
      try (FileChannel ch = FileChannel.open(tail, StandardOpenOption.WRITE)) {
        ch.truncate(ch.size() - cut);
      }
      m.log.remove(m.log.size() - 1);
      if (last.revision().compareTo(m.snapshotRevision) > 0) {
        m.h.state.clear();
        m.h.state.putAll(m.snapshotState);
        ConfigSnapshot s = ConfigSnapshot.of(m.snapshotState, m.snapshotRevision);
        for (LogEntry e : m.after(m.snapshotRevision)) {
          s = e.diff().apply(s).atRevision(e.revision());
        }
        m.h.state.clear();
        m.h.state.putAll(s.asMap());
        m.h.last = s.revision();
      } else {
        // The snapshot covers the whole remaining log, which recovery then drops.
        m.log.clear();
      }
      FileStateStore next = open(dir, retainEntries, segmentBytes);
      StateStore.Recovered rec = next.recover();
      assertTrue(rec.repairs().size() <= 2, rec.repairs().toString());
      assertEquals(m.h.snapshot(), rec.replay());
      return next;
    }
    throw new IllegalStateException("unknown op " + op);
  }

  private static void check(FileStateStore store, Model m, Op op) {
    assertEquals(m.h.last, store.lastRevision(), "after " + op);
    assertEquals(
        Optional.of(m.after(m.snapshotRevision)),
        store.entriesAfter(m.snapshotRevision),
        "entries after the snapshot, after " + op);
    assertEquals(Optional.of(List.of()), store.entriesAfter(m.h.last));
    for (LogEntry e : m.log) {
      Optional<List<LogEntry>> got = store.entriesAfter(e.revision());
      got.ifPresent(list -> assertEquals(m.after(e.revision()), list, "after " + e.revision()));
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
