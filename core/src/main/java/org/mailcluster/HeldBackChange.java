package org.mailcluster;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import org.mailcluster.config.ConfigDiff;

/**
 * A change of one host file that the primary did not commit because it looked like damage
 * (requirement S2 in docs/REQUIREMENTS.md): it deletes every key of the file or more than the
 * configured share of them ({@link ClusterServiceBuilder#heldBackDeletionShare}), leaves a value
 * cut mid-line, or turns the file into text that is not INI. Nothing of that file replicates while
 * it is held back; the other files' changes still do. The hold-back clears by itself when the file
 * is restored (its change vanishes or stops being suspicious), or an operator confirms the change
 * with {@link ClusterService#confirmHeldBack} ({@code mailcluster confirm <file>}), which commits
 * it.
 *
 * <pre>{@code
 * for (HeldBackChange h : cluster.heldBack()) {
 *   System.out.println(h.file() + " held back since " + h.since() + ": " + h.reason());
 *   System.out.print(h.diff().render());
 * }
 * Revision confirmed = cluster.confirmHeldBack("MDaemon.ini", "api:admin").get();
 * }</pre>
 *
 * @param file the file's name as in state keys ({@code config/<file>/…})
 * @param reason why it is held back, in words an operator understands
 * @param changes what confirming would commit: the net change of the file's keys against the
 *     committed state
 * @param keysDeleted how many of the file's committed keys that change deletes
 * @param since when the file's change was first held back
 */
public record HeldBackChange(
    String file, String reason, List<ConfigDiff.Change> changes, int keysDeleted, Instant since) {
  /** Copies the list and checks the parts. */
  public HeldBackChange {
    requireNonNull(file, "file");
    requireNonNull(reason, "reason");
    changes = List.copyOf(changes);
    requireNonNull(since, "since");
  }

  /** The change that confirming would commit, as a diff. */
  public ConfigDiff diff() {
    return ConfigDiff.of(changes);
  }
}
