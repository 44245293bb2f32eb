package org.mailcluster.storage;

import java.io.IOException;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;

/**
 * How every part of the {@link FileStateStore} reports an I/O failure: a {@link ClusterException}
 * with {@link ErrorCode#STORAGE_FAILURE} whose message says what failed, the file system's reason
 * and what to do.
 */
final class StorageFailure {
  private StorageFailure() {}

  static ClusterException of(String what, String todo, IOException cause) {
    return new ClusterException(
        ErrorCode.STORAGE_FAILURE, what + " (" + cause + "): " + todo, cause);
  }
}
