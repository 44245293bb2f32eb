package org.mailcluster.internal.epoch;

import org.mailcluster.Role;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeId;

/**
 * What a server tells a promotion candidate about itself (promotion, requirement B3 in
 * docs/REQUIREMENTS.md), carried as the payload of the {@code mailcluster.status} node service:
 * {@code "<role> <epoch> <promised> <revision> <hearsPrimary>"}.
 *
 * @param node the server that answered
 * @param role its role
 * @param epoch the highest epoch it has seen
 * @param promised the highest epoch it granted to a candidate
 * @param revision the last revision it applied
 * @param hearsPrimary whether it is a secondary that heard from its primary recently
 */
public record PeerStatus(
    NodeId node, Role role, long epoch, long promised, Revision revision, boolean hearsPrimary) {
  String format() {
    return role + " " + epoch + " " + promised + " " + revision + " " + hearsPrimary;
  }

  static PeerStatus parse(NodeId node, String text) {
    String[] p = text.split(" ");
    if (p.length != 5) {
      throw new IllegalArgumentException("malformed status from " + node + ": '" + text + "'");
    }
    return new PeerStatus(
        node,
        Role.valueOf(p[0]),
        Long.parseLong(p[1]),
        Long.parseLong(p[2]),
        Revision.parse(p[3]),
        Boolean.parseBoolean(p[4]));
  }
}
