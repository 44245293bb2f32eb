package org.mailcluster.testkit;

import static java.util.Objects.requireNonNull;

/**
 * One step of a generated scenario for a {@link SimulatedCluster}: what happens next to the
 * cluster. The set is closed, so a property can interpret every action and check its invariants
 * after each; {@link org.mailcluster.testkit.property.ClusterActions} generates seeded, weighted
 * sequences of them and plays them, and {@link org.mailcluster.testkit.property.ActionProperty}
 * runs a property over such sequences and shrinks a failing one. Node numbers are indexes into
 * {@link SimulatedCluster#ids()}.
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

  /**
   * Roll the primary back to an earlier revision of its history (history and rollback, requirement
   * B1 in docs/REQUIREMENTS.md).
   *
   * @param back how many entries back from the newest, 0 or more (clamped to the oldest)
   */
  record Rollback(int back) implements ClusterAction {
    /** Checks the distance. */
    public Rollback {
      if (back < 0) {
        throw new IllegalArgumentException("back must be zero or more but was " + back);
      }
    }
  }

  /**
   * Force a full resync of a node (requirement B2), asked of the primary or of the node itself.
   *
   * @param node the node's index
   * @param fromNode whether the node asks for itself rather than the primary being asked
   */
  record ForceResync(int node, boolean fromNode) implements ClusterAction {}

  /**
   * Ask a node to promote itself to primary, with the default checks (requirement B3); refused
   * while the primary answers or when the node is behind.
   *
   * @param node the node's index
   */
  record Promote(int node) implements ClusterAction {}

  /**
   * The primary fails and a secondary is promoted (requirement B3): the primary is cut off from the
   * others (or crashes), the secondaries notice its silence, and {@code node} is promoted. The old
   * primary returns through later {@link HealNetwork} or {@link Restart} steps.
   *
   * @param node the index of the node to promote
   * @param crash whether the primary crashes rather than being partitioned away
   */
  record FailOver(int node, boolean crash) implements ClusterAction {}

  /**
   * The configured primary (the cluster's first node) loses its whole state, as a reinstalled
   * machine would, while it is the primary of epoch 1: the network heals and the crashed restart
   * first, so that the others catch up; then it crashes, its disk is wiped, it starts again as
   * primary and registers the others, they refuse it (their state is newer), and it is recovered
   * from the newest of them. Does nothing at other times.
   */
  record LoseState() implements ClusterAction {}

  /** Returns a short description for statistics and shrunk samples. */
  default String kind() {
    return requireNonNull(getClass().getSimpleName());
  }
}
