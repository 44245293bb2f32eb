package org.mailcluster.transport;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.mailcluster.membership.NodeId;

/**
 * Who is calling, as the transport established it: the node named in the peer's certificate (empty
 * on an explicitly plaintext transport, where identity cannot be proven), and the remote address
 * for the cluster log.
 *
 * <pre>{@code
 * if (from.node().isEmpty()) {
 *   throw new ClusterException(ErrorCode.UNAUTHENTICATED, "...");
 * }
 * }</pre>
 *
 * @param node the authenticated node, if the transport can prove it
 * @param remoteAddress the peer's address as seen by the transport, for logs
 */
public record PeerIdentity(Optional<NodeId> node, String remoteAddress) {
  /** Checks that neither part is null. */
  public PeerIdentity {
    requireNonNull(node, "node");
    requireNonNull(remoteAddress, "remoteAddress");
  }

  /** Returns the identity of an authenticated node. */
  public static PeerIdentity of(NodeId node, String remoteAddress) {
    return new PeerIdentity(Optional.of(node), remoteAddress);
  }

  @Override
  public String toString() {
    return node.map(n -> n + "@" + remoteAddress).orElse("unauthenticated@" + remoteAddress);
  }
}
