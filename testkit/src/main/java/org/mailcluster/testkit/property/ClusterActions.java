package org.mailcluster.testkit.property;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.PromotionOptions;
import org.mailcluster.Role;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.testkit.ClusterAction;
import org.mailcluster.testkit.Fault;
import org.mailcluster.testkit.SimulatedCluster;

/**
 * {@link ClusterAction}s for property tests: the weighted generator the engine's own replication
 * properties use, how shrinking simplifies an action, and a plain interpreter that plays an action
 * on a {@link SimulatedCluster}.
 *
 * <pre>{@code
 * ActionGenerator<ClusterAction> actions = ClusterActions.generator(3, 6); // 100 to 120 steps
 * List<ClusterAction> scenario = actions.sequence(new SplittableRandom(seed));
 * }</pre>
 */
public final class ClusterActions {
  /** The fewest steps of a generated sequence. */
  public static final int MIN_STEPS = 100;

  /** The most steps of a generated sequence. */
  public static final int MAX_STEPS = 120;

  private ClusterActions() {}

  /**
   * Returns a generator of actions for a cluster of {@code nodes} nodes and {@code keys} keys, in
   * sequences of {@value #MIN_STEPS} to {@value #MAX_STEPS} steps. Each kind has a weight (its
   * share is weight / 95): commits 30 (1 to 3 keys, value 0 to 9, 0 removing), the passing of time
   * 25 (1 ms to 3 s), restarts 6, local edits 5, healing the network 5, crashes 4, writes on a
   * secondary 4, isolating a node 3, rollbacks 3 (0 to 8 entries back), fail-overs 3 (the primary
   * cut off or crashed, then a secondary promoted), message loss 2 (5 to 40 %), forced resyncs 2,
   * promotions 2 and the primary losing its state 1.
   */
  public static ActionGenerator<ClusterAction> generator(int nodes, int keys) {
    if (nodes < 1 || keys < 1) {
      throw new IllegalArgumentException(
          "nodes and keys must be 1 or more but were " + nodes + " and " + keys);
    }
    return ActionGenerator.<ClusterAction>builder()
        .add(
            "Commit",
            30,
            r -> new ClusterAction.Commit(r.nextInt(keys), r.nextInt(10), r.nextInt(1, 4)))
        .add(
            "WriteOnSecondary",
            4,
            r -> new ClusterAction.WriteOnSecondary(r.nextInt(nodes), r.nextInt(keys)))
        .add(
            "LocalEdit",
            5,
            r -> new ClusterAction.LocalEdit(r.nextInt(nodes), r.nextInt(keys), r.nextInt(10)))
        .add("Crash", 4, r -> new ClusterAction.Crash(r.nextInt(nodes)))
        .add("Restart", 6, r -> new ClusterAction.Restart(r.nextInt(nodes)))
        .add("Isolate", 3, r -> new ClusterAction.Isolate(r.nextInt(nodes)))
        .add("DropMessages", 2, r -> new ClusterAction.DropMessages(r.nextInt(5, 41)))
        .add("HealNetwork", 5, r -> new ClusterAction.HealNetwork())
        .add("Run", 25, r -> new ClusterAction.Run(r.nextInt(1, 3001)))
        .add("Rollback", 3, r -> new ClusterAction.Rollback(r.nextInt(9)))
        .add(
            "ForceResync", 2, r -> new ClusterAction.ForceResync(r.nextInt(nodes), r.nextBoolean()))
        .add("Promote", 2, r -> new ClusterAction.Promote(r.nextInt(nodes)))
        .add("FailOver", 3, r -> new ClusterAction.FailOver(r.nextInt(nodes), r.nextBoolean()))
        .add("LoseState", 1, r -> new ClusterAction.LoseState())
        .length(MIN_STEPS, MAX_STEPS)
        .build();
  }

