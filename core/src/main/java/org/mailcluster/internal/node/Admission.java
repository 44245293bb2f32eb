package org.mailcluster.internal.node;

import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.internal.membership.Revocations;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.PeerIdentity;

/**
 * Who may send this node anything, after the transport proved who the caller is: a registered
 * server that was not removed (on a secondary that has not received the members yet, also the
 * primary it joined), with a certificate that was not revoked (see {@link Revocations}), and never
 * a peer in this node's own name. What each kind of message needs beyond that (the primary's role,
 * the caller's own name in it) is checked where it is answered. Refusals are logged rate-limited
 * per caller, since a caller can repeat them at will. Loop-confined.
 */
final class Admission {
  private final NodeCore node;

  Admission(NodeCore node) {
    this.node = node;
  }

  /**
   * The caller of {@code what}, if it may send it. A node whose state names no servers yet (a new
   * secondary that has not received its first state) answers questions that change nothing, such as
   * the clock samples its primary takes as it joins, from any proven node.
   *
   * @throws ClusterException with {@code UNAUTHENTICATED} if the transport could not prove who
   *     calls, {@code PERMISSION_DENIED} if the caller is not a registered server or uses this
   *     node's own id
   */
  NodeId admit(PeerIdentity from, String what, boolean readOnly) {
    String host = host(from.remoteAddress());
    NodeId caller =
        from.node()
            .orElseThrow(
                () ->
                    node.events()
                        .refuse(
                            ErrorCode.UNAUTHENTICATED,
                            "a peer at "
                                + host
                                + " sent a "
                                + what
                                + " without proving which node it is: every node needs a"
                                + " certificate from the cluster CA",
                            host));
    Optional<String> revoked = Revocations.revokedFor(node.committed(), from);
    if (revoked.isPresent()) {
      throw node.events()
          .refuse(
              ErrorCode.UNAUTHENTICATED,
              "a peer at "
                  + host
                  + " presented the certificate (serial "
                  + from.certificateSerial().get()
                  + ") of "
                  + revoked.get()
                  + ", revoked when that server was removed: a server added again needs a new"
                  + " certificate (mailcluster certs)",
              caller + "@" + host);
    }
    NodeId self = node.settings().id();
    if (caller.equals(self)) {
      throw node.events()
          .refuse(
              ErrorCode.PERMISSION_DENIED,
              "a peer at "
                  + host
                  + " sent a "
                  + what
                  + " in this node's own name ("
                  + self
                  + "): a certificate with this node's id is used by another process; stop it,"
                  + " and if the key leaked, issue "
                  + self
                  + " a new certificate",
              caller + "@" + host);
    }
    if (!registered(caller) && !(readOnly && node.members().isEmpty())) {
      throw node.events()
          .refuse(
              ErrorCode.PERMISSION_DENIED,
              caller
                  + " (at "
                  + host
                  + ") is not a registered server of this cluster, or was removed: its "
                  + what
                  + " was refused. If it belongs to the cluster, add it on the primary"
                  + node.primary().map(p -> " " + p).orElse("")
                  + " first (ClusterService.addServer)",
              caller + "@" + host);
    }
    return caller;
  }

  private boolean registered(NodeId caller) {
    if (node.member(caller).isPresent()) {
      return true;
    }
    // A secondary that joined but has not yet received the members hears from its primary first.
    return node.role() == Role.SECONDARY && node.primary().equals(Optional.of(caller));
  }

  /** The caller's host without its port: one caller opens many connections. */
  static String host(String remoteAddress) {
    String a = remoteAddress.startsWith("/") ? remoteAddress.substring(1) : remoteAddress;
    int colon = a.lastIndexOf(':');
    if (colon > 0 && a.indexOf(':') == colon) {
      return a.substring(0, colon); // host:port
    }
    if (a.startsWith("[") && a.contains("]:")) {
      return a.substring(0, a.indexOf("]:") + 1); // [v6]:port
    }
    return a;
  }
}
