package org.mailcluster.transport;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;

/**
 * One message on a replication stream, primary to secondary. A secondary applies each {@link
 * Entries} whole, and a snapshot only once its last {@link SnapshotChunk} has arrived and its
 * fingerprint checks out (requirement B9 in docs/REQUIREMENTS.md).
 */
public sealed interface ReplicationMessage {
  /** The sender's epoch. */
  long epoch();

  /**
   * Consecutive committed revisions.
   *
   * @param epoch the primary's epoch
   * @param previous the revision the first entry follows: the receiver must be at it
   * @param entries one or more entries in revision order
   */
  record Entries(long epoch, Revision previous, List<LogEntry> entries)
      implements ReplicationMessage {
    /** Copies the entries and checks there is at least one. */
    public Entries {
      requireNonNull(previous, "previous");
      entries = List.copyOf(entries);
      if (entries.isEmpty()) {
        throw new IllegalArgumentException("an Entries message needs at least one entry");
      }
    }
  }

  /**
   * One part of a snapshot, sent in key order.
   *
   * @param epoch the primary's epoch
   * @param revision the snapshot's revision
   * @param fingerprint the whole snapshot's fingerprint, to verify it once assembled
   * @param index the chunk's position, from 0
   * @param last whether this is the final chunk
   * @param entries this chunk's keys and values
   */
  record SnapshotChunk(
      long epoch,
      Revision revision,
      Fingerprint fingerprint,
      int index,
      boolean last,
      SortedMap<String, String> entries)
      implements ReplicationMessage {
    /** Copies the entries and checks the parts. */
    public SnapshotChunk {
      requireNonNull(revision, "revision");
      requireNonNull(fingerprint, "fingerprint");
      if (index < 0) {
        throw new IllegalArgumentException("chunk index must be zero or more but was " + index);
      }
      entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
    }
  }

  /**
   * Sent when there is nothing else to send, so the secondary knows the primary is alive and how
   * far behind it is.
   *
   * @param epoch the primary's epoch
   * @param latest the primary's latest committed revision
   * @param sentAt the primary's wall-clock time
   */
  record Heartbeat(long epoch, Revision latest, Instant sentAt) implements ReplicationMessage {
    /** Checks the parts. */
    public Heartbeat {
      requireNonNull(latest, "latest");
      requireNonNull(sentAt, "sentAt");
    }
  }
}