  /**
   * Returns the simpler variants of an action, simplest first, for {@link Shrinker}: smaller
   * numbers (node 0, key 0, one key, value 1, a shorter wait, a smaller loss, a nearer rollback)
   * and {@code false} for {@code true}.
   */
  public static List<ClusterAction> simplifications(ClusterAction action) {
    List<ClusterAction> out = new ArrayList<>();
    if (action instanceof ClusterAction.Commit c) {
      if (c.width() > 1) {
        out.add(new ClusterAction.Commit(c.key(), c.value(), 1));
      }
      if (c.key() > 0) {
        out.add(new ClusterAction.Commit(0, c.value(), c.width()));
      }
      if (c.value() != 1) {
        out.add(new ClusterAction.Commit(c.key(), 1, c.width()));
      }
    } else if (action instanceof ClusterAction.WriteOnSecondary w) {
      if (w.node() > 0) {
        out.add(new ClusterAction.WriteOnSecondary(0, w.key()));
      }
      if (w.key() > 0) {
        out.add(new ClusterAction.WriteOnSecondary(w.node(), 0));
      }
    } else if (action instanceof ClusterAction.LocalEdit l) {
      if (l.node() > 0) {
        out.add(new ClusterAction.LocalEdit(0, l.key(), l.value()));
      }
      if (l.key() > 0) {
        out.add(new ClusterAction.LocalEdit(l.node(), 0, l.value()));
      }
      if (l.value() > 0) {
        out.add(new ClusterAction.LocalEdit(l.node(), l.key(), 0));
      }
    } else if (action instanceof ClusterAction.Crash c) {
      if (c.node() > 0) {
        out.add(new ClusterAction.Crash(0));
      }
    } else if (action instanceof ClusterAction.Restart r) {
      if (r.node() > 0) {
        out.add(new ClusterAction.Restart(0));
      }
    } else if (action instanceof ClusterAction.Isolate i) {
      if (i.node() > 0) {
        out.add(new ClusterAction.Isolate(0));
      }
    } else if (action instanceof ClusterAction.DropMessages d) {
      if (d.percent() > 1) {
        out.add(new ClusterAction.DropMessages(d.percent() / 2));
      }
    } else if (action instanceof ClusterAction.Run r) {
      if (r.millis() > 1) {
        out.add(new ClusterAction.Run(1));
      }
      if (r.millis() > 3) {
        out.add(new ClusterAction.Run(r.millis() / 2));
      }
    } else if (action instanceof ClusterAction.Rollback r) {
      if (r.back() > 0) {
        out.add(new ClusterAction.Rollback(0));
      }
      if (r.back() > 1) {
        out.add(new ClusterAction.Rollback(r.back() / 2));
      }
    } else if (action instanceof ClusterAction.ForceResync f) {
      if (f.fromNode()) {
        out.add(new ClusterAction.ForceResync(f.node(), false));
      }
      if (f.node() > 0) {
        out.add(new ClusterAction.ForceResync(0, f.fromNode()));
      }
    } else if (action instanceof ClusterAction.Promote p) {
      if (p.node() > 0) {
        out.add(new ClusterAction.Promote(0));
      }
    } else if (action instanceof ClusterAction.FailOver f) {
      if (f.crash()) {
        out.add(new ClusterAction.FailOver(f.node(), false));
      }
      if (f.node() > 0) {
        out.add(new ClusterAction.FailOver(0, f.crash()));
      }
    }
    return List.copyOf(out);
  }

  /**
   * Returns one action that does what two neighbouring ones do, for {@link Shrinker}: two waits are
   * one wait as long as both, two heals are one.
   */
  public static Optional<ClusterAction> merge(ClusterAction first, ClusterAction second) {
    if (first instanceof ClusterAction.Run a && second instanceof ClusterAction.Run b) {
      long sum = (long) a.millis() + b.millis();
      return sum > Integer.MAX_VALUE
          ? Optional.empty()
          : Optional.of(new ClusterAction.Run((int) sum));
    }
    if (first instanceof ClusterAction.HealNetwork && second instanceof ClusterAction.HealNetwork) {
      return Optional.of(first);
    }
    return Optional.empty();
  }

