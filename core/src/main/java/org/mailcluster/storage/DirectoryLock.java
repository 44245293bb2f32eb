package org.mailcluster.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code lock} file of a state directory, held with an operating-system file lock from {@link
 * #acquire} to {@link #release}: one process at a time (and one store in this process) may open a
 * directory. The file stays empty and is never deleted; the lock, not the file, is what counts, so
 * a crashed process leaves nothing to clean up.
 */
final class DirectoryLock {
  static final String FILE_NAME = "lock";

  private static final Logger log = LoggerFactory.getLogger("mailcluster.storage");

  private final Path dir;
  private FileChannel channel;
  private FileLock lock;

  private DirectoryLock(Path dir) {
    this.dir = dir;
  }

  /**
   * Locks {@code dir}.
   *
   * @throws ClusterException with {@link ErrorCode#STORAGE_FAILURE} if another process (or another
   *     store of this one) holds it, or the lock file cannot be opened
   */
  static DirectoryLock acquire(Path dir) {
    DirectoryLock l = new DirectoryLock(dir);
    Path p = dir.resolve(FILE_NAME);
    String inUse =
        "state directory "
            + dir
            + " is in use by another process (it holds "
            + p
            + "): stop the other node using it, or give this node a directory of its own";
    try {
      l.channel = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      l.lock = l.channel.tryLock();
    } catch (OverlappingFileLockException e) {
      l.release();
      throw new ClusterException(ErrorCode.STORAGE_FAILURE, inUse, e);
    } catch (IOException e) {
      l.release();
      throw StorageFailure.of("cannot lock " + p, "check the directory's permissions", e);
    }
    if (l.lock == null) {
      l.release();
      throw new ClusterException(ErrorCode.STORAGE_FAILURE, inUse);
    }
    return l;
  }

  /** Releases the lock; a second call does nothing. */
  void release() {
    try {
      if (lock != null) {
        lock.release();
      }
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      log.debug("could not release the lock on {}: {}", dir, e.toString());
    }
    lock = null;
    channel = null;
  }
}
