package org.mailcluster.transport;

import static java.util.Objects.requireNonNull;
import static org.mailcluster.transport.MessageLimits.count;
import static org.mailcluster.transport.MessageLimits.text;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;

/**
 * One message on a replication stream, primary to secondary. A secondary applies each {@link
 * Entries} whole, and a snapshot only once its last {@link SnapshotChunk} has arrived and its
 * fingerprint checks out (requirement B9 in docs/REQUIREMENTS.md). Every field is checked against
 * its {@linkplain MessageLimits limit} when the message is built.
 */
public sealed interface ReplicationMessage {
  /** The sender's epoch. */
  long epoch();

  /**
   * Consecutive committed revisions.
   *
   * @param epoch the primary's epoch
   * @param previous the revision the first entry follows: the receiver must be at it
   * @param entries one to {@value MessageLimits#ENTRIES_PER_MESSAGE} entries in revision order,
   *     each with at most {@value MessageLimits#CHANGES_PER_ENTRY} changes and keys, values and
   *     origin of at most {@value MessageLimits#STATE_TEXT} characters
   */
  record Entries(long epoch, Revision previous, List<LogEntry> entries)
      implements ReplicationMessage {
    /** Copies the entries and checks there is at least one, and the parts. */
    public Entries {
      requireNonNull(previous, "previous");
      entries = List.copyOf(entries);
      if (entries.isEmpty()) {
        throw new IllegalArgumentException("an Entries message needs at least one entry");
      }
      MessageLimits.epoch("Entries.epoch", epoch);
      count("Entries.entries", entries, MessageLimits.ENTRIES_PER_MESSAGE);
      for (int i = 0; i < entries.size(); i++) {
        check(i, entries.get(i));
      }
    }

    private static void check(int index, LogEntry entry) {
      List<ConfigDiff.Change> changes = entry.diff().changes();
      if (tooLong(entry.origin()) || changes.size() > MessageLimits.CHANGES_PER_ENTRY) {
        String field = "Entries.entries[" + index + "]";
        text(field + ".origin", entry.origin(), MessageLimits.STATE_TEXT);
        count(field + ".changes", changes, MessageLimits.CHANGES_PER_ENTRY);
      }
      for (int i = 0; i < changes.size(); i++) {
        ConfigDiff.Change c = changes.get(i);
        String key = c.key();
        String oldValue = c.oldValue().orElse(null);
        String newValue = c.newValue().orElse(null);
        // Named only when one is too long: this runs for every change the primary sends.
        if (tooLong(key) || tooLong(oldValue) || tooLong(newValue)) {
          String at = "Entries.entries[" + index + "].changes[" + i + "]";
          text(at + ".key", key, MessageLimits.STATE_TEXT);
          text(at + ".oldValue", oldValue, MessageLimits.STATE_TEXT);
          text(at + ".newValue", newValue, MessageLimits.STATE_TEXT);
        }
      }
    }

    private static boolean tooLong(String value) {
      return value != null && value.length() > MessageLimits.STATE_TEXT;
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
   * @param entries this chunk's keys and values: at most {@value MessageLimits#KEYS_PER_CHUNK},
   *     each key and value of at most {@value MessageLimits#STATE_TEXT} characters
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
      MessageLimits.epoch("SnapshotChunk.epoch", epoch);
      count("SnapshotChunk.entries", entries.keySet(), MessageLimits.KEYS_PER_CHUNK);
      entries.forEach(
          (k, v) -> {
            text("SnapshotChunk.entries.key", k, MessageLimits.STATE_TEXT);
            text("SnapshotChunk.entries.value", v, MessageLimits.STATE_TEXT);
          });
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
      MessageLimits.epoch("Heartbeat.epoch", epoch);
    }
  }
}
