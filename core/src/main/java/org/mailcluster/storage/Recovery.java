package org.mailcluster.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.spi.StateStore;

/**
 * Recovery of a state directory, once per {@link FileStateStore}: finds the newest readable
 * snapshot, deletes what a reset replaced, verifies every log segment record by record, repairs a
 * torn or corrupt tail, and returns what is left for the log to take over and the caller to replay
 * (see "Recovery" in {@link FileStateStore}).
 *
 * <p>What it establishes, or else refuses with {@link ErrorCode#CORRUPT_DATA} leaving the directory
 * as found: the returned segments are all of the newest readable snapshot's generation, in log
 * order and chained ({@link Segment#prev} of each is the last revision of the one before), every
 * record in them verified; the first one starts at or before the snapshot; the log's last revision
 * is not before the snapshot's. Every change it makes to the directory (a snapshot set aside, a
 * segment truncated or deleted) is said in one repair note.
 */
final class Recovery {
  /** Suffix of a snapshot that failed verification and was set aside for inspection. */
  static final String CORRUPT_SUFFIX = ".corrupt";

  private final Path dir;
  private final FsyncPolicy fsync;
  private final List<String> repairs;

  /** The segments verified so far, in log order. */
  private final List<Segment> segments = new ArrayList<>();

  private Revision snapshotRevision = Revision.INITIAL;

  /**
   * What recovery found.
   *
   * @param generation the newest readable snapshot's generation, which the log's segments share
   * @param recovered the snapshot, the entries after it and the repair notes, for the caller
   * @param segments the verified segments, in log order, for the log to take over
   * @param last the revision of the last entry, or the snapshot's with no entry
   */
  record Result(
      long generation, StateStore.Recovered recovered, List<Segment> segments, Revision last) {}

  /**
   * Prepares recovery of {@code dir}.
   *
   * @param earlierRepairs repair notes from opening the store, reported first
   */
  Recovery(Path dir, FsyncPolicy fsync, List<String> earlierRepairs) {
    this.dir = dir;
    this.fsync = fsync;
    this.repairs = new ArrayList<>(earlierRepairs);
  }

  Result run() throws IOException {
    List<NamedFile> snaps = NamedFile.list(dir, Snapshots.PREFIX, Snapshots.SUFFIX);
    List<NamedFile> segs = NamedFile.list(dir, Segment.PREFIX, Segment.SUFFIX);
    snaps.sort(NamedFile.ORDER.reversed());
    segs.sort(NamedFile.ORDER);

    ConfigSnapshot snapshot = null;
    long gen = snaps.isEmpty() ? 0 : snaps.get(0).generation();
    for (NamedFile n : snaps) {
      if (n.generation() != gen) {
        break;
      }
      try {
        Codec.StoredSnapshot s = Codec.readSnapshot(Files.readAllBytes(n.path()));
        if (s.generation() != n.generation() || !s.snapshot().revision().equals(n.revision())) {
          throw new Codec.CorruptException("content does not match the file name");
        }
        snapshot = s.snapshot();
        break;
      } catch (Codec.CorruptException e) {
        // Kept for inspection under another name, so that it never shadows a newer snapshot.
        Path aside = n.path().resolveSibling(n.name() + CORRUPT_SUFFIX);
        Files.move(n.path(), aside, StandardCopyOption.REPLACE_EXISTING);
        repairs.add(
            n.name()
                + ": snapshot is corrupt ("
                + e.getMessage()
                + "); renamed it to "
                + aside.getFileName());
      }
    }
    if (snapshot == null) {
      if (gen != 0) {
        throw new ClusterException(
            ErrorCode.CORRUPT_DATA,
            "no snapshot in "
                + dir
                + " can be read ("
                + String.join("; ", repairs)
                + "): resync this node from the primary (move the state directory away and"
                + " restart)");
      }
      snapshot = ConfigSnapshot.empty();
    }
    snapshotRevision = snapshot.revision();

    List<NamedFile> mine = new ArrayList<>();
    for (NamedFile n : segs) {
      if (n.generation() < gen) {
        Files.deleteIfExists(n.path());
        repairs.add(n.name() + ": deleted a log segment that a reset to a snapshot had replaced");
      } else if (n.generation() > gen) {
        throw new ClusterException(
            ErrorCode.CORRUPT_DATA,
            "log segment "
                + n.path()
                + " belongs to a newer snapshot that is missing or corrupt: resync this node from"
                + " the primary (move the state directory away and restart)");
      } else {
        mine.add(n);
      }
    }

    List<LogEntry> entries = new ArrayList<>();
    for (int i = 0; i < mine.size(); i++) {
      NamedFile n = mine.get(i);
      String problem = scanSegment(n, entries);
      if (problem != null) {
        List<String> later = new ArrayList<>();
        for (NamedFile rest : mine.subList(i + 1, mine.size())) {
          Files.deleteIfExists(rest.path());
          later.add(rest.name());
        }
        repairs.add(
            problem
                + (later.isEmpty()
                    ? ""
                    : "; deleted "
                        + later.size()
                        + " later segment(s): "
                        + String.join(", ", later)));
        break;
      }
    }
    AtomicFiles.fsyncDirectory(dir);

    Revision logLast = segments.isEmpty() ? null : segments.get(segments.size() - 1).last();
    if (logLast != null && logLast.compareTo(snapshotRevision) < 0) {
      // The snapshot covers the whole log: keeping it would leave a gap before the next append.
      for (Segment s : segments) {
        Files.deleteIfExists(s.path);
      }
      repairs.add(
          "deleted "
              + segments.size()
              + " log segment(s) ending at "
              + logLast
              + ", all covered by snapshot "
              + snapshotRevision);
      segments.clear();
      entries.clear();
      logLast = null;
    }
    return new Result(
        gen,
        new StateStore.Recovered(snapshot, entries, repairs),
        List.copyOf(segments),
        logLast == null ? snapshotRevision : logLast);
  }

