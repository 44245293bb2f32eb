package org.mailcluster.spi;

import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;

/**
 * The host's own configuration files, seen as part of the replicated state: for example a directory
 * of INI files mapped to keys {@code config/<file>/<section>/<key>}.
 *
 * <p>On the primary, edits that the host or a person makes to the files are committed and
 * replicated. On a secondary, replicated changes are written to the files with {@link #apply}, and
 * edits made behind the library's back are reported so that the node can overwrite them with the
 * primary's values (requirement R3 in docs/REQUIREMENTS.md).
 *
 * <p><b>Contract.</b>
 *
 * <ul>
 *   <li>{@link #load()} returns the files' current content; it reads, never writes.
 *   <li>{@link #apply} writes only the files the diff touches, each atomically (a reader sees the
 *       old file or the new one, never a mix), and returns once the writes are durable. Keys
 *       outside this source's namespace are ignored.
 *   <li>Changes written by {@link #apply} are never reported back to the listener.
 *   <li>The listener receives external edits as diffs against the content last loaded, applied or
 *       reported, on the {@link Scheduler}'s logical thread, and must not throw.
 *   <li>After {@link #close()} no more edits are reported.
 * </ul>
 *
 * <pre>{@code
 * ConfigSnapshot files = source.load();
 * source.watch(diff -> node.localEdit(diff));
 * source.apply(replicatedDiff);
 * }</pre>
 */
public interface ConfigSource extends AutoCloseable {
  /**
   * Reads the current content.
   *
   * @throws org.mailcluster.ClusterException if a file cannot be read or parsed; nothing is changed
   */
  ConfigSnapshot load();

  /**
   * Writes the changes of {@code diff} that belong to this source.
   *
   * @throws org.mailcluster.ClusterException if a file cannot be written; files not yet replaced
   *     keep their old content
   */
  void apply(ConfigDiff diff);

  /** Starts reporting external edits to {@code listener}; may be called once. */
  void watch(Listener listener);

  /** Stops watching and releases resources. Idempotent. */
  @Override
  void close();

  /** Receives edits made to the files by someone other than this source. */
  @FunctionalInterface
  interface Listener {
    /** Called with the changes found; never with an empty diff. */
    void externalEdit(ConfigDiff diff);

    /**
     * Called when an edited file was not taken in, e.g. because it is larger than the source's
     * limit ({@code LIMIT_EXCEEDED}): nothing of that edit is reported, and the file's keys keep
     * the values last reported until it changes again. The node shows the refusal in its recent
     * events. Does nothing unless overridden.
     *
     * @param why the refusal, naming the file, and what to do
     */
    default void refused(org.mailcluster.ClusterException why) {}
  }
}
