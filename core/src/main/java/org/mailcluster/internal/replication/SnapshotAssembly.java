package org.mailcluster.internal.replication;

import java.util.Optional;
import java.util.TreeMap;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.transport.ReplicationMessage;

/**
 * A snapshot arriving in chunks on a secondary: the chunks must come in order, and the whole must
 * match the fingerprint the primary sent, or nothing of it is used. Loop-confined.
 */
final class SnapshotAssembly {
  private TreeMap<String, String> entries;
  private int next;

  /**
   * Adds a chunk, and returns the whole snapshot once its last chunk is in.
   *
   * @throws ClusterException with {@code CORRUPT_DATA} if a chunk is out of order or the whole does
   *     not match its fingerprint; what was assembled is dropped
   */
  Optional<ConfigSnapshot> add(ReplicationMessage.SnapshotChunk chunk) {
    if (chunk.index() == 0) {
      entries = new TreeMap<>();
      next = 0;
    } else if (entries == null || chunk.index() != next) {
      entries = null;
      throw new ClusterException(
          ErrorCode.CORRUPT_DATA, "snapshot chunk " + chunk.index() + " arrived out of order");
    }
    entries.putAll(chunk.entries());
    next++;
    if (!chunk.last()) {
      return Optional.empty();
    }
    ConfigSnapshot received = ConfigSnapshot.of(entries, chunk.revision());
    entries = null;
    if (!received.fingerprint().equals(chunk.fingerprint())) {
      throw new ClusterException(
          ErrorCode.CORRUPT_DATA,
          "snapshot "
              + chunk.revision()
              + " does not match its fingerprint ("
              + received.fingerprint()
              + " instead of "
              + chunk.fingerprint()
              + ")");
    }
    return Optional.of(received);
  }

  /** Drops a partly assembled snapshot (its stream ended). */
  void reset() {
    entries = null;
  }
}
