package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterListener;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeId;
import org.mailcluster.testkit.jqwik.ClusterArbitraries;

/**
 * The replication engine against a reference model, over generated sequences of commits, writes on
 * secondaries, local file edits, crashes, restarts, partitions, message loss and the passing of
 * time on a three-node {@link SimulatedCluster}. After every step:
 *
 * <ol>
 *   <li>a secondary never accepts a configuration write;
 *   <li>a node's applied revision never goes backwards, across its own crashes too;
 *   <li>every revision acknowledged to a caller survives any crash and restart of the primary;
 *   <li>once faults heal, all nodes converge on the primary's snapshot within bounded virtual time
 *       (checked at the end of every sequence);
 *   <li>no node ever exposes a partial state: whatever revision a node shows, its content is the
 *       content the primary committed at that revision;
 *   <li>a local edit on a synchronized secondary is overwritten and reported.
 * </ol>
 *
 * <p>Runs {@code jqwik.tries.default} sequences (set by the build); the long mode is documented in
 * the README. A failure shrinks to a short sequence and prints the cluster seed and trace.
 */
class ReplicationProperties {
  private static final List<String> NODES = List.of("mx1", "mx2", "mx3");
  private static final int KEYS = 6;

  @Property
  void replicationKeepsItsInvariants(
      @ForAll("steps") List<ClusterAction> steps, @ForAll long clusterSeed) {
    new Run_(clusterSeed).execute(steps);
  }

  /** One run: the cluster, the reference model and the checks. */
  private static final class Run_ {
    final SimulatedCluster cluster;
    final Map<Revision, Fingerprint> committedStates = new HashMap<>();
    final Map<String, Revision> lastSeen = new HashMap<>();
    Revision lastAcknowledged = Revision.INITIAL;
    final List<CompletableFuture<Revision>> pending = new ArrayList<>();
    final Map<String, Integer> overwrites = new HashMap<>();

    Run_(long seed) {
      cluster =
          SimulatedCluster.builder()
              .nodes(NODES.size())
              .seed(seed)
              .snapshotInterval(7)
              .configSources(id -> new MemoryConfigSource(ConfigSnapshot.empty()))
              .build();
      committedStates.put(Revision.INITIAL, Fingerprint.EMPTY);
    }

    void execute(List<ClusterAction> steps) {
      try (cluster) {
        cluster.start();
        NODES.forEach(this::listen);
        // Invariants 2 and 5 at every instant a state could be observed, not only between steps.
        cluster.time().afterEachTask(() -> checkStates("a task"));
        for (ClusterAction step : steps) {
          apply(step);
          check(step);
        }
        // Invariant 4: heal everything, restart the crashed, and the cluster converges.
        cluster.healAll();
        for (String id : NODES) {
          if (!cluster.isRunning(id)) {
            listenAfter(cluster.restart(id), id);
          }
        }
        cluster.awaitConverged(Duration.ofMinutes(3));
        check(new ClusterAction.HealNetwork());
        for (String id : NODES) {
          assertFilesMatch(id);
        }
        cluster.assertConverged();
        Statistics.label("final revision")
            .collect(cluster.primary().configuration().revision().sequence() / 20 * 20);
      }
    }

    private void apply(ClusterAction step) {
      Statistics.label("steps").collect(step.kind());
      if (step instanceof ClusterAction.Commit c) {
        if (cluster.isRunning("mx1")) {
          ConfigUpdate.Builder u = ConfigUpdate.builder("property");
          for (int i = 0; i < c.width(); i++) {
            int k = (c.key() + i) % KEYS;
            if (c.value() == 0) {
              u.remove(key(k));
            } else {
              u.setRaw(key(k), "v" + c.value() + "." + i);
            }
          }
          pending.add(cluster.primary().update(u.build()));
        }
      } else if (step instanceof ClusterAction.WriteOnSecondary w) {
        String id = NODES.get(1 + w.node() % 2);
        if (cluster.isRunning(id)) {
          CompletableFuture<Revision> f =
              cluster
                  .node(id)
                  .update(ConfigUpdate.builder("property").setRaw(key(w.key()), "x").build());
          cluster.time().runUntil(f::isDone, Duration.ofSeconds(1));
          // Invariant 1.
          ClusterException e = failureOf(f);
          if (e.code() != ErrorCode.NOT_PRIMARY) {
            throw cluster.failure(
                "a secondary answered a write with " + e.code() + ": " + e.getMessage());
          }
        }
      } else if (step instanceof ClusterAction.LocalEdit l) {
        String id = NODES.get(1 + l.node() % 2);
        if (cluster.isRunning(id)
            && !cluster.node(id).configuration().revision().equals(Revision.INITIAL)) {
          MemoryConfigSource files = (MemoryConfigSource) cluster.configSource(id).orElseThrow();
          int before = overwrites.getOrDefault(id, 0);
          String k = key(l.key()).stateKey();
          String edited = "edited" + l.value();
          Optional<String> expected = cluster.node(id).configuration().get(k);
          files.editBehindTheLibrarysBack(k, edited);
          cluster.runFor(Duration.ofMillis(50));
          // Invariant 6 (the node may have applied newer revisions meanwhile: compare with its
          // state).
          if (cluster.isRunning(id)) {
            Optional<String> now = cluster.node(id).configuration().get(k);
            if (!files.files.get(k).equals(now)) {
              throw cluster.failure(
                  id
                      + " left the local edit "
                      + k
                      + "="
                      + edited
                      + " in place; its state says "
                      + now
                      + " (was "
                      + expected
                      + ")");
            }
            if (!now.equals(Optional.of(edited)) && overwrites.getOrDefault(id, 0) == before) {
              throw cluster.failure(
                  id + " overwrote a local edit of " + k + " without reporting it");
            }
          }
        }
      } else if (step instanceof ClusterAction.Crash c) {
        String id = NODES.get(c.node());
        if (cluster.isRunning(id)) {
          cluster.crash(id);
          if (id.equals("mx1")) {
            pending.clear(); // in-flight commits die with the primary: never acknowledged
          }
        }
      } else if (step instanceof ClusterAction.Restart r) {
        String id = NODES.get(r.node());
        if (!cluster.isRunning(id)) {
          ClusterService node = cluster.restart(id);
          listenAfter(node, id);
        }
      } else if (step instanceof ClusterAction.Isolate i) {
        String id = NODES.get(i.node());
        Set<NodeId> others =
            Set.copyOf(NODES.stream().filter(n -> !n.equals(id)).map(NodeId::of).toList());
        cluster.inject(new Fault.Partition(Set.of(NodeId.of(id)), others));
      } else if (step instanceof ClusterAction.DropMessages d) {
        cluster.inject(new Fault.Drop(d.percent() / 100.0));
      } else if (step instanceof ClusterAction.HealNetwork) {
        cluster.healAll();
      } else if (step instanceof ClusterAction.Run r) {
        cluster.runFor(Duration.ofMillis(r.millis()));
      }
      collectAcknowledgements();
    }

