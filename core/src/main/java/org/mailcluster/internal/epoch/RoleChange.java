package org.mailcluster.internal.epoch;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.membership.MemberRecord;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.replication.PrimaryRole;
import org.mailcluster.internal.replication.SecondaryRole;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;

/**
 * The two ways a node changes role at run time, both durable: a secondary promoted into a new epoch
 * becomes the primary, and a primary that meets a higher epoch was replaced by a promotion and
 * becomes a secondary (epoch fencing). Each closes the role it leaves and opens the one it takes.
 */
public final class RoleChange {
  // After a claim that too few servers vouched for, how long the same claim is not checked again.
  private static final Duration UNPROVEN_RECHECK = Duration.ofSeconds(10);

  private final NodeCore node;
  // The epoch whose claim is being checked now (0: none), and the highest one found unproven.
  private long verifying;
  private long unproven;
  private Instant unprovenUntil = Instant.MIN;

  /** Binds the node whose role changes. */
  public RoleChange(NodeCore node) {
    this.node = node;
  }

  /** Takes the primary's role in {@code newEpoch}, and commits the promotion's record. */
  CompletableFuture<Revision> becomePrimary(long newEpoch) {
    NodeId self = node.settings().id();
    ConfigSnapshot committed = node.committed();
    Revision base = committed.revision();
    Optional<NodeId> former = node.primary();
    PrimaryRole primary = new PrimaryRole(node);
    node.switchRole(
        primary, new ClusterException(ErrorCode.UNAVAILABLE, self + " was promoted to primary"));
    node.transport().advertise(Role.PRIMARY);
    node.epochs().promoted(newEpoch);
    node.setTip(committed);
    node.log().startAtIfEmpty(committed.revision());
    if (!node.synced().isDone()) {
      node.synced().complete(null);
    }
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    changes.put(EpochLineage.stateKey(newEpoch), Optional.of(EpochLineage.value(self, base)));
    changes.put(MemberRecord.stateKey(self), Optional.of(node.selfRecord(Role.PRIMARY).toJson()));
    for (Member m : node.members()) {
      MemberRecord r = node.member(m.id()).orElseThrow();
      if (!m.id().equals(self) && r.role() == Role.PRIMARY) {
        changes.put(
            MemberRecord.stateKey(m.id()),
            Optional.of(
                new MemberRecord(
                        r.address(), Role.SECONDARY, r.productVersion(), r.licenceFingerprint())
                    .toJson()));
      }
    }
    node.events()
        .warn(
            "promoted to primary at epoch "
                + newEpoch
                + " from revision "
                + base
                + former.map(f -> " (the former primary was " + f + ")").orElse(""));
    node.forEachListener(l -> l.roleChanged(Role.PRIMARY, newEpoch));
    CompletableFuture<Revision> first = primary.commit("promotion", changes);
    node.refreshDiagnostics();
    return first;
  }

  /**
   * A peer's message carries an epoch above this node's: it claims that a promotion happened. The
   * claim alone changes nothing, since any member's certificate can write any number into a
   * message: this node asks every registered server how far it has seen and granted, and takes the
   * epoch only when a majority of them vouch for it (a promotion needs a majority of grants, each
   * kept durable by the server that gave it). Then a primary was replaced and becomes a secondary;
   * a secondary remembers the epoch and drops a stream from an older primary at its next message.
   * Until then the message is answered in this node's own epoch.
   */
  public void claimed(long theirs, NodeId claimant) {
    long mine = node.epochs().current();
    Instant now = node.scheduler().now();
    if (theirs <= mine || theirs <= verifying) {
      return;
    }
    if (theirs <= unproven && now.isBefore(unprovenUntil)) {
      return; // asked lately, and not enough servers vouched: not again for every message
    }
    List<Member> members = node.members();
    if (members.isEmpty()) {
      return; // a new node with no state yet: it takes its epoch from the primary it joins
    }
    verifying = theirs;
    NodeId self = node.settings().id();
    List<CompletableFuture<Optional<Response.Status>>> asks = new ArrayList<>();
    List<NodeId> asked = new ArrayList<>();
    for (Member m : members) {
      if (m.id().equals(self)) {
        continue;
      }
      asked.add(m.id());
      asks.add(
          node.peers()
              .channel(m.address())
              .call(new Request.StatusQuery(mine), node.settings().callDeadline())
              .handle(
                  (answer, failure) ->
                      answer instanceof Response.Status st ? Optional.of(st) : Optional.empty()));
    }
    CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .whenComplete(
            (ignored, failure) ->
                node.loop()
                    .execute(
                        () -> {
                          if (node.isClosing()) {
                            return;
                          }
                          int vouched = node.epochs().highest() >= theirs ? 1 : 0;
                          boolean claimantLeads = false;
                          for (int i = 0; i < asks.size(); i++) {
                            Optional<Response.Status> st = asks.get(i).join();
                            if (st.isPresent()
                                && Math.max(st.get().epoch(), st.get().promised()) >= theirs) {
                              vouched++;
                            }
                            if (asked.get(i).equals(claimant)
                                && st.isPresent()
                                && st.get().role() == Role.PRIMARY
                                && st.get().epoch() == theirs) {
                              claimantLeads = true;
                            }
                          }
                          settle(theirs, claimant, vouched, members.size(), claimantLeads);
                        }));
  }