  /**
   * Plays one action on a cluster, plainly, and checks nothing but that a secondary refuses a
   * write; a property adds its own checks between actions. Node numbers index {@link
   * SimulatedCluster#ids()}; a commit of width {@code w} at key {@code k} sets (or, for value 0,
   * removes) {@code keys.apply(k)} to {@code keys.apply(k + w - 1)} without waiting for the commit.
   * An action that does not apply (a crash of a crashed node, a commit without a primary) does
   * nothing; a {@link ClusterAction.LocalEdit} does nothing here, because only the property knows
   * the cluster's configuration sources. A fail-over cuts the primary off (or crashes it), runs 6 s
   * so that the secondaries notice, and asks the node to promote itself; refused promotions are not
   * errors.
   *
   * @param keys the setting key of each key number
   * @throws AssertionError if a secondary accepts a write
   */
  public static void apply(
      SimulatedCluster cluster, ClusterAction action, IntFunction<SettingKey> keys) {
    requireNonNull(cluster, "cluster");
    requireNonNull(action, "action");
    requireNonNull(keys, "keys");
    Optional<String> primary = cluster.currentPrimary();
    if (action instanceof ClusterAction.Commit c) {
      if (primary.isPresent()) {
        ConfigUpdate.Builder u = ConfigUpdate.builder("property");
        for (int i = 0; i < c.width(); i++) {
          SettingKey key = keys.apply(c.key() + i);
          if (c.value() == 0) {
            u.remove(key);
          } else {
            u.setRaw(key, "v" + c.value() + "." + i);
          }
        }
        cluster.node(primary.get()).update(u.build());
      }
    } else if (action instanceof ClusterAction.WriteOnSecondary w) {
      String id = id(cluster, w.node());
      if (cluster.isRunning(id) && cluster.node(id).role() == Role.SECONDARY) {
        CompletableFuture<Revision> f =
            cluster
                .node(id)
                .update(ConfigUpdate.builder("property").setRaw(keys.apply(w.key()), "x").build());
        cluster.time().runUntil(f::isDone, Duration.ofSeconds(1));
        if (f.isDone() && !f.isCompletedExceptionally()) {
          throw cluster.failure("the secondary " + id + " accepted a write: " + f.join());
        }
        if (f.isDone() && refusal(f).filter(e -> e.code() == ErrorCode.NOT_PRIMARY).isEmpty()) {
          throw cluster.failure(
              "the secondary " + id + " refused a write other than as NOT_PRIMARY: " + refusal(f));
        }
      }
    } else if (action instanceof ClusterAction.Crash c) {
      String id = id(cluster, c.node());
      if (cluster.isRunning(id)) {
        cluster.crash(id);
      }
    } else if (action instanceof ClusterAction.Restart r) {
      String id = id(cluster, r.node());
      if (!cluster.isRunning(id)) {
        cluster.restart(id);
      }
    } else if (action instanceof ClusterAction.Isolate i) {
      isolate(cluster, id(cluster, i.node()));
    } else if (action instanceof ClusterAction.DropMessages d) {
      cluster.inject(new Fault.Drop(d.percent() / 100.0));
    } else if (action instanceof ClusterAction.HealNetwork) {
      cluster.healAll();
    } else if (action instanceof ClusterAction.Run r) {
      cluster.runFor(Duration.ofMillis(r.millis()));
    } else if (action instanceof ClusterAction.Rollback r) {
      if (primary.isPresent()) {
        ClusterService p = cluster.node(primary.get());
        List<LogEntry> history = p.history();
        if (!history.isEmpty()) {
          Revision target = history.get(Math.max(0, history.size() - 1 - r.back())).revision();
          p.rollback(target, "property");
        }
      }
    } else if (action instanceof ClusterAction.ForceResync f) {
      String id = id(cluster, f.node());
      if (primary.isPresent() && !primary.get().equals(id) && cluster.isRunning(id)) {
        ClusterService asker = f.fromNode() ? cluster.node(id) : cluster.node(primary.get());
        asker.resync(NodeId.of(id));
      }
    } else if (action instanceof ClusterAction.Promote p) {
      promote(cluster, id(cluster, p.node()));
    } else if (action instanceof ClusterAction.FailOver f) {
      if (primary.isPresent()) {
        if (f.crash()) {
          cluster.crash(primary.get());
        } else {
          isolate(cluster, primary.get());
        }
        cluster.runFor(Duration.ofSeconds(6));
        promote(cluster, id(cluster, f.node()));
      }
    } else if (action instanceof ClusterAction.LoseState) {
      loseState(cluster, (id, node) -> {});
    }
  }

