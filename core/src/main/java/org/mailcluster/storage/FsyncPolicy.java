package org.mailcluster.storage;

/**
 * When a {@link FileStateStore} forces appended log records to the disk, which decides what
 * survives a power failure or a kernel crash. (A crash of the process alone loses nothing that
 * {@code append} wrote under any policy: the operating system still holds it.)
 *
 * <pre>{@code
 * FileStateStore store =
 *     FileStateStore.builder(Path.of("C:\\MDaemon\\Cluster\\state"))
 *         .fsyncPolicy(FsyncPolicy.GROUP)
 *         .build();
 * }</pre>
 */
public enum FsyncPolicy {
  /** One fsync after every entry: the slowest, for callers that append entries one by one. */
  PER_COMMIT,
  /**
   * One fsync per {@code append} call, however many entries it carries (group commit). The default:
   * a node batches concurrent commits into one call and acknowledges them together.
   */
  GROUP,
  /**
   * Never fsync. For tests only: a power failure may lose acknowledged entries and leave torn
   * snapshots behind the atomic rename; never use it on a production node.
   */
  NONE
}
