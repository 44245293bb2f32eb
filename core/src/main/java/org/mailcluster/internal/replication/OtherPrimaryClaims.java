package org.mailcluster.internal.replication;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.membership.NodeId;

/**
 * Split brain as a secondary sees it: a registered server other than the primary it follows claims
 * to be the primary of the same epoch. Reported as an error at most every five minutes per server.
 * Loop-confined.
 */
final class OtherPrimaryClaims {
  private static final Duration REPORT_INTERVAL = Duration.ofMinutes(5);

  private final NodeCore node;
  // When a claim to this epoch's primary role by a server other than this node's primary was last
  // reported, by server.
  private final Map<NodeId, Instant> reported = new HashMap<>();

  OtherPrimaryClaims(NodeCore node) {
    this.node = node;
  }

  /** {@code peer} claims epoch {@code epoch}, which {@code followed} holds for this node. */
  void claimed(NodeId peer, long epoch, NodeId followed) {
    Instant now = node.scheduler().now();
    Instant last = reported.get(peer);
    if (last != null && now.isBefore(last.plus(REPORT_INTERVAL))) {
      return;
    }
    reported.put(peer, now);
    node.events()
        .error(
            "split brain: "
                + peer
                + " claims to be the primary of epoch "
                + epoch
                + ", and so does "
                + followed
                + ", which this node follows; both hold new changes back until one of them is"
                + " restarted as a secondary");
  }
}
