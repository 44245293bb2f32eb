package org.mailcluster.storage;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;

/** Builds log entries against a plain map, and handles store directories, for the tests. */
final class StoreFixtures {
  private StoreFixtures() {}

  /** A reference history: the state as a map, and the entries that built it. */
  static final class History {
    final TreeMap<String, String> state = new TreeMap<>();
    final List<LogEntry> entries = new ArrayList<>();
    Revision last = Revision.INITIAL;

    /** Sets {@code key} to {@code value} (or removes it if {@code value} is null) as one entry. */
    LogEntry put(Revision r, Map<String, String> changes) {
      List<ConfigDiff.Change> list = new ArrayList<>();
      for (Map.Entry<String, String> c : changes.entrySet()) {
        String old = state.get(c.getKey());
        String neu = c.getValue();
        if (old == null && neu == null || old != null && old.equals(neu)) {
          continue;
        }
        list.add(
            old == null
                ? ConfigDiff.Change.added(c.getKey(), neu)
                : neu == null
                    ? ConfigDiff.Change.removed(c.getKey(), old)
                    : ConfigDiff.Change.changed(c.getKey(), old, neu));
        if (neu == null) {
          state.remove(c.getKey());
        } else {
          state.put(c.getKey(), neu);
        }
      }
      if (list.isEmpty()) {
        String k = "setting/test/filler";
        String old = state.get(k);
        String neu = old == null ? "1" : Integer.toString(Integer.parseInt(old) + 1);
        list.add(
            old == null ? ConfigDiff.Change.added(k, neu) : ConfigDiff.Change.changed(k, old, neu));
        state.put(k, neu);
      }
      LogEntry e =
          new LogEntry(
              r,
              Instant.ofEpochSecond(1_790_000_000L + r.sequence(), 123_456_789),
              "api:admin@mx1",
              ConfigDiff.of(list));
      entries.add(e);
      last = r;
      return e;
    }

    LogEntry next(String key, String value) {
      return put(last.next(), Map.of(key, value));
    }

    LogEntry nextRandom(Random random) {
      TreeMap<String, String> changes = new TreeMap<>();
      int n = 1 + random.nextInt(3);
      for (int i = 0; i < n; i++) {
        String key = "config/MDaemon.ini/Section" + random.nextInt(4) + "/Key" + random.nextInt(20);
        changes.put(key, random.nextInt(5) == 0 ? null : "v" + random.nextInt(1000));
      }
      return put(last.next(), changes);
    }

    ConfigSnapshot snapshot() {
      return ConfigSnapshot.of(state, last);
    }
  }

  static List<Path> segments(Path dir) throws IOException {
    return list(dir, Segment.PREFIX + "*" + Segment.SUFFIX);
  }

  static List<Path> snapshots(Path dir) throws IOException {
    return list(dir, FileStateStore.SNAPSHOT_PREFIX + "*" + FileStateStore.SNAPSHOT_SUFFIX);
  }

  static List<Path> list(Path dir, String glob) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, glob)) {
      files.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  /** Copies the store's files (not its lock) into a fresh directory. */
  static Path copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (Path p : list(from, "*")) {
      if (!p.getFileName().toString().equals(FileStateStore.LOCK_FILE)) {
        Files.copy(p, to.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return to;
  }

  static void flipByte(Path file, long position) throws IOException {
    byte[] b = Files.readAllBytes(file);
    b[Math.toIntExact(position)] ^= 0x5A;
    Files.write(file, b);
  }

  static FileStateStore open(Path dir) {
    return FileStateStore.builder(dir).fsyncPolicy(FsyncPolicy.NONE).build();
  }
}
