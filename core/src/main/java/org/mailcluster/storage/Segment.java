package org.mailcluster.storage;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.mailcluster.config.Revision;

/**
 * The in-memory index of one log segment file: where each record starts, and the revision before
 * the segment's first entry ({@link #prev}), which chains it to the segment before it or to the
 * snapshot it follows.
 */
final class Segment {
  static final String PREFIX = "log-";
  static final String SUFFIX = ".seg";

  final Path path;
  final long generation;
  final Revision prev;
  private Revision[] revisions = new Revision[16];
  private long[] offsets = new long[16];
  private int count;

  /** Bytes of the file that hold the header and complete, verified records. */
  long size;

  Segment(Path path, long generation, Revision prev, long size) {
    this.path = path;
    this.generation = generation;
    this.prev = prev;
    this.size = size;
  }

  static String fileName(long generation, Revision first) {
    return String.format(
        Locale.ROOT,
        "%s%019d-%019d-%019d%s",
        PREFIX,
        generation,
        first.epoch(),
        first.sequence(),
        SUFFIX);
  }

  static String snapshotFileName(long generation, Revision revision) {
    return String.format(
        Locale.ROOT,
        "snapshot-%019d-%019d-%019d.snap",
        generation,
        revision.epoch(),
        revision.sequence());
  }

  /** Parses {@code <prefix><generation>-<epoch>-<sequence><suffix>}. */
  static Optional<long[]> parseName(String name, String prefix, String suffix) {
    if (!name.startsWith(prefix) || !name.endsWith(suffix)) {
      return Optional.empty();
    }
    String[] parts = name.substring(prefix.length(), name.length() - suffix.length()).split("-");
    if (parts.length != 3) {
      return Optional.empty();
    }
    long[] out = new long[3];
    try {
      for (int i = 0; i < 3; i++) {
        out[i] = Long.parseLong(parts[i]);
        if (out[i] < 0) {
          return Optional.empty();
        }
      }
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    return Optional.of(out);
  }

  void add(Revision r, long offset) {
    if (count == revisions.length) {
      revisions = Arrays.copyOf(revisions, count * 2);
      offsets = Arrays.copyOf(offsets, count * 2);
    }
    revisions[count] = r;
    offsets[count] = offset;
    count++;
  }

  /** Forgets the records from index {@code keep} on (after a failed append). */
  void truncate(int keep, long newSize) {
    Arrays.fill(revisions, keep, count, null);
    count = keep;
    size = newSize;
  }

  int count() {
    return count;
  }

  Revision revision(int i) {
    return revisions[i];
  }

  long offset(int i) {
    return offsets[i];
  }

  /** Returns the revision of the last record, or {@link #prev} when there is none. */
  Revision last() {
    return count == 0 ? prev : revisions[count - 1];
  }

  /** Returns the index of the first record after {@code from} ({@link #count()} if none). */
  int firstAfter(Revision from) {
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (revisions[mid].compareTo(from) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  String name() {
    return path.getFileName().toString();
  }
}