  private void settle(
      long theirs, NodeId claimant, int vouched, int voters, boolean claimantLeads) {
    if (verifying == theirs) {
      verifying = 0;
    }
    if (theirs <= node.epochs().current()) {
      return; // taken meanwhile, from a stronger claim
    }
    int majority = voters / 2 + 1;
    // A forced promotion has no majority's grants, by design: the last server standing takes the
    // next epoch alone. Its claim stands with a node that has no primary of its own to keep (a
    // secondary that hears none, a primary that a majority no longer follows), as long as the
    // claimant answers that it is the primary of that epoch. A primary that a majority follows, or
    // a secondary that hears it, keeps it: one member's word never replaces a working primary.
    boolean forcedMayStand = claimantLeads && !followedHere(majority);
    if (voters > 0 && (vouched >= majority || forcedMayStand)) {
      if (node.role() == Role.PRIMARY) {
        fenced(theirs, claimant.toString());
      } else {
        node.epochs().adopt(theirs);
      }
      return;
    }
    unproven = Math.max(unproven, theirs);
    unprovenUntil = node.scheduler().now().plus(UNPROVEN_RECHECK);
    node.events()
        .error(
            claimant
                + " claims epoch "
                + theirs
                + " but only "
                + vouched
                + " of "
                + voters
                + " registered servers have seen or granted it, and a promotion needs "
                + majority
                + ": ignored, "
                + node.settings().id()
                + " stays "
                + node.role().name().toLowerCase(java.util.Locale.ROOT)
                + " at epoch "
                + node.epochs().current()
                + ". If "
                + claimant
                + " was promoted with force while most servers were cut off, promote it again"
                + " with force once they are back; otherwise its certificate may be misused");
  }

  /**
   * Whether this node has a working primary to keep: as a secondary, it hears its primary; as the
   * primary, a majority of the registered servers (itself included) stream from it.
   */
  private boolean followedHere(int majority) {
    if (node.roleState() instanceof SecondaryRole s) {
      return s.hearsPrimary();
    }
    if (node.roleState() instanceof PrimaryRole p) {
      int streaming = 1;
      for (Member m : node.members()) {
        if (!m.id().equals(node.settings().id()) && p.connectionOf(m.id()).equals("streaming")) {
          streaming++;
        }
      }
      return streaming >= majority;
    }
    return false;
  }

  /** This primary met a higher epoch: another node was promoted. It becomes a secondary. */
  private void fenced(long newer, String by) {
    if (!(node.roleState() instanceof PrimaryRole primary)) {
      node.epochs().adopt(newer);
      return;
    }
    // What was committed here is acknowledged, and saved if the new primary lacks it.
    primary.flushNow();
    long former = node.epochs().current();
    node.divergence().fenced(former, node.committed().revision());
    node.epochs().recordRole(Role.SECONDARY);
    SecondaryRole secondary = new SecondaryRole(node, null);
    ClusterException gone =
        new ClusterException(
            ErrorCode.STALE_EPOCH,
            node.settings().id()
                + " is no longer the primary (epoch "
                + newer
                + " has another one): join that one");
    node.switchRole(secondary, null);
    node.transport().advertise(Role.SECONDARY);
    node.epochs().adopt(newer);
    primary.close(gone);
    node.events()
        .error(
            "this node was primary at epoch "
                + former
                + " but "
                + by
                + " has seen epoch "
                + newer
                + ": another node was promoted, so this node is a secondary now; revisions the new"
                + " primary lacks will be saved to a file, never merged");
    node.forEachListener(l -> l.roleChanged(Role.SECONDARY, newer));
    node.loop().execute(secondary::join);
    node.refreshDiagnostics();
  }

  /**
   * A primary asks every registered server for its epoch now and then, so that a primary that was
   * cut off while another was promoted learns it when the network heals. The ping says that this
   * node is the primary of its epoch, and so does the answer of a server that claims the same: two
   * primaries of one epoch (split brain) learn of each other within one probe.
   */
  public void probeEpochs() {
    for (Member m : node.members()) {
      if (m.id().equals(node.settings().id())) {
        continue;
      }
      NodeId peer = m.id();
      node.peers()
          .channel(m.address())
          .call(
              new Request.Ping(node.scheduler().now(), node.epochs().current(), true),
              node.settings().callDeadline())
          .whenComplete(
              (response, failure) -> {
                if (response != null) {
                  node.loop()
                      .execute(
                          () -> {
                            if (node.isClosing()) {
                              return;
                            }
                            if (response.epoch() > node.epochs().current()) {
                              claimed(response.epoch(), peer);
                            } else if (node.roleState() instanceof PrimaryRole primary
                                && response instanceof Response.Pong pong
                                && pong.epoch() == node.epochs().current()) {
                              if (pong.primaryClaim()) {
                                primary.rivalClaims(peer);
                              } else {
                                primary.rivalDenies(peer, peer + " answers as a secondary");
                              }
                            }
                          });
                }
              });
    }
  }
}
