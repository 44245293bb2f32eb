package org.mailcluster.internal.replication;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.NodeId;

/**
 * The other registered servers that claim to be the primary of this primary's epoch (split brain),
 * each with when its claim was last heard. A claim is heard in a peer's ping and in the answer to
 * this primary's own epoch probe; it ends when the peer answers without it, when a higher epoch
 * fences one of the two, or when it has not been heard for {@link #EXPIRY_HEARTBEATS} heartbeat
 * intervals (the other process stopped). While any claim stands, the primary commits nothing and
 * streams no new revisions, so that no secondary takes changes from either side. Loop-confined.
 */
final class RivalPrimaries {
  /** How many heartbeat intervals a claim stands without being heard again (five probes). */
  static final int EXPIRY_HEARTBEATS = 10;

  private final NodeCore node;
  private final Map<NodeId, Instant> rivals = new LinkedHashMap<>();

  RivalPrimaries(NodeCore node) {
    this.node = node;
  }

  boolean any() {
    return !rivals.isEmpty();
  }

  boolean isRival(NodeId peer) {
    return rivals.containsKey(peer);
  }

  /** Records {@code peer}'s claim; returns whether it is a new conflict. */
  boolean claimed(NodeId peer) {
    boolean fresh = rivals.put(peer, node.scheduler().now()) == null;
    if (fresh) {
      node.events()
          .error(
              conflict(peer)
                  + ": neither takes or streams new changes until one of them stops claiming. "
                  + remedy());
    }
    return fresh;
  }

  /** {@code peer} no longer claims; returns whether that ended a conflict. */
  boolean denied(NodeId peer, String how) {
    if (rivals.remove(peer) == null) {
      return false;
    }
    ended(peer, how);
    return true;
  }

  /** Ends the conflicts whose claims were not heard for a while; returns whether any ended. */
  boolean expire() {
    Duration limit = node.settings().heartbeatInterval().multipliedBy(EXPIRY_HEARTBEATS);
    Instant now = node.scheduler().now();
    List<NodeId> gone = new ArrayList<>();
    for (Iterator<Map.Entry<NodeId, Instant>> it = rivals.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<NodeId, Instant> e = it.next();
      if (now.isAfter(e.getValue().plus(limit))) {
        it.remove();
        gone.add(e.getKey());
      }
    }
    gone.forEach(p -> ended(p, "no claim heard from it for " + limit.toSeconds() + " s"));
    return !gone.isEmpty();
  }

  private void ended(NodeId peer, String how) {
    String message =
        "split brain with "
            + peer
            + " is over ("
            + how
            + ")"
            + (rivals.isEmpty()
                ? ": " + node.settings().id() + " takes and streams changes again"
                : "; other servers still claim to be primary: " + rivals.keySet());
    NodeEvents.CLUSTER_LOG.info(message);
    node.events().record("INFO", message);
  }

  /** The refusal of a change while a conflict stands. */
  ClusterException refusal(String origin) {
    NodeId peer = rivals.keySet().iterator().next();
    return new ClusterException(
        ErrorCode.SPLIT_BRAIN,
        conflict(peer)
            + ": the change from "
            + origin
            + " was not committed, and no new revision reaches the secondaries until one of them"
            + " stops claiming. "
            + remedy());
  }

  private String conflict(NodeId peer) {
    return "split brain: "
        + node.settings().id()
        + " and "
        + peer
        + " both claim to be the primary of epoch "
        + node.epochs().current();
  }

  private String remedy() {
    return "Keep the one that should be primary, and restart the other as its secondary (the"
        + " node agent's 'role = secondary' and 'primary = <address of the one kept>'; the"
        + " builder's secondaryOf)";
  }
}
