package org.mailcluster.internal.resync;

import java.util.concurrent.CompletableFuture;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.replication.PrimaryRole;
import org.mailcluster.internal.replication.SecondaryRole;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;

/**
 * Forced full resyncs: an operator, on the primary or on the secondary itself, asks that a
 * secondary's state be replaced by a whole snapshot of the primary's. A secondary forwards the
 * request to the primary; the primary streams the snapshot and completes the request once the
 * secondary confirms it installed it.
 */
public final class Resyncs {
  private final NodeCore node;

  /** Binds the node that serves and asks for resyncs. */
  public Resyncs(NodeCore node) {
    this.node = node;
  }

  /**
   * Resynchronizes {@code target}; see {@link org.mailcluster.ClusterService#resync}. On the loop.
   */
  public CompletableFuture<Void> resync(NodeId target) {
    if (node.roleState() instanceof PrimaryRole primary) {
      return start(primary, target);
    }
    SecondaryRole secondary = (SecondaryRole) node.roleState();
    NodeId self = node.settings().id();
    if (secondary.primary().isEmpty()) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE,
          self + " knows no primary yet: retry once it has joined, or ask the primary");
    }
    NodeAddress address =
        secondary
            .primaryAddress()
            .orElseThrow(
                () ->
                    new ClusterException(
                        ErrorCode.UNAVAILABLE, "the primary's address is not known yet"));
    CompletableFuture<Void> installed =
        target.equals(self) ? secondary.nextSnapshot() : CompletableFuture.completedFuture(null);
    return node.peers()
        .channel(address)
        .call(new Request.Resync(target, node.epochs().current()), node.settings().callDeadline())
        .thenCompose(answer -> installed);
  }

  /**
   * A secondary's {@link Request.Resync}: starts the resync on the primary. On the loop.
   *
   * @throws ClusterException with {@code NOT_PRIMARY} on a secondary, {@code INVALID_VALUE} if the
   *     target is the primary or not a registered server
   */
  public Response.Accepted onResync(Request.Resync request) {
    PrimaryRole primary = node.asPrimary();
    try {
      start(primary, request.target());
    } catch (IllegalArgumentException e) {
      // Refused before anything started; the peer gets the reason, not an internal failure.
      throw new ClusterException(ErrorCode.INVALID_VALUE, e.getMessage());
    }
    return new Response.Accepted(node.epochs().current());
  }

  /**
   * A secondary's {@link Request.SnapshotInstalled}: completes a resync of the caller. On the loop.
   *
   * @throws ClusterException with {@code NOT_PRIMARY} on a secondary, {@code UNAUTHENTICATED} if
   *     the transport could not say who the caller is
   */
  public Response.Accepted onSnapshotInstalled(
      PeerIdentity from, Request.SnapshotInstalled request) {
    PrimaryRole primary = node.asPrimary();
    NodeId peer =
        from.node()
            .orElseThrow(
                () ->
                    node.events()
                        .refuse(
                            ErrorCode.UNAUTHENTICATED,
                            "a snapshot confirmation from an unauthenticated peer at "
                                + from.remoteAddress()));
    primary.snapshotInstalled(peer, request.revision());
    return new Response.Accepted(node.epochs().current());
  }

  private CompletableFuture<Void> start(PrimaryRole primary, NodeId target) {
    if (target.equals(node.settings().id())) {
      throw new IllegalArgumentException(
          "node " + target + " is the primary: its state is the reference; resync a secondary");
    }
    if (node.member(target).isEmpty()) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE, target + " is not a registered server: nothing to resync");
    }
    return primary.startResync(target);
  }
}
