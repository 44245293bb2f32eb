package org.mailcluster.internal.replication;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.epoch.EpochLineage;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.transport.ReplicationMessage;

/**
 * What the primary puts on a secondary's stream: the log entries it lacks, or a snapshot in chunks
 * when the log no longer reaches back, a resync was asked for, or the entries would carry more than
 * the state itself; heartbeats on an idle stream. Whether a stream may be fed at all (the role is
 * held, no split brain) is the primary's to decide. Loop-confined.
 */
final class StreamFeed {
  private static final int ENTRIES_PER_MESSAGE = 256;
  private static final int KEYS_PER_SNAPSHOT_CHUNK = 1024;
  // A message carries at most about this many characters of keys and values (but always one entry
  // or key), so that a large revision or snapshot flows in pieces that each arrive well within the
  // secondary's silence limit, with heartbeats able to pass between them.
  private static final long CHARS_PER_MESSAGE = 1L << 20;

  private final NodeCore node;

  StreamFeed(NodeCore node) {
    this.node = node;
  }

  /** Sends a subscriber what it lacks, as far as its stream is ready. */
  void pump(Subscriber s) {
    ConfigSnapshot committed = node.committed();
    while (s.stream.isReady()) {
      if (s.sendingSnapshot()) {
        sendSnapshotChunk(s);
        continue;
      }
      if (!s.forceSnapshot && s.sent.equals(committed.revision())) {
        return;
      }
      Optional<List<LogEntry>> missing = s.forceSnapshot ? Optional.empty() : entriesAfter(s.sent);
      if (!s.catchUpChosen && missing.isPresent()) {
        s.catchUpChosen = true;
        if (longerThanSnapshot(missing.get(), committed)) {
          NodeEvents.REPLICATION_LOG.info(
              "{} lacks {} revisions with more changes than the state has keys: a snapshot"
                  + " instead",
              s.node,
              missing.get().size());
          missing = Optional.empty();
        }
      }
      if (missing.isPresent() && !missing.get().isEmpty()) {
        List<LogEntry> all = missing.get();
        List<LogEntry> part = all.subList(0, entriesFitting(all));
        s.stream.send(new ReplicationMessage.Entries(node.epochs().current(), s.sent, part));
        s.sent = part.get(part.size() - 1).revision();
        s.lastSentAt = node.scheduler().now();
      } else {
        s.forceSnapshot = false;
        s.snapshotInFlight = committed;
        s.snapshotKeys = committed.asMap().entrySet().iterator();
        s.nextKey = null;
        s.chunkIndex = 0;
        NodeEvents.REPLICATION_LOG.info(
            "sending {} a snapshot at {} ({} keys)",
            s.node,
            committed.revision(),
            committed.size());
      }
    }
  }

  /** Sends a heartbeat if the stream is ready and nothing was sent for a heartbeat interval. */
  void heartbeat(Subscriber s, Instant now) {
    // Also between the chunks of a snapshot: a secondary that waits for a slow chunk still hears
    // the primary, and does not give up on a long transfer.
    if (s.stream.isReady()
        && !now.isBefore(s.lastSentAt.plus(node.settings().heartbeatInterval()))) {
      s.stream.send(
          new ReplicationMessage.Heartbeat(
              node.epochs().current(), node.committed().revision(), now));
      s.lastSentAt = now;
    }
  }

  /**
   * Whether {@code suffix} is better replaced by a snapshot: it takes more than one message, and it
   * carries more changes than the state has keys. A short suffix goes as entries even then, so that
   * a secondary that is only a little behind keeps the history of each revision.
   */
  private static boolean longerThanSnapshot(List<LogEntry> suffix, ConfigSnapshot state) {
    if (suffix.size() <= ENTRIES_PER_MESSAGE) {
      return false;
    }
    long changes = 0;
    for (LogEntry e : suffix) {
      changes += e.diff().size();
      if (changes > state.size()) {
        return true;
      }
    }
    return false;
  }

  /** How many of {@code entries} go in one message: up to 256, and about 1 MiB of text. */
  private static int entriesFitting(List<LogEntry> entries) {
    int n = 0;
    long chars = 0;
    while (n < entries.size() && n < ENTRIES_PER_MESSAGE) {
      chars += charsOf(entries.get(n));
      if (n > 0 && chars > CHARS_PER_MESSAGE) {
        break;
      }
      n++;
    }
    return n;
  }

  private static long charsOf(LogEntry e) {
    long chars = e.origin().length();
    for (ConfigDiff.Change c : e.diff().changes()) {
      chars += c.key().length() + c.newValue().map(String::length).orElse(0);
    }
    return chars;
  }

  private void sendSnapshotChunk(Subscriber s) {
    TreeMap<String, String> chunk = new TreeMap<>();
    long chars = 0;
    while (chunk.size() < KEYS_PER_SNAPSHOT_CHUNK
        && (s.nextKey != null || s.snapshotKeys.hasNext())) {
      Map.Entry<String, String> e = s.nextKey != null ? s.nextKey : s.snapshotKeys.next();
      s.nextKey = null;
      long size = (long) e.getKey().length() + e.getValue().length();
      if (!chunk.isEmpty() && chars + size > CHARS_PER_MESSAGE) {
        s.nextKey = e; // the first of the next chunk
        break;
      }
      chunk.put(e.getKey(), e.getValue());
      chars += size;
    }
    boolean last = s.nextKey == null && !s.snapshotKeys.hasNext();
    ConfigSnapshot snap = s.snapshotInFlight;
    s.stream.send(
        new ReplicationMessage.SnapshotChunk(
            node.epochs().current(),
            snap.revision(),
            snap.fingerprint(),
            s.chunkIndex++,
            last,
            chunk));
    s.lastSentAt = node.scheduler().now();
    if (last) {
      s.sent = snap.revision();
      s.snapshotSent = snap.revision();
      s.snapshotKeys = null;
      s.snapshotInFlight = null;
    }
  }

  private Optional<List<LogEntry>> entriesAfter(Revision from) {
    ConfigSnapshot committed = node.committed();
    if (from.compareTo(committed.revision()) > 0) {
      return Optional.empty(); // the secondary is ahead of this primary: only a snapshot can help
    }
    if (!EpochLineage.contains(committed, from)) {
      // A revision of a fenced-off primary that this primary never had: the log cannot say what
      // follows it, only a snapshot can.
      return Optional.empty();
    }
    Optional<List<LogEntry>> recent = node.log().after(from);
    return recent.isPresent() ? recent : node.store().entriesAfter(from);
  }
}
