package org.mailcluster.storage;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.spi.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link StateStore}: a node's log, snapshots and metadata in one directory of the
 * local disk. One process at a time may open a directory (a {@code lock} file enforces it).
 *
 * <pre>{@code
 * try (FileStateStore store =
 *     FileStateStore.builder(Path.of("C:\\MDaemon\\Cluster\\state"))
 *         .fsyncPolicy(FsyncPolicy.GROUP)
 *         .retainEntries(10_000)
 *         .build()) {
 *   StateStore.Recovered r = store.recover();
 *   r.repairs().forEach(clusterLog::warn);
 *   ConfigSnapshot state = r.replay();
 *   store.append(List.of(new LogEntry(state.revision().next(), now, "api:admin@mx1", diff)));
 * }
 * }</pre>
 *
 * <h2>Files</h2>
 *
 * All integers are big-endian; a <i>string</i> is a 4-byte byte count followed by the text in WTF-8
 * (UTF-8 that writes an unpaired surrogate as its own 3-byte sequence, so every Java string
 * round-trips; text without unpaired surrogates is plain UTF-8). CRCs are CRC32C.
 *
 * <ul>
 *   <li>{@code log-<generation>-<epoch>-<sequence>.seg} (numbers zero-padded to 19 digits, so names
 *       sort in log order; the revision is the segment's first entry's): a 36-byte header — magic
 *       {@code "MCLG"}, format version byte {@code 1}, 3 zero bytes, generation (8), the revision
 *       before the first entry (epoch 8, sequence 8), CRC of those 32 bytes (4) — then records.
 *       Each record is {@code [length:4][crc:4][payload:length]}, the CRC taken over the 4 length
 *       bytes and the payload. The payload is: epoch (8), sequence (8), commit time as epoch
 *       seconds (8) and nanoseconds (4), origin (string), number of changes (4), and per change, in
 *       key order: flags (1; bit 0 = old value present, bit 1 = new value present), key (string),
 *       old value (string, if present), new value (string, if present).
 *   <li>{@code snapshot-<generation>-<epoch>-<sequence>.snap}: magic {@code "MCSN"}, version {@code
 *       1}, 3 zero bytes, generation (8), epoch (8), sequence (8), number of entries (4), then key
 *       and value (strings) per entry in ascending key order, then the CRC of all preceding bytes
 *       (4). The newest snapshot and the one before it are kept.
 *   <li>{@code metadata.bin}: magic {@code "MCMD"}, version {@code 1}, number of values (4), name
 *       and value (strings) per value in name order, CRC of all preceding bytes (4).
 *   <li>{@code *.snap.corrupt}: a snapshot that failed verification, set aside by recovery.
 *   <li>{@code lock}: empty; held with an OS file lock while the store is open.
 *   <li>{@code *.tmp}: a replacement that a crash interrupted; deleted when the store opens.
 * </ul>
 *
 * Snapshots and metadata are replaced atomically (temporary file, fsync, atomic rename, fsync of
 * the directory). The <i>generation</i> grows with every {@link #resetTo}: log segments of an older
 * generation than the newest snapshot were discarded by a reset (which a crash may have
 * interrupted) and are deleted on recovery, so a reset wins even if it did not finish.
 *
 * <h2>Recovery</h2>
 *
 * {@link #recover()} reads the newest snapshot (falling back to the one before it, of the same
 * generation, if the newest does not verify) and then every segment in order, verifying each
 * record: a sane length within the file, a matching CRC, a payload that decodes, and a revision
 * after the one before it. At the first record that fails, the segment is truncated there and every
 * later segment deleted, and {@link StateStore.Recovered#repairs()} says so. Dropping everything
 * after a bad record is the only safe choice for a log: each entry is a diff against the state the
 * previous one left, so entries after a gap cannot be applied. A torn tail (a crash in the middle
 * of an append) is the common case and loses nothing that was acknowledged.
 *
 * <h2>Retention and {@link #entriesAfter}</h2>
 *
 * After {@link #saveSnapshot}, whole segments whose entries are all covered by the snapshot are
 * deleted, oldest first, while the log holds more than {@link Builder#retainEntries} entries or
 * {@link Builder#retainBytes} bytes; the segment being appended to is kept. Each segment records
 * the revision before its first entry, so the log holds every entry after its oldest segment's
 * <i>previous revision</i> {@code P} (or, with no segment, after {@link #lastRevision()}). {@code
 * entriesAfter(from)} answers the entries after {@code from} when {@code from >= P} (an empty list
 * when {@code from} is at or after the last revision), and empty when {@code from < P}: then some
 * entry after {@code from} is gone and the caller must send a snapshot.
 *
 * <h2>Failures</h2>
 *
 * I/O failures throw {@link ClusterException} with {@link ErrorCode#STORAGE_FAILURE}. A failed
 * {@link #append} appends nothing: {@link #lastRevision()} is unchanged, and the bytes it wrote are
 * truncated away (or, if even that fails, truncated by the next append and dropped by recovery if
 * they are torn). Only if the truncation fails and the process then dies before its next append can
 * whole records of the failed call reappear on recovery, like a commit whose acknowledgement was
 * lost.
 *
 * <p>Not thread-safe: the node core calls it from its single logical thread.
 */
public final class FileStateStore implements StateStore {
  private static final Logger log = LoggerFactory.getLogger("mailcluster.storage");

  static final String LOCK_FILE = "lock";
  static final String METADATA_FILE = "metadata.bin";
  static final String SNAPSHOT_PREFIX = "snapshot-";
  static final String SNAPSHOT_SUFFIX = ".snap";
  static final String CORRUPT_SUFFIX = ".corrupt";

  private final Path dir;
  private final FsyncPolicy fsync;
  private final long segmentBytes;
  private final int retainEntries;
  private final long retainBytes;
  private final List<String> openRepairs;

  private FileChannel lockChannel;
  private FileLock lock;
  private boolean recovered;
  private boolean closed;

  private long generation;
  private Revision snapshotRevision = Revision.INITIAL;
  private Revision lastRevision = Revision.INITIAL;
  private final List<Segment> segments = new ArrayList<>();
  private long logBytes;
  private int logEntries;

  /** Open for reading and writing on the last segment, or {@code null} with no segment. */
  private FileChannel active;

  private TreeMap<String, String> metadata;

  private FileStateStore(Builder b) {
    this.dir = b.directory.toAbsolutePath();
    this.fsync = b.fsyncPolicy == null ? FsyncPolicy.GROUP : b.fsyncPolicy;
    this.segmentBytes = b.segmentBytes < 0 ? 16L << 20 : b.segmentBytes;
    this.retainEntries = b.retainEntries < 0 ? 10_000 : b.retainEntries;
    this.retainBytes = b.retainBytes < 0 ? 256L << 20 : b.retainBytes;
    try {
      Files.createDirectories(dir);
    } catch (FileAlreadyExistsException e) {
      throw failure("state directory " + dir + " exists but is not a directory", "move it away", e);
    } catch (IOException e) {
      throw failure("cannot create state directory " + dir, "check its path and permissions", e);
    }
    acquireLock();
    try {
      List<String> repairs = new ArrayList<>();
      for (String name : AtomicFiles.deleteTemporaries(dir)) {
        repairs.add(name + ": deleted the leftover of a write that a crash interrupted");
      }
      this.openRepairs = List.copyOf(repairs);
    } catch (IOException e) {
      releaseLock();
      throw failure("cannot clean up temporary files in " + dir, "check its permissions", e);
    }
  }

  /**
   * Returns a builder for a store in {@code directory}, which is created if missing.
   *
   * <pre>{@code
   * FileStateStore store = FileStateStore.builder(dir).segmentBytes(4 << 20).build();
   * }</pre>
   */
  public static Builder builder(Path directory) {
    return new Builder(requireNonNull(directory, "directory"));
  }

  /**
   * Configures a {@link FileStateStore}. Each setter may be called once; unset values take the
   * defaults named on each setter.
   *
   * <pre>{@code
   * FileStateStore store =
   *     FileStateStore.builder(dir)
   *         .fsyncPolicy(FsyncPolicy.PER_COMMIT)
   *         .segmentBytes(8 << 20)
   *         .retainEntries(50_000)
   *         .retainBytes(512L << 20)
   *         .build();
   * }</pre>
   */
  public static final class Builder {
    private final Path directory;
    private FsyncPolicy fsyncPolicy;
    private long segmentBytes = -1;
    private int retainEntries = -1;
    private long retainBytes = -1;

    private Builder(Path directory) {
      this.directory = directory;
    }

    /** Sets when appends are forced to the disk; {@link FsyncPolicy#GROUP} by default. */
    public Builder fsyncPolicy(FsyncPolicy policy) {
      requireNonNull(policy, "policy");
      if (fsyncPolicy != null) {
        throw new IllegalStateException("fsync policy was already set to " + fsyncPolicy);
      }
      this.fsyncPolicy = policy;
      return this;
    }

    /**
     * Sets the size at which a new segment file is started (16 MiB by default; at least 64). A
     * segment holds at least one entry, so a larger entry makes a larger segment.
     */
    public Builder segmentBytes(long bytes) {
      if (segmentBytes >= 0) {
        throw new IllegalStateException("segment bytes were already set to " + segmentBytes);
      }
      if (bytes < 64) {
        throw new IllegalArgumentException("segment bytes must be at least 64 but was " + bytes);
      }
      this.segmentBytes = bytes;
      return this;
    }

    /**
     * Sets how many log entries to keep beyond what the latest snapshot needs (10 000 by default):
     * the more, the further behind a secondary may fall and still catch up from the log.
     */
    public Builder retainEntries(int entries) {
      if (retainEntries >= 0) {
        throw new IllegalStateException("retained entries were already set to " + retainEntries);
      }
      if (entries < 0) {
        throw new IllegalArgumentException("retained entries must be 0 or more but was " + entries);
      }
      this.retainEntries = entries;
      return this;
    }

    /** Sets how many bytes of log to keep, as {@link #retainEntries} (256 MiB by default). */
    public Builder retainBytes(long bytes) {
      if (retainBytes >= 0) {
        throw new IllegalStateException("retained bytes were already set to " + retainBytes);
      }
      if (bytes < 0) {
        throw new IllegalArgumentException("retained bytes must be 0 or more but was " + bytes);
      }
      this.retainBytes = bytes;
      return this;
    }

    /**
     * Opens the store: creates the directory if needed, locks it and deletes leftovers of
     * interrupted writes. Call {@link FileStateStore#recover()} next.
     *
     * @throws ClusterException with {@link ErrorCode#STORAGE_FAILURE} if the directory cannot be
     *     created or is in use by another process
     */
    public FileStateStore build() {
      return new FileStateStore(this);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // recovery

  @Override
  public Recovered recover() {
    checkOpen();
    if (recovered) {
      throw new IllegalStateException("recover() was already called on the store in " + dir);
    }
    try {
      Recovered r = doRecover();
      recovered = true;
      for (String repair : r.repairs()) {
        log.warn("state directory {}: {}", dir, repair);
      }
      return r;
    } catch (IOException e) {
      throw failure("cannot read the state in " + dir, "check the disk and its permissions", e);
    }
  }

  private record Named(Path path, long generation, Revision revision) {
    static final Comparator<Named> ORDER =
        Comparator.comparingLong(Named::generation).thenComparing(Named::revision);

    String name() {
      return path.getFileName().toString();
    }
  }

  private Recovered doRecover() throws IOException {
    List<String> repairs = new ArrayList<>(openRepairs);
    List<Named> snaps = new ArrayList<>();
    List<Named> segs = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        String name = p.getFileName().toString();
        Segment.parseName(name, SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX)
            .ifPresent(n -> snaps.add(new Named(p, n[0], Revision.of(n[1], n[2]))));
        Segment.parseName(name, Segment.PREFIX, Segment.SUFFIX)
            .ifPresent(n -> segs.add(new Named(p, n[0], Revision.of(n[1], n[2]))));
      }
    }
    snaps.sort(Named.ORDER.reversed());
    segs.sort(Named.ORDER);

    ConfigSnapshot snapshot = null;
    long gen = snaps.isEmpty() ? 0 : snaps.get(0).generation();
    for (Named n : snaps) {
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
    generation = gen;
    snapshotRevision = snapshot.revision();

    List<Named> mine = new ArrayList<>();
    for (Named n : segs) {
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
      Named n = mine.get(i);
      String problem = scanSegment(n, entries);
      if (problem != null) {
        List<String> later = new ArrayList<>();
        for (Named rest : mine.subList(i + 1, mine.size())) {
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
    lastRevision = logLast == null ? snapshotRevision : logLast;
    logBytes = 0;
    logEntries = 0;
    for (Segment s : segments) {
      logBytes += s.size;
      logEntries += s.count();
    }
    if (!segments.isEmpty()) {
      active = openActive(segments.get(segments.size() - 1));
    }
    return new Recovered(snapshot, entries, repairs);
  }

  /**
   * Verifies one segment, adds it to {@link #segments} and its entries after the snapshot to {@code
   * entries}; returns a repair note if it had to be cut short (later segments are then the caller's
   * to delete).
   */
  private String scanSegment(Named n, List<LogEntry> entries) throws IOException {
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

  private FileChannel openActive(Segment s) throws IOException {
    return FileChannel.open(s.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  // ---------------------------------------------------------------------------------------------
  // the log

  @Override
  public void append(List<LogEntry> entries) {
    checkUsable();
    requireNonNull(entries, "entries");
    if (entries.isEmpty()) {
      return;
    }
    Revision prev = lastRevision;
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
          seg = startSegment(entries.get(i).revision(), seg == null ? lastRevision : seg.last());
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
      throw failure(
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
    lastRevision = prev;
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
    Segment last = segments.get(segmentsBefore - 1);
    last.truncate(countBefore, sizeBefore);
    try {
      active = openActive(last);
      active.truncate(sizeBefore);
    } catch (IOException e) {
      log.debug("could not truncate {} after a failed append: {}", last.path, e.toString());
    }
  }

  private static void writeFully(FileChannel ch, byte[] bytes, long position) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    long at = position;
    while (buf.hasRemaining()) {
      at += ch.write(buf, at);
    }
  }

  @Override
  public Revision lastRevision() {
    checkOpen();
    return lastRevision;
  }

  @Override
  public Optional<List<LogEntry>> entriesAfter(Revision from) {
    checkUsable();
    requireNonNull(from, "from");
    Revision oldestPrev = segments.isEmpty() ? lastRevision : segments.get(0).prev;
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
        throw failure("cannot read log segment " + s.path, "check the disk", e);
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

  // ---------------------------------------------------------------------------------------------
  // snapshots

  /**
   * {@inheritDoc}
   *
   * <p>The snapshot must be at or before {@link #lastRevision()} (use {@link #resetTo} to jump
   * ahead) and not older than the stored one. A failure to delete old files afterwards is logged,
   * not thrown: the snapshot is stored, and the next one retries.
   *
   * @throws IllegalArgumentException if the snapshot is ahead of the log or older than the stored
   *     snapshot
   */
  @Override
  public void saveSnapshot(ConfigSnapshot snapshot) {
    checkUsable();
    requireNonNull(snapshot, "snapshot");
    Revision r = snapshot.revision();
    if (r.compareTo(lastRevision) > 0) {
      throw new IllegalArgumentException(
          "snapshot at "
              + r
              + " is ahead of the log, which ends at "
              + lastRevision
              + "; use resetTo to replace the state");
    }
    if (r.compareTo(snapshotRevision) < 0) {
      throw new IllegalArgumentException(
          "snapshot at " + r + " is older than the stored snapshot at " + snapshotRevision);
    }
    Path target = dir.resolve(Segment.snapshotFileName(generation, r));
    try {
      AtomicFiles.replace(
          target, out -> Codec.writeSnapshot(out, generation, snapshot), fsync != FsyncPolicy.NONE);
    } catch (IOException e) {
      throw failure(
          "cannot write snapshot " + target + "; the previous snapshot is still in place",
          "check free space and permissions, then retry",
          e);
    }
    snapshotRevision = r;
    try {
      deleteOldSnapshots(target, 1);
      trimLog();
    } catch (IOException e) {
      // The snapshot is stored; trimming is retried after the next snapshot.
      log.warn("state directory {}: cannot delete old snapshots or log segments: {}", dir, e);
    }
  }

  /** Deletes snapshots other than {@code keep}, sparing the {@code spare} newest others. */
  private void deleteOldSnapshots(Path keep, int spare) throws IOException {
    List<Named> others = new ArrayList<>();
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(dir, SNAPSHOT_PREFIX + "*" + SNAPSHOT_SUFFIX)) {
      for (Path p : files) {
        if (!p.equals(keep)) {
          Segment.parseName(p.getFileName().toString(), SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX)
              .ifPresent(n -> others.add(new Named(p, n[0], Revision.of(n[1], n[2]))));
        }
      }
    }
    others.sort(Named.ORDER.reversed());
    boolean deleted = false;
    for (int i = 0; i < others.size(); i++) {
      Named n = others.get(i);
      if (i >= spare || n.generation() != generation) {
        Files.deleteIfExists(n.path());
        deleted = true;
      }
    }
    if (deleted && fsync != FsyncPolicy.NONE) {
      AtomicFiles.fsyncDirectory(dir);
    }
  }

  private void trimLog() throws IOException {
    boolean deleted = false;
    while (segments.size() > 1
        && (logEntries > retainEntries || logBytes > retainBytes)
        && segments.get(0).last().compareTo(snapshotRevision) <= 0) {
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

  /**
   * {@inheritDoc}
   *
   * <p>The snapshot may be at any revision, before or after {@link #lastRevision()}. It is written
   * first, with the next generation number; from that moment recovery finds the new state even if
   * the old log and snapshots are not yet deleted.
   */
  @Override
  public void resetTo(ConfigSnapshot snapshot) {
    checkUsable();
    requireNonNull(snapshot, "snapshot");
    long newGeneration = writeResetSnapshot(snapshot);
    generation = newGeneration;
    snapshotRevision = snapshot.revision();
    lastRevision = snapshot.revision();
    closeActiveQuietly();
    List<Segment> old = new ArrayList<>(segments);
    segments.clear();
    logBytes = 0;
    logEntries = 0;
    try {
      deleteOldSnapshots(
          dir.resolve(Segment.snapshotFileName(newGeneration, snapshot.revision())), 0);
      for (Segment s : old) {
        Files.deleteIfExists(s.path);
      }
      if (fsync != FsyncPolicy.NONE) {
        AtomicFiles.fsyncDirectory(dir);
      }
    } catch (IOException e) {
      // The new snapshot already wins: recovery deletes segments and snapshots of older
      // generations.
      log.warn("state directory {}: cannot delete the replaced log: {}", dir, e.toString());
    }
  }

  /** The first, decisive step of {@link #resetTo}: after it, recovery finds the new state. */
  private long writeResetSnapshot(ConfigSnapshot snapshot) {
    long newGeneration = Math.addExact(generation, 1);
    Path target = dir.resolve(Segment.snapshotFileName(newGeneration, snapshot.revision()));
    try {
      AtomicFiles.replace(
          target,
          out -> Codec.writeSnapshot(out, newGeneration, snapshot),
          fsync != FsyncPolicy.NONE);
    } catch (IOException e) {
      throw failure(
          "cannot write snapshot " + target + "; the state was not reset",
          "check free space and permissions, then retry",
          e);
    }
    return newGeneration;
  }

  /**
   * Does only the first step of {@link #resetTo} and then closes the store, as a crash right after
   * that step would leave it.
   */
  void resetToStoppingAfterSnapshotWrite(ConfigSnapshot snapshot) {
    checkUsable();
    writeResetSnapshot(snapshot);
    close();
  }

  // ---------------------------------------------------------------------------------------------
  // metadata

  @Override
  public Optional<String> readMetadata(String name) {
    checkOpen();
    requireNonNull(name, "name");
    return Optional.ofNullable(metadata().get(name));
  }

  @Override
  public void writeMetadata(String name, String value) {
    checkOpen();
    requireNonNull(name, "name");
    requireNonNull(value, "value");
    TreeMap<String, String> next = new TreeMap<>(metadata());
    next.put(name, value);
    Path target = dir.resolve(METADATA_FILE);
    try {
      byte[] bytes = Codec.metadata(next);
      AtomicFiles.replace(target, out -> out.write(bytes), fsync != FsyncPolicy.NONE);
    } catch (IOException e) {
      throw failure(
          "cannot write metadata '" + name + "' to " + target + "; the old values are in place",
          "check free space and permissions, then retry",
          e);
    }
    metadata = next;
  }

  private TreeMap<String, String> metadata() {
    if (metadata == null) {
      Path p = dir.resolve(METADATA_FILE);
      try {
        metadata = Codec.readMetadata(Files.readAllBytes(p));
      } catch (NoSuchFileException e) {
        metadata = new TreeMap<>();
      } catch (IOException e) {
        throw failure("cannot read metadata file " + p, "check the disk and its permissions", e);
      } catch (Codec.CorruptException e) {
        throw new ClusterException(
            ErrorCode.CORRUPT_DATA,
            "metadata file "
                + p
                + " is corrupt ("
                + e.getMessage()
                + "): resync this node from the primary (move the state directory away and"
                + " restart)",
            e);
      }
    }
    return metadata;
  }

  // ---------------------------------------------------------------------------------------------
  // lifecycle

  private void acquireLock() {
    Path p = dir.resolve(LOCK_FILE);
    String inUse =
        "state directory "
            + dir
            + " is in use by another process (it holds "
            + p
            + "): stop the other node using it, or give this node a directory of its own";
    try {
      lockChannel = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      releaseLock();
      throw new ClusterException(ErrorCode.STORAGE_FAILURE, inUse, e);
    } catch (IOException e) {
      releaseLock();
      throw failure("cannot lock " + p, "check the directory's permissions", e);
    }
    if (lock == null) {
      releaseLock();
      throw new ClusterException(ErrorCode.STORAGE_FAILURE, inUse);
    }
  }

  private void releaseLock() {
    try {
      if (lock != null) {
        lock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException e) {
      log.debug("could not release the lock on {}: {}", dir, e.toString());
    }
    lock = null;
    lockChannel = null;
  }

  private void closeActiveQuietly() {
    if (active != null) {
      try {
        active.close();
      } catch (IOException e) {
        log.debug("could not close {}: {}", dir, e.toString());
      }
      active = null;
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeActiveQuietly();
    releaseLock();
  }

  /** Returns the directory this store keeps its files in. */
  public Path directory() {
    return dir;
  }

  @Override
  public String toString() {
    return "FileStateStore{" + dir + ", " + fsync + ", last=" + lastRevision + "}";
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the state store in " + dir + " is closed");
    }
  }

  private void checkUsable() {
    checkOpen();
    if (!recovered) {
      throw new IllegalStateException("call recover() before using the state store in " + dir);
    }
  }

  private static ClusterException failure(String what, String todo, IOException cause) {
    return new ClusterException(
        ErrorCode.STORAGE_FAILURE, what + " (" + cause + "): " + todo, cause);
  }
}
