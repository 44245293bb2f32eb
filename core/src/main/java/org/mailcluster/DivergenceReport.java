package org.mailcluster;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import org.mailcluster.config.Revision;

/**
 * Revisions that a former primary committed but the new primary never received (promotion,
 * requirement B3 in docs/REQUIREMENTS.md): when a fenced-off primary returns as a secondary it
 * saves them to a file, reports them, and then takes the new primary's state. They are never merged
 * and never lost: the file holds each revision's diff and the node's whole state at the last of
 * them, for an operator to re-apply by hand.
 *
 * <pre>{@code
 * cluster.addListener(new ClusterListener() {
 *   public void divergentRevisionsSaved(DivergenceReport r) {
 *     alert(r.revisions().size() + " changes made on " + r.node() + " were not replicated: see "
 *         + r.file());
 *   }
 * });
 * }</pre>
 *
 * @param node the node that saved them (the former primary)
 * @param epoch the epoch in which it was primary
 * @param newEpoch the epoch of the primary it now follows
 * @param revisions the diverged revisions, oldest first (those its history still held; the file
 *     also holds its whole state at the last one)
 * @param file the absolute path of the file written
 * @param savedAt when the file was written
 */
public record DivergenceReport(
    String node,
    long epoch,
    long newEpoch,
    List<Revision> revisions,
    String file,
    Instant savedAt) {
  /** Copies the list and checks the parts. */
  public DivergenceReport {
    requireNonNull(node, "node");
    requireNonNull(file, "file");
    requireNonNull(savedAt, "savedAt");
    revisions = List.copyOf(revisions);
  }
}