    private void check(ClusterAction after) {
      checkStates(after);
      // Invariant 3.
      if (cluster.isRunning("mx1")
          && cluster.primary().configuration().revision().compareTo(lastAcknowledged) < 0) {
        throw cluster.failure(
            "the primary is at "
                + cluster.primary().configuration().revision()
                + " but "
                + lastAcknowledged
                + " was acknowledged (after "
                + after
                + ")");
      }
    }

    private void checkStates(Object after) {
      for (String id : NODES) {
        if (!cluster.isRunning(id)) {
          continue;
        }
        ConfigSnapshot s = cluster.node(id).configuration();
        // Invariant 2.
        Revision previous = lastSeen.getOrDefault(id, Revision.INITIAL);
        if (s.revision().compareTo(previous) < 0) {
          throw cluster.failure(
              id + " went back from " + previous + " to " + s.revision() + " after " + after);
        }
        lastSeen.put(id, s.revision());
        // Invariant 5.
        Fingerprint expected = committedStates.get(s.revision());
        if (expected == null) {
          throw cluster.failure(
              id
                  + " shows revision "
                  + s.revision()
                  + ", which the primary never committed (after "
                  + after
                  + ")");
        }
        if (!expected.equals(s.fingerprint())) {
          throw cluster.failure(
              id
                  + " shows revision "
                  + s.revision()
                  + " with content the primary never had at it (after "
                  + after
                  + ")");
        }
      }
    }

    private void collectAcknowledgements() {
      for (CompletableFuture<Revision> f : pending) {
        if (f.isDone() && !f.isCompletedExceptionally()) {
          Revision r = f.join();
          if (r.compareTo(lastAcknowledged) > 0) {
            lastAcknowledged = r;
          }
        }
      }
      pending.removeIf(CompletableFuture::isDone);
    }

    private void listen(String id) {
      listenAfter(cluster.node(id), id);
    }

    private void listenAfter(ClusterService node, String id) {
      node.addListener(
          new ClusterListener() {
            @Override
            public void configurationChanged(ConfigSnapshot now, ConfigDiff diff) {
              if (id.equals("mx1")) {
                Fingerprint earlier =
                    committedStates.putIfAbsent(now.revision(), now.fingerprint());
                if (earlier != null && !earlier.equals(now.fingerprint())) {
                  throw cluster.failure("the primary committed two contents at " + now.revision());
                }
              }
            }

            @Override
            public void localEditOverwritten(ConfigDiff overwritten) {
              overwrites.merge(id, 1, Integer::sum);
            }
          });
      // The primary's recovered state was committed before; record it once recovery has run.
      cluster
          .time()
          .runUntil(
              () -> !node.configuration().revision().equals(Revision.INITIAL) || !id.equals("mx1"),
              Duration.ofMillis(1));
      if (id.equals("mx1")) {
        ConfigSnapshot s = node.configuration();
        committedStates.putIfAbsent(s.revision(), s.fingerprint());
      }
    }

    private void assertFilesMatch(String id) {
      MemoryConfigSource files = (MemoryConfigSource) cluster.configSource(id).orElseThrow();
      ConfigSnapshot state = cluster.node(id).configuration();
      for (int k = 0; k < KEYS; k++) {
        String key = key(k).stateKey();
        assertEquals(
            state.get(key),
            files.files.get(key),
            id + " file key " + key + " (seed " + cluster.seed() + ")");
      }
    }

    private static ClusterException failureOf(CompletableFuture<?> f) {
      try {
        f.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof ClusterException ce) {
          return ce;
        }
        throw e;
      }
      throw new AssertionError("a write on a secondary was accepted");
    }
  }

  private static SettingKey key(int k) {
    return SettingKey.ini("MDaemon.ini", "Property", "Key" + k);
  }

  @Provide
  Arbitrary<List<ClusterAction>> steps() {
    return ClusterArbitraries.actions(NODES.size(), KEYS);
  }
}
