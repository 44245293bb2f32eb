package org.mailcluster.spi;

import java.util.List;
import java.util.Optional;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;

/**
 * A node's durable state: the log of committed revisions, snapshots of the replicated state, and a
 * few metadata values (such as the highest epoch seen). The node core calls it from its single
 * logical thread; implementations need not be thread-safe.
 *
 * <p><b>Contract.</b>
 *
 * <ul>
 *   <li><b>Durability.</b> When {@link #append} returns, the entries are durable as far as the
 *       store's fsync policy promises (per call, or none for tests), and survive a crash of the
 *       process or the machine. A commit is acknowledged to its caller only after that.
 *   <li><b>Order.</b> Appended revisions are strictly increasing; an entry at or below {@link
 *       #lastRevision()} is refused with {@link IllegalArgumentException}.
 *   <li><b>Atomicity.</b> A crash at any instant leaves the store as it was before or after each
 *       call, never a mix: {@link #recover()} drops a torn or corrupt log tail (and says so), and
 *       snapshots and metadata are replaced atomically.
 *   <li><b>Recovery.</b> {@link #recover()} is called once, before anything else, and returns the
 *       state to resume from: the latest snapshot plus every logged entry after it.
 *   <li><b>Retention.</b> The store may discard log entries covered by a snapshot to honour its
 *       limits; {@link #entriesAfter} then answers empty for revisions it no longer holds, and the
 *       caller falls back to a snapshot.
 *   <li><b>Failures.</b> I/O failures are reported as {@link org.mailcluster.ClusterException} with
 *       {@link org.mailcluster.ErrorCode#STORAGE_FAILURE}; after one, nothing of the failed call is
 *       acknowledged, and the store is still usable once the fault clears.
 * </ul>
 *
 * <pre>{@code
 * StateStore.Recovered r = store.recover();
 * ConfigSnapshot state = r.replay();
 * store.append(List.of(entry));           // durable when this returns
 * store.saveSnapshot(state);              // lets the log be trimmed
 * }</pre>
 */
public interface StateStore extends AutoCloseable {
  /**
   * Reads what is durable and returns the state to resume from. Called once, first.
   *
   * @throws org.mailcluster.ClusterException with {@code CORRUPT_DATA} if a snapshot cannot be read
   *     (a torn log tail is not an error: it is dropped and reported in {@link
   *     Recovered#repairs()})
   */
  Recovered recover();

  /**
   * Appends entries in revision order and makes them durable (one fsync for the whole list under a
   * group-commit policy).
   */
  void append(List<LogEntry> entries);

  /** Returns the revision of the last appended or recovered entry or snapshot. */
  Revision lastRevision();

  /**
   * Returns the logged entries after {@code from}, in order, if the log still holds all of them;
   * empty if some were discarded (the caller must send a snapshot instead).
   */
  Optional<List<LogEntry>> entriesAfter(Revision from);

  /**
   * Durably stores a snapshot (atomic replacement). Entries up to its revision may then be
   * discarded under the retention limits.
   */
  void saveSnapshot(ConfigSnapshot snapshot);

  /**
   * Replaces the whole state with {@code snapshot} and discards every log entry: what a secondary
   * does when it catches up by snapshot. Atomic: after a crash, recovery finds either the old state
   * or the new one.
   */
  void resetTo(ConfigSnapshot snapshot);

  /** Returns a metadata value written by {@link #writeMetadata}, if any. */
  Optional<String> readMetadata(String name);

  /** Durably and atomically stores a metadata value (for example {@code epoch.highest}). */
  void writeMetadata(String name, String value);

  /** Releases files and handles. Idempotent. */
  @Override
  void close();

  /**
   * What {@link #recover()} found.
   *
   * @param snapshot the latest durable snapshot ({@link ConfigSnapshot#empty()} if none)
   * @param entries the durable log entries after the snapshot's revision, in order
   * @param repairs what recovery had to drop or repair (a torn tail, a corrupt record), for the
   *     cluster log; empty when the store was clean
   */
  record Recovered(ConfigSnapshot snapshot, List<LogEntry> entries, List<String> repairs) {
    /** Copies the lists. */
    public Recovered {
      entries = List.copyOf(entries);
      repairs = List.copyOf(repairs);
    }

    /** Returns the snapshot with every entry applied, at the last entry's revision. */
    public ConfigSnapshot replay() {
      ConfigSnapshot s = snapshot;
      for (LogEntry e : entries) {
        s = e.diff().apply(s).atRevision(e.revision());
      }
      return s;
    }
  }
}
