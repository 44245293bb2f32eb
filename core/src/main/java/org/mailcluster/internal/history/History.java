package org.mailcluster.internal.history;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.spi.StateStore;

/**
 * The committed revisions a node keeps for history, diff and rollback (requirement B1 in
 * docs/REQUIREMENTS.md): a contiguous run of log entries ending at the node's applied state,
 * bounded by count and by age.
 *
 * <p>Only the newest state is held whole; an older revision's content is rebuilt by undoing the
 * entries after it, newest first (every entry's diff carries its old values). So the retained
 * revisions are the <i>base</i> (the revision before the oldest entry) and every entry's revision,
 * and nothing outside that run can be answered. Installing a snapshot breaks the run: history then
 * starts again at the snapshot's revision.
 *
 * <p>The node's loop writes it; host threads read it, so every method is synchronized.
 */
public final class History {
  /**
   * The store's metadata that says from which revision on history can be rebuilt after a restart:
   * written when a snapshot lets the store trim its log.
   */
  public static final String BASE_METADATA = "history.base";

  /** One retained entry and the fingerprint of the state it produced (for divergence checks). */
  private record Step(LogEntry entry, Fingerprint after) {}

  private final int maxEntries;
  private final Duration maxAge;
  private final ArrayDeque<Step> steps = new ArrayDeque<>();
  private ConfigSnapshot head = ConfigSnapshot.empty();
  private Revision base = Revision.INITIAL;
  private Fingerprint baseFingerprint = Fingerprint.EMPTY;

  public History(int maxEntries, Duration maxAge) {
    if (maxEntries < 0) {
      throw new IllegalArgumentException("history entries must be 0 or more but was " + maxEntries);
    }
    this.maxEntries = maxEntries;
    this.maxAge = requireNonNull(maxAge, "maxAge");
  }

  /**
   * Starts again from {@code state} and the entries that led to it from {@code baseRevision}
   * (oldest first; the last one ends at {@code state}'s revision). With no entries, history holds
   * {@code state} alone.
   */
  public synchronized void reset(
      ConfigSnapshot state, Revision baseRevision, List<LogEntry> leadingTo) {
    steps.clear();
    head = state;
    if (leadingTo.isEmpty()
        || !leadingTo.get(leadingTo.size() - 1).revision().equals(state.revision())) {
      base = state.revision();
      baseFingerprint = state.fingerprint();
      return;
    }
    // Walk back from the state, undoing each entry, to learn every intermediate fingerprint.
    ConfigSnapshot s = state;
    List<Step> reversed = new ArrayList<>();
    for (int i = leadingTo.size() - 1; i >= 0; i--) {
      LogEntry e = leadingTo.get(i);
      reversed.add(new Step(e, s.fingerprint()));
      s = e.diff().invert().apply(s);
    }
    for (int i = reversed.size() - 1; i >= 0; i--) {
      steps.addLast(reversed.get(i));
    }
    base = baseRevision;
    baseFingerprint = s.fingerprint();
  }

  /** Adds a committed or applied entry whose result is {@code after}. */
  public synchronized void record(LogEntry entry, ConfigSnapshot after) {
    steps.addLast(new Step(entry, after.fingerprint()));
    head = after;
  }

  /** Drops entries beyond the count limit and entries older than the age limit. */
  public synchronized void prune(Instant now) {
    Instant oldest = now.minus(maxAge);
    while (!steps.isEmpty()
        && (steps.size() > maxEntries
            || steps.peekFirst().entry().committedAt().isBefore(oldest))) {
      Step dropped = steps.removeFirst();
      base = dropped.entry().revision();
      baseFingerprint = dropped.after();
    }
  }

  /** Returns the retained entries, oldest first. */
  public synchronized List<LogEntry> entries() {
    List<LogEntry> out = new ArrayList<>(steps.size());
    steps.forEach(s -> out.add(s.entry()));
    return List.copyOf(out);
  }

  /** Returns the oldest revision whose content can still be rebuilt. */
  public synchronized Revision base() {
    return base;
  }

