package org.mailcluster.internal.replication;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.epoch.DivergenceFile;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;

/**
 * Replaces a primary's state by one copied from another server: its own is saved to a divergence
 * file first, then the store, the log, the history and the host's files take the copy, in the epoch
 * a majority granted. What the primary records in that new epoch is its own to commit. On the loop.
 */
final class StateRecovery {
  private final NodeCore node;

  StateRecovery(NodeCore node) {
    this.node = node;
  }

  /**
   * Installs {@code state} (and the history entries that led to it from {@code historyBase}) as
   * copied from {@code source}; {@code oldStateGone} runs once the node holds the copy, before it
   * is announced, to drop what belonged to the replaced state.
   *
   * @throws ClusterException with {@code STORAGE_FAILURE} if the own state cannot be saved first:
   *     nothing is replaced
   */
  void install(
      ConfigSnapshot state,
      Revision historyBase,
      List<LogEntry> history,
      NodeId source,
      String caller,
      long epoch,
      Runnable oldStateGone) {
    ConfigSnapshot before = node.committed();
    Path saved;
    try {
      saved =
          DivergenceFile.write(
              node.settings().divergenceDirectory(),
              node.settings().id(),
              before.revision().epoch(),
              Math.max(node.epochs().current(), state.revision().epoch()),
              source.value(),
              node.scheduler().now(),
              node.history().entries(),
              before);
    } catch (IOException | RuntimeException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "could not save this node's own state before recovering (nothing was replaced): "
              + e.getMessage());
    }
    // Undo the history from the copied state to learn the state it starts from: the store holds
    // that and the entries, so a restart rebuilds the same history.
    ConfigSnapshot base = state;
    for (int i = history.size() - 1; i >= 0; i--) {
      base = history.get(i).diff().invert().apply(base);
    }
    base = base.atRevision(historyBase);
    node.store().resetTo(history.isEmpty() ? state : base);
    if (!history.isEmpty()) {
      node.store().append(history);
    }
    node.epochs().adopt(epoch);
    node.setCommitted(state);
    node.setTip(state);
    node.log().resetTo(state.revision());
    node.history().reset(state, historyBase, history);
    oldStateGone.run();
    NodeEvents.CLUSTER_LOG.warn(
        "recovered from {} by {}: this node now holds {} ({} keys, {} history entries) instead of"
            + " {}; its own state was saved to {}",
        source,
        caller,
        state.revision(),
        state.size(),
        history.size(),
        before.revision(),
        saved);
    node.events()
        .record(
            "WARN",
            "recovered from "
                + source
                + " at "
                + state.revision()
                + "; own state saved to "
                + saved);
    if (node.files().source().isPresent()) {
      node.files().overwrite(state);
    }
    ConfigDiff diff = ConfigDiff.between(before, state);
    if (!diff.isEmpty()) {
      node.notifyChanged(state, diff);
    }
  }
}
