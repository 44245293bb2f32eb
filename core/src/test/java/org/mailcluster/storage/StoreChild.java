package org.mailcluster.storage;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.mailcluster.ClusterException;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.spi.StateStore;

/**
 * A separate JVM for the tests that need one: a process that is killed mid-append, or one that
 * holds a state directory's lock. It prints one line per event on stdout.
 *
 * <ul>
 *   <li>{@code append <dir> <policy> <seed>}: recovers, prints {@code RECOVERED <revision>}, then
 *       appends batches forever (some entries carrying a value of up to 3 MiB, snapshotting now and
 *       then), printing {@code ACK <revision>} for each entry only after {@code append} returned.
 *   <li>{@code hold <dir>}: opens the store, prints {@code LOCKED}, and waits for stdin to close.
 *   <li>{@code fill <dir>}: appends until the store fails (run it under a file-size limit), prints
 *       {@code ACK} lines and then {@code FAILED <lastRevision> <message>}.
 * </ul>
 */
public final class StoreChild {
  private StoreChild() {}

  /** Value of the key that the entry at {@code r} adds; its size varies so records vary. */
  static String valueFor(Revision r) {
    return "v" + r + "-" + "x".repeat((int) (r.sequence() * 37 % 700));
  }

  static String keyFor(Revision r) {
    return "setting/crash/e" + r.epoch() + "s" + r.sequence();
  }

  static LogEntry entryFor(Revision r) {
    return new LogEntry(
        r,
        Instant.ofEpochSecond(1_790_000_000L, r.sequence()),
        "api:crash-test",
        ConfigDiff.of(ConfigDiff.Change.added(keyFor(r), valueFor(r))));
  }

  /** The key that large values overwrite, so that they do not pile up in the state. */
  static final String BLOB_KEY = "setting/crashblob/value";

  private static LogEntry withBlob(LogEntry e, ConfigSnapshot state, int size) {
    String value = "blob " + e.revision() + " " + "b".repeat(size);
    List<ConfigDiff.Change> changes = new ArrayList<>(e.diff().changes());
    changes.add(
        state
            .get(BLOB_KEY)
            .map(old -> ConfigDiff.Change.changed(BLOB_KEY, old, value))
            .orElseGet(() -> ConfigDiff.Change.added(BLOB_KEY, value)));
    return new LogEntry(e.revision(), e.committedAt(), e.origin(), ConfigDiff.of(changes));
  }

  public static void main(String[] args) throws IOException {
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    Path dir = Path.of(args[1]);
    switch (args[0]) {
      case "append" -> append(out, dir, FsyncPolicy.valueOf(args[2]), Long.parseLong(args[3]));
      case "hold" -> {
        try (FileStateStore s = FileStateStore.builder(dir).build()) {
          s.recover();
          out.println("LOCKED");
          while (System.in.read() >= 0) {
            // Wait for the test to close our stdin.
          }
        }
      }
      case "fill" -> fill(out, dir);
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  private static void append(PrintStream out, Path dir, FsyncPolicy policy, long seed) {
    Random random = new Random(seed);
    try (FileStateStore s =
        FileStateStore.builder(dir)
            .fsyncPolicy(policy)
            .segmentBytes(16 << 10)
            .retainEntries(100)
            .build()) {
      StateStore.Recovered r = s.recover();
      out.println("RECOVERED " + s.lastRevision() + " repairs=" + r.repairs());
      Revision last = s.lastRevision();
      ConfigSnapshot state = r.replay();
      long sinceSnapshot = 0;
      while (true) {
        int n = policy == FsyncPolicy.GROUP ? 1 + random.nextInt(8) : 1;
        List<LogEntry> batch = new ArrayList<>(n);
        ConfigSnapshot pending = state;
        for (int i = 0; i < n; i++) {
          last = random.nextInt(400) == 0 ? last.nextEpoch().next() : last.next();
          LogEntry e = entryFor(last);
          if (random.nextInt(12) == 0) {
            // A large record takes many pages to write, so a kill can land in the middle of it.
            e = withBlob(e, pending, random.nextInt(3 << 20));
          }
          pending = e.diff().apply(pending);
          batch.add(e);
        }
        s.append(batch);
        for (LogEntry e : batch) {
          out.println("ACK " + e.revision());
          state = e.diff().apply(state).atRevision(e.revision());
        }
        sinceSnapshot += n;
        if (sinceSnapshot > 150) {
          s.saveSnapshot(state);
          out.println("SNAPSHOT " + state.revision());
          sinceSnapshot = 0;
        }
      }
    }
  }

  private static void fill(PrintStream out, Path dir) {
    try (FileStateStore s = FileStateStore.builder(dir).segmentBytes(1 << 20).build()) {
      s.recover();
      Revision last = s.lastRevision();
      try {
        while (true) {
          Revision next = last.next();
          s.append(List.of(entryFor(next), entryFor(next.next())));
          last = next.next();
          out.println("ACK " + next);
          out.println("ACK " + last);
        }
      } catch (ClusterException e) {
        out.println("FAILED " + s.lastRevision() + " " + e.code() + " " + e.getMessage());
      }
      try {
        s.append(List.of(entryFor(last.next())));
        out.println("UNEXPECTED second append worked");
      } catch (ClusterException e) {
        out.println("FAILED-AGAIN " + s.lastRevision() + " " + e.code());
      }
    }
  }
}
