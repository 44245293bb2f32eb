package org.mailcluster.internal.replication;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.mailcluster.Diagnostics;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.Request;

/**
 * How far each secondary is, as the primary knows from its acknowledgements: the revision it
 * applied, the one it last wrote to its host's files, and since when those files are behind what it
 * applied (it is then degraded). Loop-confined.
 */
final class SecondaryProgress {
  private final NodeCore node;
  private final Map<NodeId, Revision> acknowledged = new HashMap<>();
  private final Map<NodeId, Revision> written = new HashMap<>();
  private final Map<NodeId, Instant> filesBehindSince = new HashMap<>();

  SecondaryProgress(NodeCore node) {
    this.node = node;
  }

  /** Records an acknowledgement, and reports when the secondary's files fall behind or catch up. */
  void acknowledged(NodeId peer, Request.Ack ack) {
    acknowledged.put(peer, ack.applied());
    written.put(peer, ack.written());
    boolean behind = ack.written().compareTo(ack.applied()) < 0;
    Instant since = filesBehindSince.get(peer);
    if (behind && since == null) {
      filesBehindSince.put(peer, node.scheduler().now());
      node.events()
          .warn(
              "node "
                  + peer
                  + " is degraded: it applied "
                  + ack.applied()
                  + " but could write only "
                  + ack.written()
                  + " to its files; it retries by itself (see its status for why)");
    } else if (!behind && since != null) {
      filesBehindSince.remove(peer);
      node.events()
          .info(
              "node "
                  + peer
                  + " is no longer degraded: its files hold "
                  + ack.written()
                  + " again (behind since "
                  + since
                  + ")");
    }
  }

  /** The revision a secondary acknowledged last, if any. */
  Optional<Revision> acknowledgedBy(NodeId peer) {
    return Optional.ofNullable(acknowledged.get(peer));
  }

  /** The revision a secondary last wrote to its host's files, as it acknowledged, if any. */
  Optional<Revision> writtenBy(NodeId peer) {
    return Optional.ofNullable(written.get(peer));
  }

  /** Why a secondary is degraded as the primary sees it (its files are behind), if it is. */
  Optional<Diagnostics.Degraded> degradedOf(NodeId peer) {
    Instant since = filesBehindSince.get(peer);
    if (since == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Diagnostics.Degraded(
            "its files hold "
                + written.get(peer)
                + " but it applied "
                + acknowledged.get(peer)
                + ": a write of its files fails and is retried",
            since));
  }

  /** Forgets what every secondary applied: the state they applied it to was replaced. */
  void forgetApplied() {
    acknowledged.clear();
  }

  /** Forgets a server that is removed from the cluster. */
  void forget(NodeId peer) {
    acknowledged.remove(peer);
    written.remove(peer);
    filesBehindSince.remove(peer);
  }

  /** Forgets every secondary: the role is left. */
  void clear() {
    acknowledged.clear();
    written.clear();
    filesBehindSince.clear();
  }
}
