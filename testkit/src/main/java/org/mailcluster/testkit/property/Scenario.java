package org.mailcluster.testkit.property;

import java.util.List;

/**
 * What a property does with one generated sequence: build a cluster from {@code clusterSeed}, play
 * the steps, check the invariants. It fails by throwing (an {@link AssertionError} or any other
 * exception). It must be deterministic: the same steps and seed must fail the same way, so that the
 * failure can be shrunk and replayed.
 *
 * @param <A> the type of a step
 */
@FunctionalInterface
public interface Scenario<A> {
  /**
   * Plays one sequence.
   *
   * @param steps the steps, in order
   * @param clusterSeed the seed for everything random in the run (the cluster's seed)
   * @throws Exception to fail
   */
  void run(List<A> steps, long clusterSeed) throws Exception;
}
