package org.mailcluster.internal.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.mailcluster.Role;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;

/**
 * Which server a secondary tries to join: the last that accepted it (or the configured primary),
 * then in turn every other registered server, so that it finds a newly promoted primary by itself;
 * and the primary named by a server that turned out to be a secondary. Loop-confined.
 */
final class JoinTargets {
  private final NodeCore node;
  // Which server to join: the last that accepted, else the configured primary, then the others.
  private NodeAddress preferredPrimary;
  private int joinRotation;
  // The primary that a server given as this node's primary named instead (it is a secondary).
  private NodeAddress redirectedTo;

  /** Targets trying {@code preferredPrimary} first (may be null). */
  JoinTargets(NodeCore node, NodeAddress preferredPrimary) {
    this.node = node;
    this.preferredPrimary = preferredPrimary;
  }

  /** The server to try next, if this node knows any other registered server. */
  Optional<NodeAddress> next() {
    List<NodeAddress> candidates = new ArrayList<>();
    if (preferredPrimary != null) {
      candidates.add(preferredPrimary);
    }
    for (Member m : node.members()) {
      if (!m.id().equals(node.settings().id()) && !candidates.contains(m.address())) {
        candidates.add(m.address());
      }
    }
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(candidates.get(Math.floorMod(joinRotation, candidates.size())));
  }

  /** The server this node tries first, if any. */
  Optional<NodeAddress> preferred() {
    return Optional.ofNullable(preferredPrimary);
  }

  /** {@code address} accepted this node, or is to be tried first from now on. */
  void prefer(NodeAddress address) {
    preferredPrimary = address;
    joinRotation = 0;
  }

  /** The last try failed: the next server in turn. */
  void failed() {
    joinRotation++;
  }

  /** Starts the turn over, at {@code first} if given, else at the server tried first. */
  void startOver(Optional<NodeAddress> first) {
    joinRotation = 0;
    first.ifPresent(a -> preferredPrimary = a);
  }

  /**
   * The server this node was told to join answered that it is not the primary: ask it which primary
   * it follows, and follow that one, warning that this node's configuration names the wrong server.
   * Nothing changes once {@code settled} holds when the answer comes; {@code redirected} runs after
   * this node was pointed elsewhere.
   */
  void askForThePrimary(NodeAddress notPrimary, BooleanSupplier settled, Runnable redirected) {
    node.peers()
        .joinChannel(notPrimary)
        .call(new Request.StatusQuery(node.epochs().current()), node.settings().callDeadline())
        .whenComplete(
            (response, failure) -> {
              if (failure != null || !(response instanceof Response.Status status)) {
                return;
              }
              node.loop()
                  .execute(
                      () -> {
                        if (settled.getAsBoolean()) {
                          return;
                        }
                        Optional<NodeAddress> named = status.primaryAddress();
                        if (status.role() != Role.SECONDARY
                            || named.isEmpty()
                            || named.get().equals(notPrimary)
                            || named.get().equals(node.settings().address())
                            || named.get().equals(redirectedTo)) {
                          return;
                        }
                        redirectedTo = named.get();
                        preferredPrimary = named.get();
                        joinRotation = 0;
                        if (!node.settings().primaryAddress().equals(Optional.of(notPrimary))) {
                          NodeEvents.CLUSTER_LOG.info(
                              "{} is a secondary of {}: joining that one", notPrimary, named.get());
                        } else {
                          node.events()
                              .warn(
                                  "the server given as this node's primary, "
                                      + notPrimary
                                      + ", is a secondary; it follows "
                                      + status.primary().map(p -> p + " at ").orElse("")
                                      + named.get()
                                      + ", so this node joins that one. Fix this node's"
                                      + " configuration: set its primary to "
                                      + named.get()
                                      + " (the node agent's 'primary' key; the builder's"
                                      + " secondaryOf)");
                        }
                        redirected.run();
                      });
            });
  }
}
