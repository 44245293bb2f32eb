package org.mailcluster.internal.replication;

import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.mailcluster.ClusterException;
import org.mailcluster.Diagnostics;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.NodeId;

/**
 * A secondary's host files: the revision whose state they hold, the primary's values written over
 * local edits, and while writing them fails, since when and why (the node is then degraded). The
 * retry writes the whole state over the files, so what it writes is always derived from the state
 * and the files as they are then. Loop-confined.
 */
final class SecondaryFiles {
  private final NodeCore node;
  private final BooleanSupplier closed;
  private final Runnable acknowledge;
  private final Supplier<Optional<NodeId>> primary;
  // The revision whose state the files hold, and while writing them fails, since when and why
  // (null when they are up to date).
  private Revision filesWritten = Revision.INITIAL;
  private Diagnostics.Degraded filesFailing;
  private int fileFailures;
  private final FileRetry fileRetry;

  /**
   * Files of a secondary whose role ends when {@code closed} holds; {@code acknowledge} tells the
   * primary (if there is one yet) what the files hold, and {@code primary} names it in reports.
   */
  SecondaryFiles(
      NodeCore node,
      BooleanSupplier closed,
      Runnable acknowledge,
      Supplier<Optional<NodeId>> primary) {
    this.node = node;
    this.closed = closed;
    this.acknowledge = acknowledge;
    this.primary = primary;
    this.fileRetry = new FileRetry(node);
  }

  /** Writes what {@code diff} changed in the state to the files, unless a retry is pending. */
  void write(ConfigDiff diff) {
    if (node.files().source().isEmpty() || filesFailing != null) {
      // While a write fails, the retry writes the whole state, this change included.
      return;
    }
    try {
      node.files().apply(diff);
      filesWritten = node.committed().revision();
    } catch (ClusterException e) {
      failed(e);
    }
  }

  /** The revision whose state the files hold, as acknowledged: at most the applied one. */
  Revision written() {
    Revision applied = node.committed().revision();
    if (node.files().source().isEmpty() || filesFailing == null) {
      return applied;
    }
    // After a snapshot of another lineage, what the files hold may not precede what is applied.
    return filesWritten.compareTo(applied) <= 0 ? filesWritten : Revision.INITIAL;
  }

  /**
   * Writing the files failed: they keep what they had, the node is degraded, and the whole state is
   * written again with backoff until it succeeds.
   */
  private void failed(ClusterException e) {
    fileFailures++;
    if (filesFailing == null) {
      String reason =
          "could not write the configuration files ("
              + e.getMessage()
              + "); they hold revision "
              + filesWritten
              + " and are written again until it succeeds";
      filesFailing = new Diagnostics.Degraded(reason, node.scheduler().now());
      node.events().error("degraded: " + reason);
      acknowledge.run(); // the primary shows this node's files as behind
      node.refreshDiagnostics();
    } else {
      NodeEvents.CLUSTER_LOG.debug(
          "writing the configuration files failed again ({} attempts): {}",
          fileFailures,
          e.getMessage());
    }
    fileRetry.schedule(
        fileFailures,
        () -> !closed.getAsBoolean() && filesFailing != null,
        () -> overwrite("after a failed write"));
  }

  /** Why the secondary is degraded now, if it is: writing its files fails. */
  Optional<Diagnostics.Degraded> degraded() {
    return Optional.ofNullable(filesFailing);
  }

  /**
   * Writes the primary's values over whatever the files hold now, and reports what changed; a
   * failure leaves the node degraded and retrying.
   */
  void overwrite(String when) {
    if (node.files().source().isEmpty()) {
      return;
    }
    ConfigDiff overwrite;
    try {
      overwrite = node.files().overwrite(node.committed());
    } catch (ClusterException e) {
      failed(e);
      return;
    }
    filesWritten = node.committed().revision();
    if (filesFailing != null) {
      Diagnostics.Degraded was = filesFailing;
      int attempts = fileFailures;
      filesFailing = null;
      fileFailures = 0;
      node.events()
          .info(
              "no longer degraded: the configuration files hold revision "
                  + filesWritten
                  + " again, after "
                  + attempts
                  + " failed attempt"
                  + (attempts == 1 ? "" : "s")
                  + " since "
                  + was.since());
      acknowledge.run();
      node.refreshDiagnostics();
      if (overwrite.isEmpty()) {
        return;
      }
      // What the retry wrote is the primary's state, not a local edit: log it, do not warn.
      NodeEvents.CLUSTER_LOG.info(
          "wrote {} key{} to the configuration files {}",
          overwrite.size(),
          overwrite.size() == 1 ? "" : "s",
          when);
      return;
    }
    if (overwrite.isEmpty()) {
      return;
    }
    for (ConfigDiff.Change c : overwrite.changes()) {
      NodeEvents.CLUSTER_LOG.warn(
          "overwrote a local edit {} on {}: {} (configuration is changed on the primary{})",
          when,
          node.settings().id(),
          c.render(),
          primary.get().map(p -> " " + p).orElse(""));
    }
    node.events()
        .record(
            "WARN",
            "overwrote "
                + overwrite.size()
                + " locally edited key"
                + (overwrite.size() == 1 ? "" : "s")
                + " "
                + when);
    node.forEachListener(l -> l.localEditOverwritten(overwrite));
  }
}
