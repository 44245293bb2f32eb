package org.mailcluster.internal.replication;

import java.util.Optional;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.epoch.EpochLineage;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.membership.NodeId;

/**
 * A secondary never moves backwards: it refuses a primary's state that is older than its own or
 * began elsewhere, keeps what it holds, and says why (in diagnostics, and once per cause as an
 * error). Loop-confined.
 */
final class PrimaryRefusal {
  private final NodeCore node;
  // Why this node refused its primary's state (it would have moved backwards); null otherwise.
  private String refused;

  PrimaryRefusal(NodeCore node) {
    this.node = node;
  }

  /**
   * Why taking {@code primary}'s state (at {@code latest}, begun at {@code genesis}) would move
   * this node backwards: it is older than what this node holds, or began elsewhere. Empty if it may
   * be taken; a node that holds nothing yet takes any.
   */
  Optional<String> wouldGoBackwards(NodeId primary, Revision latest, String genesis) {
    ConfigSnapshot mine = node.committed();
    if (mine.revision().equals(Revision.INITIAL)) {
      return Optional.empty();
    }
    NodeId self = node.settings().id();
    String myGenesis = EpochLineage.genesis(mine);
    if (latest.compareTo(mine.revision()) < 0) {
      return Optional.of(
          primary
              + " is at "
              + latest
              + " but this node "
              + self
              + " holds "
              + mine.revision()
              + ": "
              + primary
              + "'s state looks lost or restored from an old copy; restore it, or recover "
              + primary
              + " from "
              + self
              + " (`mailcluster recover --from "
              + self
              + "` on "
              + primary
              + ")");
    }
    if (!genesis.isEmpty() && !myGenesis.isEmpty() && !genesis.equals(myGenesis)) {
      return Optional.of(
          primary
              + " (at "
              + latest
              + ") holds a configuration that does not descend from this node's ("
              + self
              + " at "
              + mine.revision()
              + "): it was begun anew, so its state looks lost. Restore "
              + primary
              + "'s state directory, or recover "
              + primary
              + " from "
              + self
              + " (`mailcluster recover --from "
              + self
              + "` on "
              + primary
              + "); if "
              + self
              + " is the one that belongs elsewhere, stop it and move its state directory away");
    }
    return Optional.empty();
  }

  /** Reports a refused primary once per cause (ERROR), and keeps the reason for diagnostics. */
  void refused(String why) {
    if (!why.equals(refused)) {
      node.events().error("kept this node's configuration, nothing was applied: " + why);
    }
    refused = why;
    node.refreshDiagnostics();
  }

  /** A primary's state was taken: nothing is refused any more. */
  void clear() {
    refused = null;
  }

  /** Why this node refuses its primary's state, if it does. */
  Optional<String> reason() {
    return Optional.ofNullable(refused);
  }
}
