package org.mailcluster.internal.epoch;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.PromotionOptions;
import org.mailcluster.Role;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.internal.node.NodeLoop;
import org.mailcluster.internal.replication.SecondaryRole;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.MessageLimits;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;

/**
 * Promoting a secondary when the primary is gone for good. The candidate asks every registered
 * server for its status; unless forced, it refuses while a primary still answers or is still heard,
 * while another server is ahead of it, or without a majority. It then asks for an epoch above any
 * seen or granted, which each server grants to one candidate only (its vote, kept durable), and
 * with a majority of grants takes the primary's role in that epoch.
 */
public final class Promotion {
  /** One peer's answer to a promotion round, or why there is none. */
  private record Reply(
      NodeId node, Optional<Response> answer, Optional<ClusterException> failure) {}

  // How far beyond the highest epoch this server has seen or granted a candidate may ask: a
  // candidate asks for one above the highest any server it reached reports, so a server that missed
  // some promotions may be asked a few epochs ahead, never thousands.
  static final long EPOCH_STEP = 1024;

  private final NodeCore node;
  private final RoleChange roles;
  private boolean promoting;

  /** Binds the node to promote and the role changes it makes. */
  public Promotion(NodeCore node, RoleChange roles) {
    this.node = node;
    this.roles = roles;
  }

  /** Promotes this node; see {@link org.mailcluster.ClusterService#promote}. On the loop. */
  public CompletableFuture<Revision> promote(PromotionOptions options) {
    NodeId self = node.settings().id();
    if (node.role() == Role.PRIMARY) {
      throw new IllegalStateException(
          "node " + self + " is already the primary (epoch " + node.epochs().current() + ")");
    }
    if (promoting) {
      throw new IllegalStateException("a promotion of " + self + " is already under way");
    }
    if (node.isClosing()) {
      throw new ClusterException(ErrorCode.UNAVAILABLE, "node " + self + " is shutting down");
    }
    promoting = true;
    List<Member> others = node.members().stream().filter(m -> !m.id().equals(self)).toList();
    List<CompletableFuture<Reply>> asks = new ArrayList<>();
    for (Member m : others) {
      asks.add(ask(m, Request.StatusQuery::new, Response.Status.class));
    }
    CompletableFuture<Revision> result =
        allOf(asks)
            .thenCompose(
                replies ->
                    node.loop().call(() -> promoteWith(options, others.size() + 1, replies)));
    return result.whenComplete((r, f) -> node.scheduler().execute(() -> promoting = false));
  }

  private CompletableFuture<Reply> ask(
      Member m, LongFunction<Request> request, Class<? extends Response> answer) {
    return node.peers()
        .channel(m.address())
        .call(request.apply(node.epochs().current()), node.settings().callDeadline())
        .handle(
            (response, failure) ->
                failure == null && answer.isInstance(response)
                    ? new Reply(m.id(), Optional.of(response), Optional.empty())
                    : new Reply(
                        m.id(),
                        Optional.empty(),
                        Optional.of(
                            NodeLoop.asClusterException(
                                failure != null
                                    ? failure
                                    : new IllegalStateException("unexpected " + response)))));
  }

  private static CompletableFuture<List<Reply>> allOf(List<CompletableFuture<Reply>> asks) {
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .thenApply(v -> asks.stream().map(CompletableFuture::join).toList());
  }

  private CompletableFuture<Revision> promoteWith(
      PromotionOptions options, int voters, List<Reply> replies) {
    boolean force = options.force();
    int majority = voters / 2 + 1;
    List<PeerStatus> statuses = new ArrayList<>();
    for (Reply r : replies) {
      r.answer().ifPresent(a -> statuses.add(PeerStatus.of(r.node(), (Response.Status) a)));
    }
    if (!force) {
      checkPromotable(statuses, voters, majority);
    }
    long highest = node.epochs().highest();
    for (PeerStatus st : statuses) {
      highest = Math.max(highest, Math.max(st.epoch(), st.promised()));
    }
    if (highest >= MessageLimits.MAX_EPOCH) {
      throw refuse(
          "epoch "
              + highest
              + " is the last one a cluster may take: no promotion is possible; restore the"
              + " servers' state directories from a backup");
    }
    long newEpoch = highest + 1;
    node.epochs().promise(newEpoch, node.settings().id());
    List<Member> reachable = new ArrayList<>();
    for (PeerStatus st : statuses) {
      node.member(st.node()).ifPresent(r -> reachable.add(r.toMember(st.node())));
    }
    List<CompletableFuture<Reply>> grants = new ArrayList<>();
    for (Member m : reachable) {
      grants.add(
          ask(
              m,
              epoch -> new Request.EpochGrant(node.settings().id(), newEpoch, force, epoch),
              Response.EpochGranted.class));
    }
    return allOf(grants)
        .thenCompose(
            answers ->
                node.loop()
                    .call(
                        () -> {
                          long granted =
                              1 + answers.stream().filter(a -> a.answer().isPresent()).count();
                          if (!force && granted < majority) {
                            String why =
                                answers.stream()
                                    .filter(a -> a.failure().isPresent())
                                    .map(a -> a.node() + ": " + a.failure().get().getMessage())
                                    .findFirst()
                                    .orElse("");
                            throw refuse(
                                "only "
                                    + granted
                                    + " of "
                                    + voters
                                    + " servers granted epoch "
                                    + newEpoch
                                    + " ("
                                    + why
                                    + "); try again, or use PromotionOptions.forced()");
                          }
                          if (node.role() != Role.SECONDARY || node.isClosing()) {
                            throw new IllegalStateException(
                                node.settings().id() + " changed role during its promotion");
                          }
                          return roles.becomePrimary(newEpoch);
                        }));
  }

