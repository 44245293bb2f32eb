package org.mailcluster.testkit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.SettingKey;
import org.mailcluster.testkit.SimulatedCluster;

class SimulatedClusterExtensionTest {
  static final List<SimulatedCluster> seen = new ArrayList<>();

  /** Run through the engine test kit below, not directly. */
  @ExtendWith(SimulatedClusterExtension.class)
  static class Sample {
    @Test
    @ClusterConfig(nodes = 2, seed = 4242)
    void receivesAStartedCluster(SimulatedCluster cluster) {
      seen.add(cluster);
      assertEquals(4242, cluster.seed());
      assertEquals(List.of("mx1", "mx2"), cluster.ids());
      assertTrue(cluster.node("mx2").awaitSynchronized().isDone());
    }

    @Test
    @ClusterConfig(nodes = 2, seed = 77)
    void fails(SimulatedCluster cluster) {
      seen.add(cluster);
      cluster
          .primary()
          .update(ConfigUpdate.builder("t").setRaw(SettingKey.plugin("p", "k"), "v").build());
      cluster.runFor(Duration.ofSeconds(1));
      throw new AssertionError("deliberate failure");
    }
  }

  @Test
  void injectsClosesAndAttachesTheSeedAndTraceToFailures() {
    seen.clear();
    Events tests =
        EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(Sample.class))
            .execute()
            .testEvents();
    tests.assertStatistics(s -> s.started(2).succeeded(1).failed(1));
    Throwable failure =
        tests.failed().stream()
            .findFirst()
            .orElseThrow()
            .getRequiredPayload(org.junit.platform.engine.TestExecutionResult.class)
            .getThrowable()
            .orElseThrow();
    assertEquals("deliberate failure", failure.getMessage());
    assertEquals(1, failure.getSuppressed().length);
    String report = failure.getSuppressed()[0].getMessage();
    assertTrue(report.contains("seed 77"), report);
    assertTrue(report.contains("mx1→mx2"), report);
    assertEquals(2, seen.size());
    for (SimulatedCluster c : seen) {
      assertFalse(c.isRunning("mx1"), "closed after its test");
    }
  }
}
