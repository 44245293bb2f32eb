package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeId;

/**
 * A secondary cut off from its primary for minutes retries with a backoff that reaches its ceiling
 * (30 s). Once the network heals, it must not sit out that ceiling: the primary's epoch probe
 * reaches it within two heartbeats, and it joins then.
 */
class SecondaryReconnectTest {
  private static final SettingKey KEY = SettingKey.plugin("soak", "counter");
  private static final Duration BOUND = Duration.ofSeconds(10);

  /** Regression: after a two-minute cut, a secondary stayed behind for up to a minute. */
  @Test
  void aSecondaryCutOffForMinutesCatchesUpWithinSecondsOfTheHeal() {
    List<String> times = new ArrayList<>();
    for (long seed = 1; seed <= 10; seed++) {
      for (boolean fromBoth : new boolean[] {false, true}) {
        try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(seed).build()) {
          c.start();
          c.awaitConverged(Duration.ofSeconds(10));
          // Cut from the primary only, mx2 still reaches mx3, which answers NOT_PRIMARY.
          Set<NodeId> others =
              fromBoth ? Set.of(NodeId.of("mx1"), NodeId.of("mx3")) : Set.of(NodeId.of("mx1"));
          SimulatedNetwork.InjectedFault cut =
              c.inject(new Fault.Partition(Set.of(NodeId.of("mx2")), others));
          for (int i = 0; i < 120; i++) {
            c.await(
                c.primary()
                    .update(
                        ConfigUpdate.builder("api:test").setRaw(KEY, Integer.toString(i)).build()),
                Duration.ofSeconds(10));
            c.runFor(Duration.ofSeconds(1));
          }
          cut.heal();
          Duration before = c.time().elapsed();
          c.awaitConverged(BOUND);
          Duration took = c.time().elapsed().minus(before);
          times.add(
              "seed "
                  + seed
                  + (fromBoth ? " (cut from both)" : "")
                  + ": "
                  + took.toMillis()
                  + " ms");
          assertTrue(took.compareTo(BOUND) <= 0, times.toString());
        }
      }
    }
    System.out.println("caught up after the heal: " + times);
  }
}
