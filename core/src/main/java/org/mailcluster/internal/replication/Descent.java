package org.mailcluster.internal.replication;

import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.epoch.EpochLineage;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.Request;

/**
 * Whether a joining server's state is one the primary's continues. A server whose state began
 * elsewhere is refused. A registered server holding newer state means the primary's own was lost or
 * restored from an old copy: from then on the primary is behind, serves no one and commits nothing
 * until it is recovered from that server (or restored and restarted). Loop-confined.
 */
final class Descent {
  private final NodeCore node;
  // Why the primary must not serve (a registered server holds newer state), until it is recovered
  // or restarted; null while it may serve.
  private String behind;

  Descent(NodeCore node) {
    this.node = node;
  }

  /** Why the primary must not serve, if a registered server holds newer state than it. */
  Optional<String> behind() {
    return Optional.ofNullable(behind);
  }

  /**
   * Refuses to serve while the primary is behind.
   *
   * @throws ClusterException with {@code STATE_CONFLICT} while the primary is behind
   */
  void checkServing() {
    if (behind != null) {
      throw new ClusterException(ErrorCode.STATE_CONFLICT, behind);
    }
  }

  /** The primary's state was replaced by a recovered one: it serves again. */
  void recovered() {
    behind = null;
  }

  /**
   * Refuses {@code peer} if the primary's state does not continue the one it joins with; a peer
   * with newer state also makes the primary behind.
   *
   * @throws ClusterException with {@code STATE_CONFLICT}
   */
  void check(NodeId peer, Request.Join join) {
    ConfigSnapshot mine = node.committed();
    // Reported once, when it was found; every server that asks again gets the same answer.
    checkServing();
    if (join.applied().equals(Revision.INITIAL)) {
      return; // a node with no state yet takes this one
    }
    String myGenesis = EpochLineage.genesis(mine);
    boolean elsewhere = !join.genesis().isEmpty() && !join.genesis().equals(myGenesis);
    boolean newer = join.applied().compareTo(mine.revision()) > 0;
    NodeId self = node.settings().id();
    if (newer) {
      behind =
          peer
              + " holds revision "
              + join.applied()
              + " but this primary "
              + self
              + " is at "
              + mine.revision()
              + (elsewhere ? " of a state that began anew" : "")
              + ": "
              + self
              + "'s state looks lost or restored from an old copy, so it serves no one. Restore"
              + " its state directory and restart it, or recover it from "
              + peer
              + " (`mailcluster recover --from "
              + peer
              + "` on "
              + self
              + ", or ClusterService.recover)";
      node.events().error(behind);
      node.forEachListener(l -> l.divergenceDetected(peer, join.applied()));
      node.refreshDiagnostics();
      throw new ClusterException(ErrorCode.STATE_CONFLICT, behind);
    }
    if (elsewhere) {
      throw node.events()
          .refuse(
              ErrorCode.STATE_CONFLICT,
              peer
                  + " holds revision "
                  + join.applied()
                  + " of a configuration that does not descend from this primary's ("
                  + self
                  + " at "
                  + mine.revision()
                  + "): it was begun by another primary. If "
                  + peer
                  + " belongs to this cluster, stop it, move its state directory away and start"
                  + " it again; it then takes "
                  + self
                  + "'s configuration");
    }
  }
}
