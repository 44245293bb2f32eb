package org.mailcluster.internal.membership;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.Request;

/**
 * The registered servers, read from the replicated state, and the checks a joining server must
 * pass: its certificate names the node it claims to be, it is registered, and it speaks this node's
 * protocol and product version with a licence key of its own.
 */
public final class Membership {
  /** The wire protocol version this node speaks. */
  public static final int PROTOCOL_VERSION = 1;

  private Membership() {}

  /** The record of {@code id} in {@code state}, if it is registered there. */
  public static Optional<MemberRecord> member(ConfigSnapshot state, NodeId id) {
    String key = MemberRecord.stateKey(id);
    return state.get(key).map(json -> MemberRecord.fromJson(key, json));
  }

  /** Every registered server in {@code state}. */
  public static List<Member> members(ConfigSnapshot state) {
    List<Member> out = new ArrayList<>();
    state.forEach(
        (key, json) -> {
          if (MemberRecord.isMemberKey(key)) {
            NodeId id = NodeId.of(SettingKey.parse(key).path().get(0));
            out.add(MemberRecord.fromJson(key, json).toMember(id));
          }
        });
    return List.copyOf(out);
  }

  /** Whether {@code diff} adds, changes or removes a registered server. */
  public static boolean touchesMembers(ConfigDiff diff) {
    return diff.changes().stream().anyMatch(c -> MemberRecord.isMemberKey(c.key()));
  }

  /**
   * The node the peer's certificate proves it is, which must be the node its request claims to be.
   */
  public static NodeId authenticated(NodeEvents events, PeerIdentity from, NodeId claimed) {
    NodeId proven =
        from.node()
            .orElseThrow(
                () ->
                    events.refuse(
                        ErrorCode.UNAUTHENTICATED,
                        "a peer at "
                            + from.remoteAddress()
                            + " could not prove which node it is: give every node a certificate"
                            + " from the cluster CA"));
    if (!proven.equals(claimed)) {
      throw events.refuse(
          ErrorCode.PERMISSION_DENIED,
          "the peer's certificate names " + proven + " but its request claims to be " + claimed);
    }
    return proven;
  }

  /**
   * Checks a join against the registered servers and returns the joining server's record as it is
   * registered: records are looked up in {@code tip} (which includes commits not yet durable), the
   * servers to compare licence keys with are those of {@code committed}.
   *
   * @throws ClusterException with the code of the first check that fails
   */
  public static MemberRecord checkJoin(
      NodeEvents events,
      ConfigSnapshot committed,
      ConfigSnapshot tip,
      NodeId primary,
      String productVersion,
      NodeId node,
      Request.Join join) {
    if (join.protocolVersion() != PROTOCOL_VERSION) {
      throw events.refuse(
          ErrorCode.PROTOCOL_MISMATCH,
          "node "
              + node
              + " speaks protocol "
              + join.protocolVersion()
              + " but the primary speaks "
              + PROTOCOL_VERSION
              + ": run the same mailcluster version on every node");
    }
    MemberRecord record =
        member(tip, node)
            .orElseThrow(
                () ->
                    events.refuse(
                        ErrorCode.PERMISSION_DENIED,
                        "node "
                            + node
                            + " is not a registered server: add it on the primary "
                            + primary
                            + " first"));
    if (!join.productVersion().equals(productVersion)) {
      throw events.refuse(
          ErrorCode.VERSION_MISMATCH,
          "node "
              + node
              + " runs "
              + join.productVersion()
              + " but the primary runs "
              + productVersion
              + ": upgrade "
              + node
              + " to "
              + productVersion);
    }
    for (Member m : members(committed)) {
      if (m.id().equals(node)) {
        continue;
      }
      MemberRecord other = member(tip, m.id()).orElseThrow();
      if (join.licenceFingerprint().equals(other.licenceFingerprint())) {
        throw events.refuse(
            ErrorCode.DUPLICATE_NODE_KEY,
            "node "
                + node
                + " uses the same licence key as "
                + m.id()
                + ": every node needs its own licence key");
      }
    }
    return record;
  }
}
