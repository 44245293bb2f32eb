package org.mailcluster.testkit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;
import org.mailcluster.testkit.ClusterAction;
import org.mailcluster.testkit.property.ActionProperty;
import org.mailcluster.testkit.property.PropertyFailure;

class ActionPropertyExtensionTest {
  static final List<ActionProperty.Summary> summaries = new ArrayList<>();
  static final List<Integer> lengths = new ArrayList<>();

  /** Run through the engine test kit below, not directly. */
  @ExtendWith(ActionPropertyExtension.class)
  static class Sample {
    @Test
    @ActionSequences(nodes = 2, keys = 3, sequences = 7, seed = 4242, minSteps = 3, maxSteps = 5)
    void isConfiguredByItsAnnotation(ActionProperty<ClusterAction> property) {
      summaries.add(
          property.check(
              (steps, seed) -> {
                lengths.add(steps.size());
                for (ClusterAction a : steps) {
                  if (a instanceof ClusterAction.Crash c) {
                    assertTrue(c.node() < 2, "" + c);
                  }
                }
              }));
    }

    @Test
    @ActionSequences(sequences = 20, seed = 77)
    void failsWithAMinimalSequence(ActionProperty<ClusterAction> property) {
      property.check(
          (steps, seed) -> {
            if (steps.stream().anyMatch(s -> s instanceof ClusterAction.Rollback)) {
              throw new AssertionError("a rollback");
            }
          });
    }
  }

  @Test
  void injectsAConfiguredPropertyAndReportsItsShrunkFailure() {
    summaries.clear();
    lengths.clear();
    Events tests =
        EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(Sample.class))
            .execute()
            .testEvents();
    tests.assertStatistics(s -> s.started(2).succeeded(1).failed(1));
    assertEquals(1, summaries.size());
    assertEquals(7, summaries.get(0).sequences());
    assertEquals(4242, summaries.get(0).seed());
    assertEquals(7, lengths.size());
    assertTrue(lengths.stream().allMatch(n -> n >= 3 && n <= 5), lengths.toString());

    Throwable failure =
        tests.failed().stream()
            .findFirst()
            .orElseThrow()
            .getRequiredPayload(TestExecutionResult.class)
            .getThrowable()
            .orElseThrow();
    PropertyFailure f = assertInstanceOf(PropertyFailure.class, failure);
    assertEquals(77, f.seed());
    assertEquals(1, f.minimal().size(), f.minimal().toString());
    assertEquals(new ClusterAction.Rollback(0), f.minimal().get(0));
    assertTrue(
        f.getMessage().startsWith("Sample.failsWithAMinimalSequence failed on sequence"),
        f.getMessage());
    assertTrue(f.getMessage().contains("new ClusterAction.Rollback(0)"), f.getMessage());
  }
}
