package org.mailcluster.storage;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
  // The parts, each owning one concern: DirectoryLock (the lock file), Recovery (verification and
  // repair on recover()), SegmentLog (segments, appends, the fsync policy, trimming, reads),
  // Snapshots (snapshot files and the newest one's generation and revision) and MetadataFile.
  // This class checks the caller's use (open, recovered) and coordinates the parts; the log's
  // segments always belong to the newest snapshot's generation.
  private static final Logger log = LoggerFactory.getLogger("mailcluster.storage");
  private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY =
      PosixFilePermissions.fromString("rwx------");

  static final String LOCK_FILE = DirectoryLock.FILE_NAME;
  static final String METADATA_FILE = MetadataFile.FILE_NAME;
  static final String SNAPSHOT_PREFIX = Snapshots.PREFIX;
  static final String SNAPSHOT_SUFFIX = Snapshots.SUFFIX;

  private final Path dir;
  private final FsyncPolicy fsync;
  private final int retainEntries;
  private final long retainBytes;
  private final List<String> openRepairs;
  private final DirectoryLock lock;
  private final SegmentLog segmentLog;
  private final Snapshots snapshots;
  private final MetadataFile metadata;

  private boolean recovered;
  private boolean closed;

  private FileStateStore(Builder b) {
    this.dir = b.directory.toAbsolutePath();
    this.fsync = b.fsyncPolicy == null ? FsyncPolicy.GROUP : b.fsyncPolicy;
    long segmentBytes = b.segmentBytes < 0 ? 16L << 20 : b.segmentBytes;
    this.retainEntries = b.retainEntries < 0 ? 10_000 : b.retainEntries;
    this.retainBytes = b.retainBytes < 0 ? 256L << 20 : b.retainBytes;
    try {
      Files.createDirectories(dir);
    } catch (FileAlreadyExistsException e) {
      throw StorageFailure.of(
          "state directory " + dir + " exists but is not a directory", "move it away", e);
    } catch (IOException e) {
      throw StorageFailure.of(
          "cannot create state directory " + dir, "check its path and permissions", e);
    }
    ownerOnly(dir);
    this.lock = DirectoryLock.acquire(dir);
    try {
      List<String> repairs = new ArrayList<>();
      for (String name : AtomicFiles.deleteTemporaries(dir)) {
        repairs.add(name + ": deleted the leftover of a write that a crash interrupted");
      }
      this.openRepairs = List.copyOf(repairs);
    } catch (IOException e) {
      lock.release();
      throw StorageFailure.of(
          "cannot clean up temporary files in " + dir, "check its permissions", e);
    }
    this.segmentLog = new SegmentLog(dir, fsync, segmentBytes);
    this.snapshots = new Snapshots(dir, fsync);
    this.metadata = new MetadataFile(dir, fsync);
  }

  /**
   * Makes the state directory owner-only ({@code rwx------}) where the file system has POSIX
   * permissions: the state holds every replicated value, private keys of imported certificates
   * among them, and a directory nobody else may enter keeps its files private whatever their own
   * modes. A wider mode is tightened, with an INFO line that says what it was.
   */
  private static void ownerOnly(Path dir) {
    try {
      PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
      if (view == null) {
        return;
      }
      Set<PosixFilePermission> was = view.readAttributes().permissions();
      if (!was.equals(OWNER_ONLY_DIRECTORY)) {
        view.setPermissions(OWNER_ONLY_DIRECTORY);
        log.info(
            "state directory {} was {}: made it owner-only (rwx------), as it holds private keys",
            dir,
            PosixFilePermissions.toString(was));
      }
    } catch (IOException e) {
      throw StorageFailure.of(
          "cannot make state directory " + dir + " owner-only (rwx------)",
          "make the node's account its owner, or run chmod 700 on it",
          e);
    }
  }

  /**
   * Returns a builder for a store in {@code directory}, which is created if missing and made
   * owner-only ({@code rwx------}) where the file system has POSIX permissions.
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
      Recovery.Result r = new Recovery(dir, fsync, openRepairs).run();
      snapshots.setNewest(r.generation(), r.recovered().snapshot().revision());
      segmentLog.open(r.generation(), r.segments(), r.last());
      recovered = true;
      for (String repair : r.recovered().repairs()) {
        log.warn("state directory {}: {}", dir, repair);
      }
      return r.recovered();
    } catch (IOException e) {
      throw StorageFailure.of(
          "cannot read the state in " + dir, "check the disk and its permissions", e);
    }
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
    segmentLog.append(entries);
  }

  @Override
  public Revision lastRevision() {
    checkOpen();
    return segmentLog.last();
  }

  @Override
  public Optional<List<LogEntry>> entriesAfter(Revision from) {
    checkUsable();
    requireNonNull(from, "from");
    return segmentLog.entriesAfter(from);
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
    if (r.compareTo(segmentLog.last()) > 0) {
      throw new IllegalArgumentException(
          "snapshot at "
              + r
              + " is ahead of the log, which ends at "
              + segmentLog.last()
              + "; use resetTo to replace the state");
    }
    if (r.compareTo(snapshots.revision()) < 0) {
      throw new IllegalArgumentException(
          "snapshot at " + r + " is older than the stored snapshot at " + snapshots.revision());
    }
    Path target = snapshots.save(snapshot);
    try {
      snapshots.deleteOld(target, 1);
      segmentLog.trim(r, retainEntries, retainBytes);
    } catch (IOException e) {
      // The snapshot is stored; trimming is retried after the next snapshot.
      log.warn("state directory {}: cannot delete old snapshots or log segments: {}", dir, e);
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
    long newGeneration = snapshots.writeNextGeneration(snapshot);
    snapshots.setNewest(newGeneration, snapshot.revision());
    List<Segment> old = segmentLog.reset(newGeneration, snapshot.revision());
    try {
      snapshots.deleteOld(snapshots.file(newGeneration, snapshot.revision()), 0);
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

  /**
   * Does only the first step of {@link #resetTo} and then closes the store, as a crash right after
   * that step would leave it.
   */
  void resetToStoppingAfterSnapshotWrite(ConfigSnapshot snapshot) {
    checkUsable();
    snapshots.writeNextGeneration(snapshot);
    close();
  }

  // ---------------------------------------------------------------------------------------------
  // metadata

  @Override
  public Optional<String> readMetadata(String name) {
    checkOpen();
    requireNonNull(name, "name");
    return metadata.read(name);
  }

  @Override
  public void writeMetadata(String name, String value) {
    checkOpen();
    requireNonNull(name, "name");
    requireNonNull(value, "value");
    metadata.write(name, value);
  }

  // ---------------------------------------------------------------------------------------------
  // lifecycle

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    segmentLog.closeActiveQuietly();
    lock.release();
  }

  /** Returns the directory this store keeps its files in. */
  public Path directory() {
    return dir;
  }

  @Override
  public String toString() {
    return "FileStateStore{" + dir + ", " + fsync + ", last=" + segmentLog.last() + "}";
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
}
