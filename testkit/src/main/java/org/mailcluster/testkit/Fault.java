package org.mailcluster.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.mailcluster.membership.NodeId;

/**
 * Something wrong with a {@link SimulatedNetwork}, injected with {@link
 * SimulatedNetwork#inject(Fault)} and removed with {@link SimulatedNetwork.InjectedFault#heal()}.
 * The set is closed: each fault is an effect on messages, applied with the network's seeded random,
 * so a run with faults is as reproducible as one without.
 *
 * <p>Faults never break the transport contract: a stream either delivers its messages in order,
 * without loss or duplication, or ends with an {@code UNAVAILABLE} error. Only unary calls, which
 * the contract leaves unordered and which a deadline protects, can lose, repeat or reorder
 * messages.
 *
 * <pre>{@code
 * SimulatedNetwork.InjectedFault split =
 *     network.inject(new Fault.Partition(Set.of(mx1), Set.of(mx2, mx3)));
 * network.inject(new Fault.Drop(0.05));
 * time.runFor(Duration.ofSeconds(30));
 * split.heal();
 * }</pre>
 */
public sealed interface Fault {
  /**
   * No message passes between a node of {@code sideA} and a node of {@code sideB}, in either
   * direction. Streams crossing the partition end with an error when it is injected; unary messages
   * already on their way are lost. Nodes on neither side are not affected.
   *
   * <pre>{@code
   * network.inject(new Fault.Partition(Set.of(mx1), Set.of(mx2, mx3)));
   * }</pre>
   *
   * @param sideA the nodes on one side
   * @param sideB the nodes on the other side; no node may be on both
   */
  record Partition(Set<NodeId> sideA, Set<NodeId> sideB) implements Fault {
    /** Copies both sides and checks that they are non-empty and disjoint. */
    public Partition {
      sideA = Set.copyOf(requireNonNull(sideA, "sideA"));
      sideB = Set.copyOf(requireNonNull(sideB, "sideB"));
      if (sideA.isEmpty() || sideB.isEmpty()) {
        throw new IllegalArgumentException(
            "both sides of a partition need a node, but they were "
                + sorted(sideA)
                + " and "
                + sorted(sideB));
      }
      Set<NodeId> both = new TreeSet<>(sideA);
      both.retainAll(sideB);
      if (!both.isEmpty()) {
        throw new IllegalArgumentException(
            "a node cannot be on both sides of a partition, but " + both + " are");
      }
    }

    /** Returns whether this partition separates {@code a} from {@code b}. */
    public boolean separates(NodeId a, NodeId b) {
      return (sideA.contains(a) && sideB.contains(b)) || (sideB.contains(a) && sideA.contains(b));
    }

    @Override
    public String toString() {
      return "Partition[" + sorted(sideA) + " | " + sorted(sideB) + "]";
    }
  }

  /**
   * Each message is lost with {@code probability}. A lost request or response makes the caller's
   * deadline fire; a lost stream message ends the stream with an error instead, because a live
   * stream never loses a message silently.
   *
   * <pre>{@code
   * network.inject(new Fault.Drop(0.1)); // one message in ten
   * }</pre>
   *
   * @param probability from 0 to 1
   */
  record Drop(double probability) implements Fault {
    /** Checks the probability. */
    public Drop {
      checkProbability(probability);
    }
  }

  /**
   * Each message takes an extra delay, uniformly distributed from {@code min} to {@code max}, on
   * top of the network's latency. Streams stay in order: a message is never delivered before the
   * one sent before it.
   *
   * <pre>{@code
   * network.inject(new Fault.Delay(Duration.ofMillis(200), Duration.ofSeconds(2)));
   * }</pre>
   *
   * @param min the shortest extra delay, zero or more
   * @param max the longest extra delay, at least {@code min}
   */
  record Delay(Duration min, Duration max) implements Fault {
    /** Checks the bounds. */
    public Delay {
      requireNonNull(min, "min");
      requireNonNull(max, "max");
      if (min.isNegative()) {
        throw new IllegalArgumentException("delay min must be zero or more but was " + min);
      }
      if (max.compareTo(min) < 0) {
        throw new IllegalArgumentException(
            "delay max must be at least min (" + min + ") but was " + max);
      }
    }
  }

  /**
   * Each unary request is delivered twice with {@code probability}, so the handler must be
   * idempotent; the second answer finds the caller's future already complete and is ignored.
   * Responses and stream messages are never duplicated.
   *
   * <pre>{@code
   * network.inject(new Fault.Duplicate(0.2));
   * }</pre>
   *
   * @param probability from 0 to 1
   */
  record Duplicate(double probability) implements Fault {
    /** Checks the probability. */
    public Duplicate {
      checkProbability(probability);
    }
  }

  /**
   * Each unary message is held back with {@code probability}, so messages sent after it between the
   * same two nodes may overtake it. Without this fault, unary messages between two nodes arrive in
   * the order sent, as on one connection. Streams are never reordered.
   *
   * <pre>{@code
   * network.inject(new Fault.Reorder(0.3));
   * }</pre>
   *
   * @param probability from 0 to 1
   */
  record Reorder(double probability) implements Fault {
    /** Checks the probability. */
    public Reorder {
      checkProbability(probability);
    }
  }

  private static void checkProbability(double probability) {
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException("probability must be from 0 to 1 but was " + probability);
    }
  }

  private static String sorted(Set<NodeId> nodes) {
    return nodes.stream()
        .sorted()
        .map(NodeId::toString)
        .collect(Collectors.joining(", ", "{", "}"));
  }
}