  /** Returns the retained entries after {@code from} (which must be retained), oldest first. */
  public synchronized List<LogEntry> entriesAfter(Revision from) {
    List<LogEntry> out = new ArrayList<>();
    for (Step s : steps) {
      if (s.entry().revision().compareTo(from) > 0) {
        out.add(s.entry());
      }
    }
    return out;
  }

  /** Returns whether {@code r} is retained, as an entry or as the base. */
  public synchronized boolean retains(Revision r) {
    return r.equals(base) || r.equals(head.revision()) || find(r) != null;
  }

  /** Returns the fingerprint of the content at {@code r}, if retained. */
  public synchronized Optional<Fingerprint> fingerprintAt(Revision r) {
    if (r.equals(head.revision())) {
      return Optional.of(head.fingerprint());
    }
    if (r.equals(base)) {
      return Optional.of(baseFingerprint);
    }
    Step s = find(r);
    return s == null ? Optional.empty() : Optional.of(s.after());
  }

  /**
   * Returns the content at {@code r}, rebuilt from the newest state.
   *
   * @throws ClusterException with {@code INVALID_VALUE} if {@code r} is not retained
   */
  public synchronized ConfigSnapshot contentAt(Revision r) {
    requireNonNull(r, "revision");
    if (r.equals(head.revision())) {
      return head;
    }
    if (!retains(r)) {
      throw notRetained(r);
    }
    ConfigSnapshot s = head;
    Iterator<Step> newestFirst = steps.descendingIterator();
    while (newestFirst.hasNext()) {
      Step step = newestFirst.next();
      if (step.entry().revision().equals(r)) {
        return s.atRevision(r);
      }
      s = step.entry().diff().invert().apply(s);
    }
    return s.atRevision(base);
  }

  /** Returns the changes that turn the content at {@code from} into the content at {@code to}. */
  public synchronized ConfigDiff diff(Revision from, Revision to) {
    return ConfigDiff.between(contentAt(from), contentAt(to));
  }

  /**
   * Rebuilds history after a restart from what the store recovered: from the recovered snapshot on,
   * or from the older base the store's metadata names if its log still reaches back to it.
   *
   * @param warn where a history that cannot be read back is reported
   */
  public void recover(
      StateStore store,
      StateStore.Recovered recovered,
      ConfigSnapshot state,
      Instant now,
      java.util.function.Consumer<String> warn) {
    Revision from = recovered.snapshot().revision();
    List<LogEntry> leading = recovered.entries();
    Optional<Revision> older = store.readMetadata(BASE_METADATA).map(Revision::parse);
    if (older.isPresent() && older.get().compareTo(from) < 0) {
      // The snapshot covers part of the history; the log may still hold it.
      try {
        Optional<List<LogEntry>> more = store.entriesAfter(older.get());
        if (more.isPresent()
            && !more.get().isEmpty()
            && more.get().get(more.get().size() - 1).revision().equals(state.revision())) {
          leading = more.get();
          from = older.get();
        }
      } catch (RuntimeException e) {
        warn.accept("history before the last snapshot could not be read: " + e.getMessage());
      }
    }
    reset(state, from, leading);
    prune(now);
  }

  private Step find(Revision r) {
    // Newest first: the revisions asked for (acknowledgements, recent diffs) are nearly always the
    // latest, and a history may hold thousands of steps.
    Iterator<Step> newestFirst = steps.descendingIterator();
    while (newestFirst.hasNext()) {
      Step s = newestFirst.next();
      if (s.entry().revision().equals(r)) {
        return s;
      }
    }
    return null;
  }

  private ClusterException notRetained(Revision r) {
    return new ClusterException(
        ErrorCode.INVALID_VALUE,
        "revision "
            + r
            + " is not in this node's history (it keeps "
            + base
            + " to "
            + head.revision()
            + "): choose a retained revision, or keep more history with"
            + " ClusterServiceBuilder.historyRetention");
  }
}