  private void checkPromotable(List<PeerStatus> statuses, int voters, int majority) {
    for (PeerStatus st : statuses) {
      if (st.role() == Role.PRIMARY) {
        throw refuse(
            st.node()
                + " still answers as the primary (epoch "
                + st.epoch()
                + "): promote only when the primary is gone for good (stop it first), or use"
                + " PromotionOptions.forced()");
      }
      if (st.hearsPrimary()) {
        throw refuse(
            st.node()
                + " still receives from its primary: promote only when the primary is gone for"
                + " good, or use PromotionOptions.forced()");
      }
    }
    Revision mine = node.committed().revision();
    Optional<PeerStatus> best = statuses.stream().max(Comparator.comparing(PeerStatus::revision));
    if (best.isPresent() && best.get().revision().compareTo(mine) > 0) {
      throw refuse(
          best.get().node()
              + " has revision "
              + best.get().revision()
              + " but "
              + node.settings().id()
              + " only "
              + mine
              + ": promote "
              + best.get().node()
              + " instead, or use PromotionOptions.forced() and lose what it has");
    }
    if (statuses.size() + 1 < majority) {
      throw refuse(
          "only "
              + (statuses.size() + 1)
              + " of "
              + voters
              + " registered servers answered; a promotion needs "
              + majority
              + " so that no two nodes are ever promoted into the same epoch: bring more"
              + " servers back, or use PromotionOptions.forced()");
    }
  }

  private ClusterException refuse(String message) {
    node.events().warn("promotion refused: " + message);
    return new ClusterException(ErrorCode.PROMOTION_REFUSED, message);
  }

  /**
   * How this server stands, for a candidate's {@link Request.StatusQuery}, with the primary it
   * follows (itself on the primary), so that a secondary that was given this server's address as
   * its primary can find the real one. On the loop.
   */
  public Response.Status status() {
    Optional<NodeId> primary;
    Optional<NodeAddress> address;
    if (node.roleState() instanceof SecondaryRole s) {
      primary = s.primary();
      address = primary.flatMap(node::member).flatMap(m -> parsed(m.address()));
    } else {
      primary = Optional.of(node.settings().id());
      address = Optional.of(node.settings().address());
    }
    return new Response.Status(
        node.role(),
        node.epochs().current(),
        node.epochs().promised(),
        node.committed().revision(),
        hearsPrimary(),
        primary,
        address);
  }

  private static Optional<NodeAddress> parsed(String address) {
    try {
      return Optional.of(NodeAddress.parse(address));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private boolean hearsPrimary() {
    return node.roleState() instanceof SecondaryRole s && s.hearsPrimary();
  }

  /**
   * Grants a candidate an epoch nobody else will get from this node (the promotion's vote). On the
   * loop.
   *
   * @param from who asks, as the transport identified it: only the candidate itself may
   * @throws ClusterException with {@code STALE_EPOCH} if this node has seen or granted that epoch
   *     or a later one, {@code PERMISSION_DENIED} if the caller is not the candidate, with {@code
   *     PROMOTION_REFUSED} unless forced while it is the primary or still hears its primary
   */
  public Response.EpochGranted grant(PeerIdentity from, Request.EpochGrant request) {
    long wanted = request.proposed();
    NodeId candidate = request.candidate();
    boolean force = request.forced();
    NodeId self = node.settings().id();
    long highest = node.epochs().highest();
    if (wanted <= highest) {
      throw new ClusterException(
          ErrorCode.STALE_EPOCH,
          self + " has already seen or granted epoch " + highest + ": promote again");
    }
    if (wanted > highest + EPOCH_STEP) {
      throw node.events()
          .refuse(
              ErrorCode.INVALID_VALUE,
              candidate
                  + " asked for epoch "
                  + wanted
                  + " but "
                  + self
                  + " has seen or granted only "
                  + highest
                  + ": a promotion asks for the next epoch, not one "
                  + (wanted - highest)
                  + " ahead; refused");
    }
    // A node asks for its own promotion only: a vote for another node, asked with some member's
    // certificate, would let that member block or steer every later promotion.
    if (from.node().isEmpty() || !from.node().get().equals(candidate)) {
      throw node.events()
          .refuse(
              ErrorCode.PERMISSION_DENIED,
              "a vote for "
                  + candidate
                  + " was asked by "
                  + from.node().map(NodeId::toString).orElse(from.remoteAddress())
                  + ": a node asks for its own promotion only");
    }
    if (!force && node.role() == Role.PRIMARY) {
      throw new ClusterException(
          ErrorCode.PROMOTION_REFUSED, self + " is the primary and still running");
    }
    if (!force && hearsPrimary()) {
      throw new ClusterException(
          ErrorCode.PROMOTION_REFUSED,
          self + " still receives from its primary " + node.primary().orElse(null));
    }
    node.epochs().promise(wanted, candidate);
    NodeEvents.CLUSTER_LOG.info("granted epoch {} to {}", wanted, candidate);
    if (node.roleState() instanceof SecondaryRole s) {
      // Without a primary now: the candidate is the likeliest next one, try it first.
      node.member(candidate).ifPresent(m -> s.preferCandidate(NodeAddress.parse(m.address())));
    }
    return new Response.EpochGranted(wanted, node.committed().revision(), node.epochs().current());
  }
}
