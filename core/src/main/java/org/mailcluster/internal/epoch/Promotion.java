package org.mailcluster.internal.epoch;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
  /** The service that answers a server's {@link PeerStatus}. */
  public static final String STATUS_SERVICE = "mailcluster.status";

  /** The service that grants an epoch to a candidate. */
  public static final String PROMISE_SERVICE = "mailcluster.promise";

  /** One peer's answer to a promotion round: its payload, or why there is none. */
  private record Reply(NodeId node, Optional<String> payload, Optional<ClusterException> failure) {}

  private final NodeCore node;
  private final RoleChange roles;
  private boolean promoting;

  /** Binds the node to promote and the role changes it makes. */
  public Promotion(NodeCore node, RoleChange roles) {
    this.node = node;
    this.roles = roles;
  }

  /** Serves the status and grant services other candidates call. */
  public void registerServices() {
    node.registerService(
        STATUS_SERVICE, (from, payload) -> CompletableFuture.completedFuture(status()));
    node.registerService(PROMISE_SERVICE, this::grant);
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
      asks.add(ask(m, STATUS_SERVICE, ""));
    }
    CompletableFuture<Revision> result =
        allOf(asks)
            .thenCompose(
                replies ->
                    node.loop().call(() -> promoteWith(options, others.size() + 1, replies)));
    return result.whenComplete((r, f) -> node.scheduler().execute(() -> promoting = false));
  }

  private CompletableFuture<Reply> ask(Member m, String service, String payload) {
    return node.peers()
        .channel(m.address())
        .call(
            new Request.Forward(service, payload, node.epochs().current()),
            node.settings().callDeadline())
        .handle(
            (response, failure) ->
                failure == null && response instanceof Response.Forwarded f
                    ? new Reply(m.id(), Optional.of(f.payload()), Optional.empty())
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
      r.payload().ifPresent(p -> statuses.add(PeerStatus.parse(r.node(), p)));
    }
    if (!force) {
      checkPromotable(statuses, voters, majority);
    }
    long highest = node.epochs().highest();
    for (PeerStatus st : statuses) {
      highest = Math.max(highest, Math.max(st.epoch(), st.promised()));
    }
    long newEpoch = highest + 1;
    node.epochs().promise(newEpoch, node.settings().id());
    List<Member> reachable = new ArrayList<>();
    for (PeerStatus st : statuses) {
      node.member(st.node()).ifPresent(r -> reachable.add(r.toMember(st.node())));
    }
    List<CompletableFuture<Reply>> grants = new ArrayList<>();
    for (Member m : reachable) {
      grants.add(ask(m, PROMISE_SERVICE, newEpoch + " " + node.settings().id() + " " + force));
    }
    return allOf(grants)
        .thenCompose(
            answers ->
                node.loop()
                    .call(
                        () -> {
                          long granted =
                              1 + answers.stream().filter(a -> a.payload().isPresent()).count();
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

  private String status() {
    return new PeerStatus(
            node.settings().id(),
            node.role(),
            node.epochs().current(),
            node.epochs().promised(),
            node.committed().revision(),
            hearsPrimary())
        .format();
  }

  private boolean hearsPrimary() {
    return node.roleState() instanceof SecondaryRole s && s.hearsPrimary();
  }

  /** Grants a candidate an epoch nobody else will get from this node (the promotion's vote). */
  private CompletableFuture<String> grant(PeerIdentity from, String payload) {
    String[] parts = payload.split(" ");
    long wanted = Long.parseLong(parts[0]);
    NodeId candidate = NodeId.of(parts[1]);
    boolean force = Boolean.parseBoolean(parts[2]);
    NodeId self = node.settings().id();
    long highest = node.epochs().highest();
    if (wanted <= highest) {
      throw new ClusterException(
          ErrorCode.STALE_EPOCH,
          self + " has already seen or granted epoch " + highest + ": promote again");
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
    return CompletableFuture.completedFuture("granted " + node.committed().revision());
  }
}