  /**
   * Plays {@link ClusterAction.LoseState}: if the cluster's first node is the primary of epoch 1,
   * heals, lets the others catch up, wipes that node's disk, restarts it, registers the others on
   * it and recovers it from the newest of them.
   *
   * @param restarted told of every node it restarts, the one that lost its state included, before
   *     that node runs a task
   * @return the recovered primary, or empty if the action did not apply
   * @throws AssertionError if the recovery fails
   */
  public static Optional<ClusterService> loseState(
      SimulatedCluster cluster, BiConsumer<String, ClusterService> restarted) {
    String first = cluster.ids().get(0);
    if (cluster.ids().size() < 2
        || !cluster.currentPrimary().equals(Optional.of(first))
        || cluster.node(first).diagnostics().epoch() != 1) {
      return Optional.empty();
    }
    cluster.healAll();
    for (String id : cluster.ids()) {
      if (!cluster.isRunning(id)) {
        restarted.accept(id, cluster.restart(id));
      }
    }
    cluster.runFor(Duration.ofSeconds(3));
    if (!cluster.currentPrimary().equals(Optional.of(first))
        || cluster.node(first).diagnostics().epoch() != 1) {
      return Optional.empty(); // healing showed that another node had been promoted meanwhile
    }
    cluster.crash(first);
    cluster.disk(first).wipe();
    ClusterService lost = cluster.restart(first);
    restarted.accept(first, lost);
    for (String id : cluster.ids()) {
      if (!id.equals(first)) {
        // A server that joins first finds the lost state, after which registering is refused.
        CompletableFuture<Revision> added =
            lost.addServer(NodeId.of(id), NodeAddress.of(id, NodeAddress.DEFAULT_PORT));
        cluster.time().runUntil(added::isDone, Duration.ofSeconds(10));
      }
    }
    // The others retry their joins within their longest backoff.
    cluster.runFor(Duration.ofSeconds(35));
    CompletableFuture<Revision> recovered = lost.recover("property");
    cluster.time().runUntil(recovered::isDone, Duration.ofSeconds(60));
    if (!recovered.isDone() || recovered.isCompletedExceptionally()) {
      throw cluster.failure(
          "recovering " + first + " after it lost its state failed: " + refusal(recovered));
    }
    return Optional.of(lost);
  }

  /**
   * Heals every network fault, restarts every crashed node and runs until all nodes have the
   * primary's state.
   *
   * @throws AssertionError with the seed and trace if they do not converge within {@code limit}
   */
  public static void settle(SimulatedCluster cluster, Duration limit) {
    cluster.healAll();
    for (String id : cluster.ids()) {
      if (!cluster.isRunning(id)) {
        cluster.restart(id);
      }
    }
    cluster.awaitConverged(limit);
  }

  private static String id(SimulatedCluster cluster, int node) {
    List<String> ids = cluster.ids();
    if (node < 0 || node >= ids.size()) {
      throw new IllegalArgumentException(
          "node " + node + " is not an index of the cluster's " + ids.size() + " nodes");
    }
    return ids.get(node);
  }

  private static void isolate(SimulatedCluster cluster, String id) {
    if (cluster.ids().size() < 2) {
      return;
    }
    Set<NodeId> others =
        Set.copyOf(cluster.ids().stream().filter(n -> !n.equals(id)).map(NodeId::of).toList());
    cluster.inject(new Fault.Partition(Set.of(NodeId.of(id)), others));
  }

  private static void promote(SimulatedCluster cluster, String id) {
    if (!cluster.isRunning(id) || cluster.node(id).role() != Role.SECONDARY) {
      return;
    }
    CompletableFuture<Revision> f = cluster.node(id).promote(PromotionOptions.defaults());
    cluster.time().runUntil(f::isDone, Duration.ofSeconds(30));
  }

  private static Optional<ClusterException> refusal(CompletableFuture<?> f) {
    try {
      f.join();
      return Optional.empty();
    } catch (CompletionException e) {
      return e.getCause() instanceof ClusterException ce ? Optional.of(ce) : Optional.empty();
    }
  }
}
