package org.mailcluster.internal.replication;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;

/**
 * The newest log entries a node keeps in memory, so that a primary streams a secondary what it
 * lacks without reading its disk. A secondary keeps it too: should it be promoted, it streams from
 * here. Loop-confined.
 */
public final class LogWindow {
  private static final int RECENT_ENTRIES = 4096;

  private final Deque<LogEntry> recent = new ArrayDeque<>();
  private Revision base = Revision.INITIAL;

  /** Adds an entry just committed or applied. */
  public void remember(LogEntry entry) {
    recent.addLast(entry);
    while (recent.size() > RECENT_ENTRIES) {
      base = recent.removeFirst().revision();
    }
  }

  /** Starts again, empty, after {@code revision} (a recovered or installed state). */
  public void resetTo(Revision revision) {
    recent.clear();
    base = revision;
  }

  /** A promoted node streams from its window if it has one, else from its own state. */
  public void startAtIfEmpty(Revision revision) {
    if (recent.isEmpty()) {
      base = revision;
    }
  }

  /** The entries after {@code from}, if the window reaches back that far. */
  Optional<List<LogEntry>> after(Revision from) {
    if (!from.equals(base) && recent.stream().noneMatch(e -> e.revision().equals(from))) {
      return Optional.empty();
    }
    List<LogEntry> out = new ArrayList<>();
    boolean after = from.equals(base);
    for (LogEntry e : recent) {
      if (after) {
        out.add(e);
      } else if (e.revision().equals(from)) {
        after = true;
      }
    }
    return Optional.of(out);
  }
}