  /**
   * Verifies one segment, adds it to {@link #segments} and its entries after the snapshot to {@code
   * entries}; returns a repair note if it had to be cut short (later segments are then the caller's
   * to delete).
   */
  private String scanSegment(NamedFile n, List<LogEntry> entries) throws IOException {
    byte[] b = Files.readAllBytes(n.path());
    Codec.SegmentHeader header;
    try {
      header = Codec.readSegmentHeader(ByteBuffer.wrap(b));
      if (header.generation() != n.generation()) {
        throw new Codec.CorruptException("header does not match the file name");
      }
    } catch (Codec.CorruptException e) {
      Files.delete(n.path());
      return n.name() + ": deleted a segment whose " + e.getMessage() + " (" + b.length + " bytes)";
    }
    Revision expectedPrev = segments.isEmpty() ? null : segments.get(segments.size() - 1).last();
    if (expectedPrev == null && header.prev().compareTo(snapshotRevision) > 0) {
      // Checked before anything is truncated, so the log is left as found for whoever resyncs.
      throw new ClusterException(
          ErrorCode.CORRUPT_DATA,
          "the log in "
              + dir
              + " starts after "
              + header.prev()
              + " but the newest readable snapshot is at "
              + snapshotRevision
              + ", so the entries in between are lost: resync this node from the primary (move"
              + " the state directory away and restart)");
    }
    if (expectedPrev != null && !header.prev().equals(expectedPrev)) {
      Files.delete(n.path());
      return n.name()
          + ": deleted a segment that follows "
          + header.prev()
          + " instead of "
          + expectedPrev
          + " ("
          + b.length
          + " bytes)";
    }
    Segment seg = new Segment(n.path(), n.generation(), header.prev(), 0);
    int pos = Codec.SEGMENT_HEADER_BYTES;
    String bad = null;
    ByteBuffer in = ByteBuffer.wrap(b);
    while (pos < b.length) {
      int remaining = b.length - pos;
      if (remaining < Codec.FRAME_HEADER_BYTES) {
        bad = "a torn record header";
        break;
      }
      int len = in.getInt(pos);
      if (len <= 0 || len > Codec.MAX_PAYLOAD_BYTES) {
        bad = "a record with an impossible length " + len;
        break;
      }
      if (len > remaining - Codec.FRAME_HEADER_BYTES) {
        bad =
            "a torn record (length "
                + len
                + " but only "
                + (remaining - Codec.FRAME_HEADER_BYTES)
                + " bytes follow)";
        break;
      }
      if (Codec.frameCrc(b, pos, len) != in.getInt(pos + 4)) {
        bad = "a corrupt record (CRC mismatch)";
        break;
      }
      LogEntry e;
      try {
        e = Codec.decodeEntry(b, pos + Codec.FRAME_HEADER_BYTES, len);
      } catch (Codec.CorruptException ex) {
        bad = "a record that does not decode (" + ex.getMessage() + ")";
        break;
      }
      if (e.revision().compareTo(seg.last()) <= 0) {
        bad = "a record at " + e.revision() + " that does not follow " + seg.last();
        break;
      }
      if (seg.count() == 0 && !e.revision().equals(n.revision())) {
        bad = "a first record at " + e.revision() + " that does not match the file name";
        break;
      }
      seg.add(e.revision(), pos);
      if (e.revision().compareTo(snapshotRevision) > 0) {
        entries.add(e);
      }
      pos += Codec.FRAME_HEADER_BYTES + len;
    }
    seg.size = pos;
    if (seg.count() == 0) {
      // A segment a crash left without a whole record holds nothing acknowledged.
      Files.delete(n.path());
      return bad == null
          ? null
          : n.name() + ": deleted a segment without a whole record: its first is " + bad;
    }
    segments.add(seg);
    if (bad == null) {
      return null;
    }
    try (FileChannel ch = FileChannel.open(n.path(), StandardOpenOption.WRITE)) {
      ch.truncate(pos);
      if (fsync != FsyncPolicy.NONE) {
        ch.force(true);
      }
    }
    return n.name()
        + ": dropped "
        + bad
        + " at byte "
        + pos
        + "; "
        + (b.length - pos)
        + " bytes discarded, the log now ends at "
        + seg.last();
  }
}
