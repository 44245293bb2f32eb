package org.mailcluster.storage;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of a state directory: its segment files ({@code log-<generation>-<epoch>-<sequence>.seg})
 * with their in-memory index, appends under the {@link FsyncPolicy}, reads of the entries after a
 * revision, and trimming of segments a snapshot covers.
 *
 * <p>Invariants: the {@code segments} are the verified segments in log order, each one's {@code
 * prev} the last revision of the one before it (the first one's at or before the newest
 * snapshot's), all of the newest snapshot's generation; every byte of a segment up to its {@code
 * size} is a verified header or record. The {@code active} channel is open on the last segment, or
 * {@code null} when there is none (or a failed append could not reopen it; the next append tries
 * again). Bytes past the last segment's size are the leftovers of a failed append and are truncated
 * before the next one writes. {@link #last()} is the revision of the last entry, or the revision
 * the log starts after when it holds none. A failed append leaves the index, {@link #last()} and
 * the totals as they were before it.
 */
final class SegmentLog {
  private static final Logger log = LoggerFactory.getLogger("mailcluster.storage");

  private final Path dir;
  private final FsyncPolicy fsync;
  private final long segmentBytes;
  private final List<Segment> segments = new ArrayList<>();

  /** Open for reading and writing on the last segment, or {@code null} with no segment. */
  private FileChannel active;

  private long generation;
  private Revision last = Revision.INITIAL;
  private long logBytes;
  private int logEntries;

  SegmentLog(Path dir, FsyncPolicy fsync, long segmentBytes) {
    this.dir = dir;
    this.fsync = fsync;
    this.segmentBytes = segmentBytes;
  }

  /**
   * Takes over the segments recovery verified and opens the last one for appending.
   *
   * @param logLast the revision of the last entry, or the snapshot's with no segment
   */
  void open(long logGeneration, List<Segment> verified, Revision logLast) throws IOException {
    this.generation = logGeneration;
    this.last = logLast;
    segments.clear();
    segments.addAll(verified);
    logBytes = 0;
    logEntries = 0;
    for (Segment s : segments) {
      logBytes += s.size;
      logEntries += s.count();
    }
    if (!segments.isEmpty()) {
      active = openActive(segments.get(segments.size() - 1));
    }
  }

  /**
   * Forgets every segment and starts an empty log of {@code newGeneration} after {@code start};
   * returns the forgotten segments, whose files are the caller's to delete.
   */
  List<Segment> reset(long newGeneration, Revision start) {
    generation = newGeneration;
    last = start;
    closeActiveQuietly();
    List<Segment> old = new ArrayList<>(segments);
    segments.clear();
    logBytes = 0;
    logEntries = 0;
    return old;
  }

  /** Returns the revision the log ends at. */
  Revision last() {
    return last;
  }

  private FileChannel openActive(Segment s) throws IOException {
    return FileChannel.open(s.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  /** Appends {@code entries} (at least one), all or none, as {@link FileStateStore#append}. */
  void append(List<LogEntry> entries) {
    Revision prev = last;
    byte[][] frames = new byte[entries.size()][];
    for (int i = 0; i < frames.length; i++) {
      LogEntry e = requireNonNull(entries.get(i), "entry");
      if (e.revision().compareTo(prev) <= 0) {
        throw new IllegalArgumentException(
            "log entry "
                + e.revision()
                + " must come after "
                + prev
                + "; revisions are appended in strictly increasing order");
      }
      prev = e.revision();
      frames[i] = Codec.frame(e);
    }

    int segmentsBefore = segments.size();
    Segment lastBefore = segmentsBefore == 0 ? null : segments.get(segmentsBefore - 1);
    int countBefore = lastBefore == null ? 0 : lastBefore.count();
    long sizeBefore = lastBefore == null ? 0 : lastBefore.size;
    long bytesBefore = logBytes;
    int entriesBefore = logEntries;
    try {
      if (active == null && lastBefore != null) {
        // A failed append could not reopen the segment then; try again now.
        active = openActive(lastBefore);
      }
      if (active != null && active.size() != lastBefore.size) {
        // Leftover bytes of an append that failed and could not be truncated then.
        active.truncate(lastBefore.size);
      }
      for (int i = 0; i < frames.length; i++) {
        Segment seg = segments.isEmpty() ? null : segments.get(segments.size() - 1);
        if (seg == null || (seg.count() > 0 && seg.size + frames[i].length > segmentBytes)) {
          seg = startSegment(entries.get(i).revision(), seg == null ? last : seg.last());
        }
        writeFully(active, frames[i], seg.size);
        if (fsync == FsyncPolicy.PER_COMMIT) {
          active.force(false);
        }
        seg.add(entries.get(i).revision(), seg.size);
        seg.size += frames[i].length;
        logBytes += frames[i].length;
        logEntries++;
      }
      if (fsync == FsyncPolicy.GROUP) {
        active.force(false);
      }
    } catch (IOException e) {
      rollBack(segmentsBefore, countBefore, sizeBefore);
      logBytes = bytesBefore;
      logEntries = entriesBefore;
      throw StorageFailure.of(
          "cannot append "
              + entries.size()
              + " log entr"
              + (entries.size() == 1 ? "y" : "ies")
              + " from "
              + entries.get(0).revision()
              + " in "
              + dir
              + "; none of them was stored",
          "check free space and permissions, then retry",
          e);
    }
    last = prev;
  }

  private Segment startSegment(Revision first, Revision prev) throws IOException {
    if (active != null) {
      if (fsync != FsyncPolicy.NONE) {
        active.force(false);
      }
      active.close();
      active = null;
    }
    Path p = dir.resolve(Segment.fileName(generation, first));
    FileChannel ch =
        FileChannel.open(
            p,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    try {
      byte[] header = Codec.segmentHeader(generation, prev);
      writeFully(ch, header, 0);
      if (fsync != FsyncPolicy.NONE) {
        ch.force(true);
        AtomicFiles.fsyncDirectory(dir);
      }
      Segment seg = new Segment(p, generation, prev, header.length);
      segments.add(seg);
      active = ch;
      logBytes += header.length;
      return seg;
    } catch (IOException | RuntimeException e) {
      ch.close();
      AtomicFiles.deleteQuietly(p);
      throw e;
    }
  }

  /** Undoes a failed append as far as the disk lets us; what remains is overwritten later. */
  private void rollBack(int segmentsBefore, int countBefore, long sizeBefore) {
    closeActiveQuietly();
    while (segments.size() > segmentsBefore) {
      AtomicFiles.deleteQuietly(segments.remove(segments.size() - 1).path);
    }
    if (segmentsBefore == 0) {
      return;
    }
    Segment lastSegment = segments.get(segmentsBefore - 1);
    lastSegment.truncate(countBefore, sizeBefore);
    try {
      active = openActive(lastSegment);
      active.truncate(sizeBefore);
    } catch (IOException e) {
      log.debug("could not truncate {} after a failed append: {}", lastSegment.path, e.toString());
    }
  }

  private static void writeFully(FileChannel ch, byte[] bytes, long position) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    long at = position;
    while (buf.hasRemaining()) {
      at += ch.write(buf, at);
    }
  }

  /** The entries after {@code from}, as {@link FileStateStore#entriesAfter}. */
  Optional<List<LogEntry>> entriesAfter(Revision from) {
    Revision oldestPrev = segments.isEmpty() ? last : segments.get(0).prev;
    if (from.compareTo(oldestPrev) < 0) {
      return Optional.empty();
    }
    List<LogEntry> out = new ArrayList<>();
    for (Segment s : segments) {
      if (s.last().compareTo(from) <= 0) {
        continue;
      }
      try {
        readEntries(s, s.firstAfter(from), out);
      } catch (IOException e) {
        throw StorageFailure.of("cannot read log segment " + s.path, "check the disk", e);
      }
    }
    return Optional.of(List.copyOf(out));
  }

  private void readEntries(Segment s, int fromIndex, List<LogEntry> out) throws IOException {
    boolean isActive = s == segments.get(segments.size() - 1) && active != null;
    FileChannel ch = isActive ? active : FileChannel.open(s.path, StandardOpenOption.READ);
    try {
      for (int i = fromIndex; i < s.count(); i++) {
        long start = s.offset(i);
        long end = i + 1 < s.count() ? s.offset(i + 1) : s.size;
        byte[] b = new byte[Math.toIntExact(end - start)];
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
          if (ch.read(buf, start + buf.position()) < 0) {
            throw new IOException("unexpected end of file at byte " + (start + buf.position()));
          }
        }
        int len = buf.getInt(0);
        try {
          if (len != b.length - Codec.FRAME_HEADER_BYTES
              || Codec.frameCrc(b, 0, len) != buf.getInt(4)) {
            throw new Codec.CorruptException("record changed on the disk since it was verified");
          }
          out.add(Codec.decodeEntry(b, Codec.FRAME_HEADER_BYTES, len));
        } catch (Codec.CorruptException e) {
          throw new ClusterException(
              ErrorCode.CORRUPT_DATA,
              "log segment "
                  + s.path
                  + " is corrupt at byte "
                  + start
                  + " ("
                  + e.getMessage()
                  + "): check the disk; restarting the node drops the corrupt part of the log",
              e);
        }
      }
    } finally {
      if (!isActive) {
        ch.close();
      }
    }
  }

  /**
   * Deletes whole segments, oldest first, whose entries are all at or before {@code covered} (the
   * snapshot's revision), while the log holds more than {@code retainEntries} entries or {@code
   * retainBytes} bytes; the segment being appended to is kept.
   */
  void trim(Revision covered, int retainEntries, long retainBytes) throws IOException {
    boolean deleted = false;
    while (segments.size() > 1
        && (logEntries > retainEntries || logBytes > retainBytes)
        && segments.get(0).last().compareTo(covered) <= 0) {
      Segment s = segments.get(0);
      Files.deleteIfExists(s.path);
      segments.remove(0);
      logEntries -= s.count();
      logBytes -= s.size;
      deleted = true;
    }
    if (deleted && fsync != FsyncPolicy.NONE) {
      AtomicFiles.fsyncDirectory(dir);
    }
  }

  /** Closes the channel on the last segment, if open; a later append opens it again. */
  void closeActiveQuietly() {
    if (active != null) {
      try {
        active.close();
      } catch (IOException e) {
        log.debug("could not close {}: {}", dir, e.toString());
      }
      active = null;
    }
  }
}
