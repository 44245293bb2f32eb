package org.mailcluster.transport;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.mailcluster.membership.NodeId;

/**
 * Who is calling, as the transport established it: the node named in the peer's certificate (empty
 * on an explicitly plaintext transport, where identity cannot be proven), the remote address for
 * the cluster log, and the serial number of the peer's certificate, so that a node can refuse the
 * certificate of a server that was removed.
 *
 * <pre>{@code
 * if (from.node().isEmpty()) {
 *   throw new ClusterException(ErrorCode.UNAUTHENTICATED, "...");
 * }
 * }</pre>
 *
 * @param node the authenticated node, if the transport can prove it
 * @param remoteAddress the peer's address as seen by the transport, for logs
 * @param certificateSerial the serial number of the peer's certificate in lower-case hex, if the
 *     transport has one
 */
public record PeerIdentity(
    Optional<NodeId> node, String remoteAddress, Optional<String> certificateSerial) {
  /** Checks that no part is null. */
  public PeerIdentity {
    requireNonNull(node, "node");
    requireNonNull(remoteAddress, "remoteAddress");
    requireNonNull(certificateSerial, "certificateSerial");
  }

  /** An identity without a certificate serial. */
  public PeerIdentity(Optional<NodeId> node, String remoteAddress) {
    this(node, remoteAddress, Optional.empty());
  }

  /** Returns the identity of an authenticated node whose certificate has {@code serial}. */
  public static PeerIdentity of(NodeId node, String remoteAddress, String serial) {
    return new PeerIdentity(Optional.of(node), remoteAddress, Optional.of(serial));
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
