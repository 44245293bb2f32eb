package org.mailcluster.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;

/**
 * The snapshot files of a state directory, {@code snapshot-<generation>-<epoch>-<sequence>.snap},
 * and the newest snapshot's generation and revision.
 *
 * <p>Invariants: a snapshot file is only ever written whole, by an atomic replacement (forced
 * unless the policy is {@link FsyncPolicy#NONE}), so a file of that name holds a complete snapshot
 * or a corrupt one, never half of one. {@link #generation()} and {@link #revision()} change only
 * after the file they describe is in place. Old snapshots are deleted only after a newer one is
 * written; the one before the newest is kept as a fallback for recovery, unless a reset made it
 * belong to an older generation.
 */
final class Snapshots {
  static final String PREFIX = "snapshot-";
  static final String SUFFIX = ".snap";

  private final Path dir;
  private final FsyncPolicy fsync;
  private long generation;
  private Revision revision = Revision.INITIAL;

  Snapshots(Path dir, FsyncPolicy fsync) {
    this.dir = dir;
    this.fsync = fsync;
  }

  /** The generation of the newest snapshot, which the log's segments share. */
  long generation() {
    return generation;
  }

  /** The revision of the newest snapshot ({@link Revision#INITIAL} with none). */
  Revision revision() {
    return revision;
  }

  /** Takes the newest snapshot that recovery or a reset left in place. */
  void setNewest(long newestGeneration, Revision newestRevision) {
    this.generation = newestGeneration;
    this.revision = newestRevision;
  }

  Path file(long fileGeneration, Revision fileRevision) {
    return dir.resolve(Segment.snapshotFileName(fileGeneration, fileRevision));
  }

  /**
   * Writes {@code snapshot} in the current generation and makes it the newest.
   *
   * @return its file
   * @throws org.mailcluster.ClusterException with {@code STORAGE_FAILURE} if it cannot be written;
   *     the previous snapshot is then still the newest
   */
  Path save(ConfigSnapshot snapshot) {
    Path target = write(generation, snapshot, "the previous snapshot is still in place");
    revision = snapshot.revision();
    return target;
  }

  /**
   * Writes {@code snapshot} in the next generation: the first, decisive step of a reset, after
   * which recovery finds the new state. Does not change {@link #generation()}: the caller makes the
   * new snapshot the newest with {@link #setNewest}.
   *
   * @return the new generation
   * @throws org.mailcluster.ClusterException with {@code STORAGE_FAILURE} if it cannot be written;
   *     the state was then not reset
   */
  long writeNextGeneration(ConfigSnapshot snapshot) {
    long newGeneration = Math.addExact(generation, 1);
    write(newGeneration, snapshot, "the state was not reset");
    return newGeneration;
  }

  /** Writes one snapshot file; {@code ifFailed} says what a failure leaves. */
  private Path write(long fileGeneration, ConfigSnapshot snapshot, String ifFailed) {
    Path target = file(fileGeneration, snapshot.revision());
    try {
      AtomicFiles.replace(
          target,
          out -> Codec.writeSnapshot(out, fileGeneration, snapshot),
          fsync != FsyncPolicy.NONE);
    } catch (IOException e) {
      throw StorageFailure.of(
          "cannot write snapshot " + target + "; " + ifFailed,
          "check free space and permissions, then retry",
          e);
    }
    return target;
  }

  /**
   * Deletes snapshots other than {@code keep}, sparing the {@code spare} newest others of the
   * current generation.
   */
  void deleteOld(Path keep, int spare) throws IOException {
    List<NamedFile> others = NamedFile.list(dir, PREFIX, SUFFIX);
    others.removeIf(n -> n.path().equals(keep));
    others.sort(NamedFile.ORDER.reversed());
    boolean deleted = false;
    for (int i = 0; i < others.size(); i++) {
      NamedFile n = others.get(i);
      if (i >= spare || n.generation() != generation) {
        Files.deleteIfExists(n.path());
        deleted = true;
      }
    }
    if (deleted && fsync != FsyncPolicy.NONE) {
      AtomicFiles.fsyncDirectory(dir);
    }
  }
}
