package org.mailcluster.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Revision;

/**
 * One committed configuration revision as it is logged, replicated and kept in history: the
 * revision, when and by what it was committed, and the diff from the previous revision.
 *
 * <pre>{@code
 * LogEntry e = new LogEntry(Revision.of(1, 42), scheduler.now(), "api:admin@mx1", diff);
 * }</pre>
 *
 * @param revision the revision this entry creates
 * @param committedAt the primary's wall-clock time of the commit
 * @param origin what made the change, for history and the cluster log: {@code api:<caller>}, {@code
 *     file:<name>}, {@code relocation}, {@code constraints}, {@code rollback:<revision>} …
 * @param diff the changes from the previous revision; never empty
 */
public record LogEntry(Revision revision, Instant committedAt, String origin, ConfigDiff diff) {
  /** Checks the parts. */
  public LogEntry {
    requireNonNull(revision, "revision");
    requireNonNull(committedAt, "committedAt");
    requireNonNull(origin, "origin");
    requireNonNull(diff, "diff");
    if (diff.isEmpty()) {
      throw new IllegalArgumentException("log entry " + revision + " has an empty diff");
    }
    if (origin.isBlank()) {
      throw new IllegalArgumentException("log entry " + revision + " needs an origin");
    }
  }
}
