package org.mailcluster;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;
import org.mailcluster.config.Revision;

/**
 * How a node stands after a bounded wait for its synchronization ({@link
 * ClusterService#awaitSynchronized(Duration)}): synchronized with its primary, serving the last
 * configuration it knows because no primary answered, or without any configuration yet. A host
 * decides with it whether to release its mail queues (requirement R31 in docs/REQUIREMENTS.md).
 *
 * <pre>{@code
 * SyncOutcome outcome = cluster.awaitSynchronized(Duration.ofMinutes(2)).join();
 * switch (outcome.state()) {
 *   case SYNCHRONIZED -> queues.release();
 *   case SERVING_LAST_KNOWN -> {
 *     log.warn(outcome.summary()); // "serving last known configuration at 1:42, 3 h 5 min old, ..."
 *     queues.release(); // the configuration the cluster last had; it cannot change meanwhile
 *   }
 *   case NO_CONFIGURATION -> log.error(outcome.summary()); // keep the queues frozen
 * }
 * }</pre>
 *
 * @param state which of the three it is
 * @param revision the revision the node holds
 * @param age how long ago the primary committed that revision, if the node's history knows
 * @param summary one line for the host's log, e.g. {@code serving last known configuration at 1:42,
 *     12 min old, primary unreachable (10.0.0.11:7400)}
 */
public record SyncOutcome(State state, Revision revision, Optional<Duration> age, String summary) {
  /** Where a node stands when the wait ends. */
  public enum State {
    /** The node applied its primary's state since it started (always so on the primary). */
    SYNCHRONIZED,
    /**
     * No primary answered in time; the node serves the configuration it last applied, read-only,
     * and keeps trying to reach the primary.
     */
    SERVING_LAST_KNOWN,
    /** No primary answered in time and the node has never synchronized: it has no configuration. */
    NO_CONFIGURATION
  }

  /** Checks the parts. */
  public SyncOutcome {
    requireNonNull(state, "state");
    requireNonNull(revision, "revision");
    requireNonNull(age, "age");
    requireNonNull(summary, "summary");
  }

  /** Whether the node is synchronized with its primary. */
  public boolean isSynchronized() {
    return state == State.SYNCHRONIZED;
  }
}
