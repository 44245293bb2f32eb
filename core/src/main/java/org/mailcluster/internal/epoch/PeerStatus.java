package org.mailcluster.internal.epoch;

import org.mailcluster.Role;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.Response;

/**
 * What a server told a promotion candidate about itself (promotion, requirement B3 in
 * docs/REQUIREMENTS.md), in its {@link Response.Status} answer to a {@link
 * org.mailcluster.transport.Request.StatusQuery}, with the server it came from.
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
  /** The status {@code node} answered. */
  static PeerStatus of(NodeId node, Response.Status status) {
    return new PeerStatus(
        node,
        status.role(),
        status.epoch(),
        status.promised(),
        status.revision(),
        status.hearsPrimary());
  }
}
