package org.mailcluster.constraints;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import org.mailcluster.config.Revision;

/**
 * What applying the cluster constraints changed, and in which revision.
 *
 * <pre>{@code
 * ConstraintReport r = cluster.constraints().apply().join();
 * r.changes().forEach(c -> log.info("{} set to {} for clustering", c.setting(), c.after()));
 * }</pre>
 *
 * @param revision the revision that applied the changes; empty if nothing had to change
 * @param changes each setting that changed, in key order
 */
public record ConstraintReport(Optional<Revision> revision, List<ConstraintChange> changes) {
  /** Copies the list. */
  public ConstraintReport {
    requireNonNull(revision, "revision");
    changes = List.copyOf(changes);
  }
}
