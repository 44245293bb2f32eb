package org.mailcluster.internal.node;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.epoch.Promotion;
import org.mailcluster.internal.replication.PrimaryRole;
import org.mailcluster.internal.replication.RoleState;
import org.mailcluster.internal.replication.SecondaryRole;
import org.mailcluster.internal.resync.Resyncs;
import org.mailcluster.internal.resync.StateCopies;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.InboundHandler;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.ServerStream;
import org.mailcluster.transport.Subscribe;

/**
 * What the transport hands the node: every call and subscription from a peer moves onto the loop,
 * where the caller is admitted first (a registered server, not this node's own id: see {@link
 * Admission}), a higher epoch it carries is checked as a claim (see {@link
 * org.mailcluster.internal.epoch.RoleChange#claimed}), and then it goes to the part that answers
 * it: the role (joins, acknowledgements), promotion (status queries and epoch grants), resyncs
 * (resync requests and snapshot confirmations), the node's checks (zone queries and probe reads),
 * the built-in services (status reports) or a named service (forwarded requests). Only the
 * transport holds this object; the host's {@link org.mailcluster.ClusterService} has no way to
 * forge a peer's call.
 */
final class InboundDispatch implements InboundHandler {
  private final NodeCore node;
  private final Promotion promotion;
  private final Resyncs resyncs;
  private final StateCopies copies;
  private final Admission admission;

  InboundDispatch(NodeCore node, Promotion promotion, Resyncs resyncs, StateCopies copies) {
    this.node = node;
    this.admission = new Admission(node);
    this.copies = copies;
    this.promotion = promotion;
    this.resyncs = resyncs;
  }

  @Override
  public CompletableFuture<Response> handle(PeerIdentity from, Request request) {
    Instant receivedAt = node.scheduler().now();
    return node.loop()
        .call(
            () -> {
              NodeId caller =
                  admission.admit(
                      from,
                      describe(request),
                      request instanceof Request.Ping
                          || request instanceof Request.ZoneQuery
                          || request instanceof Request.StatusQuery);
              node.roleChange().claimed(request.epoch(), caller);
              if (node.roleState() instanceof SecondaryRole s) {
                s.heardFrom(caller, request.epoch());
              }
              return answer(from, request, receivedAt);
            });
  }

  private CompletableFuture<Response> answer(
      PeerIdentity from, Request request, Instant receivedAt) {
    if (request instanceof Request.Join j) {
      return done(node.asPrimary().onJoin(from, j));
    } else if (request instanceof Request.Ack a) {
      PrimaryRole primary = node.asPrimary();
      Revision committed = node.committed().revision();
      if (a.applied().compareTo(committed) > 0 || a.written().compareTo(a.applied()) > 0) {
        // Taken, it would show a secondary as further than anything that exists, in diagnostics
        // and in every wait for secondaries to catch up.
        throw node.events()
            .refuse(
                ErrorCode.INVALID_VALUE,
                a.node()
                    + " acknowledged "
                    + a.applied()
                    + " (files at "
                    + a.written()
                    + "), but this primary has committed only up to "
                    + committed
                    + ": an acknowledgement names a revision it was sent",
                a.node().value());
      }
      return done(primary.onAck(from, a));
    } else if (request instanceof Request.Ping p) {
      primaryClaim(from, p);
      return done(
          new Response.Pong(
              p.sentAt(),
              receivedAt,
              node.scheduler().now(),
              node.epochs().current(),
              node.role() == Role.PRIMARY));
    } else if (request instanceof Request.StatusQuery) {
      return done(promotion.status());
    } else if (request instanceof Request.EpochGrant g) {
      return done(promotion.grant(from, g));
    } else if (request instanceof Request.Resync r) {
      return done(resyncs.onResync(r));
    } else if (request instanceof Request.SnapshotInstalled s) {
      return done(resyncs.onSnapshotInstalled(from, s));
    } else if (request instanceof Request.StateCopy c) {
      return done(copies.page(from, c));
    } else if (request instanceof Request.ZoneQuery) {
      return done(node.checks().zone());
    } else if (request instanceof Request.ProbeRead p) {
      return node.checks().readProbe(from.node().orElseThrow(), p);
    } else if (request instanceof Request.StatusReport r) {
      return done(node.builtIn().receiveReport(from, r));
    }
    Request.Forward f = (Request.Forward) request;
    return node.services()
        .serve(from, f.service(), f.payload())
        .thenApply(answer -> (Response) new Response.Forwarded(answer, node.epochs().current()));
  }

  /**
   * A registered server's ping says whether it is the primary of its epoch. Two primaries of one
   * epoch is split brain: this primary holds every change back until it ends; a secondary reports a
   * claim by a server other than the primary it follows.
   */
  private void primaryClaim(PeerIdentity from, Request.Ping ping) {
    if (!ping.primaryClaim()
        || from.node().isEmpty()
        || ping.epoch() != node.epochs().current()
        || node.member(from.node().get()).isEmpty()) {
      return; // a ping without the claim says nothing: only a probe's answer ends a split brain
    }
    NodeId peer = from.node().get();
    RoleState role = node.roleState();
    if (role instanceof PrimaryRole primary) {
      primary.rivalClaims(peer);
    } else if (role instanceof SecondaryRole secondary) {
      secondary.otherPrimaryClaims(peer, ping.epoch());
    }
  }

  /** What a request is, as a refusal names it. */
  private static String describe(Request request) {
    String kind = request.getClass().getSimpleName();
    return request instanceof Request.Forward f
        ? "call of the service '" + f.service() + "'"
        : kind + " request";
  }

  private static CompletableFuture<Response> done(Response response) {
    return CompletableFuture.completedFuture(response);
  }

  @Override
  public void subscribe(
      PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream) {
    node.loop()
        .execute(
            () -> {
              try {
                NodeId caller = admission.admit(from, "replication subscription", false);
                node.asPrimary();
                node.roleChange().claimed(request.epoch(), caller);
                node.asPrimary().subscribe(from, request, stream);
              } catch (ClusterException e) {
                stream.fail(e);
              } catch (RuntimeException e) {
                NodeEvents.CLUSTER_LOG.error("could not serve a subscription from {}", from, e);
                stream.fail(
                    new ClusterException(
                        ErrorCode.UNAVAILABLE,
                        "the primary failed to serve the stream: its cluster log says why"));
              }
            });
  }
}
