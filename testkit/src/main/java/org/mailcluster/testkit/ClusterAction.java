package org.mailcluster.testkit;

import static java.util.Objects.requireNonNull;

/**
 * One step of a generated scenario for a {@link SimulatedCluster}: what happens next to the
 * cluster. The set is closed, so a property can interpret every action and check its invariants
 * after each; {@code org.mailcluster.testkit.jqwik.ClusterArbitraries} generates sequences of them.
 * Node numbers are indexes into {@link SimulatedCluster#ids()}.
 *
 * <pre>{@code
 * for (ClusterAction a : actions) {
 *   if (a instanceof ClusterAction.Crash c) cluster.crash(cluster.ids().get(c.node()));
 *   ...
 *   checkInvariants(cluster);
 * }
 * }</pre>
 */
public sealed interface ClusterAction {
  /**
   * Commit on the primary: set {@code width} consecutive keys starting at {@code key} to values
   * derived from {@code value}, or remove them when {@code value} is 0.
   *
   * @param key the first key's number
   * @param value 0 to remove, otherwise a value number
   * @param width how many keys, 1 or more
   */
  record Commit(int key, int value, int width) implements ClusterAction {}

  /**
   * Try to commit on a secondary (which must refuse).
   *
   * @param node the node's index
   * @param key the key's number
   */
  record WriteOnSecondary(int node, int key) implements ClusterAction {}

  /**
   * Edit a node's configuration file behind the library's back.
   *
   * @param node the node's index
   * @param key the key's number
   * @param value the value's number
   */
  record LocalEdit(int node, int key, int value) implements ClusterAction {}

  /**
   * Cut a node's power.
   *
   * @param node the node's index
   */
  record Crash(int node) implements ClusterAction {}

  /**
   * Start a crashed node again on its disk.
   *
   * @param node the node's index
   */
  record Restart(int node) implements ClusterAction {}

  /**
   * Partition a node from all the others.
   *
   * @param node the node's index
   */
  record Isolate(int node) implements ClusterAction {}

  /**
   * Lose a share of unary messages (streams break rather than lose messages).
   *
   * @param percent 1 to 100
   */
  record DropMessages(int percent) implements ClusterAction {}

  /** Heal every network fault. */
  record HealNetwork() implements ClusterAction {}

  /**
   * Let virtual time pass.
   *
   * @param millis how long, in milliseconds
   */
  record Run(int millis) implements ClusterAction {
    /** Checks the duration. */
    public Run {
      if (millis < 0) {
        throw new IllegalArgumentException("millis must be zero or more but was " + millis);
      }
    }
  }

  /** Returns a short description for statistics and shrunk samples. */
  default String kind() {
    return requireNonNull(getClass().getSimpleName());
  }
}
