package org.mailcluster.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.transport.ClusterTransport;

/**
 * A network for a simulated cluster: every message is a task on one {@link VirtualTime} timeline,
 * and every random choice (latency jitter, which message a fault hits) comes from one random
 * generator seeded with the seed given here. The same seed and the same test give the same run,
 * message for message; {@link #seed()} and {@link #trace()} say how to repeat and what happened.
 *
 * <p>Each node gets a {@link ClusterTransport} from {@link #transport(NodeId, NodeAddress)}.
 * Channels reach peers by address, and a handler sees the caller as {@code PeerIdentity.of(node,
 * address)}, the simulated equivalent of a certificate identity. Calls fail with {@code
 * UNAVAILABLE} when nothing listens at the address (after one network latency, like a refused
 * connection) or when no answer arrives by the deadline. Streams deliver in order and without loss,
 * or end with {@code UNAVAILABLE}; a {@code ServerStream} is not ready while {@linkplain
 * Builder#streamWindow(int) the stream window} of messages is in flight. Unary messages between two
 * nodes arrive in the order sent unless a {@link Fault.Reorder} is active.
 *
 * <p>The network, like {@link VirtualTime}, is confined to the thread that runs the timeline: its
 * transports and all their callbacks run there, one at a time. Callbacks never run inside the
 * transport method that caused them; they are separate tasks.
 *
 * <pre>{@code
 * VirtualTime time = VirtualTime.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
 * SimulatedNetwork network = SimulatedNetwork.create(time, 42);
 * ClusterTransport mx1 = network.transport(NodeId.of("mx1"), NodeAddress.parse("mx1"));
 * ClusterTransport mx2 = network.transport(NodeId.of("mx2"), NodeAddress.parse("mx2"));
 * mx1.start(primaryHandler);
 * mx2.start(secondaryHandler);
 * network.inject(new Fault.Drop(0.05));
 * time.runFor(Duration.ofMinutes(1));
 * network.crash(NodeId.of("mx1"));
 * time.runFor(Duration.ofSeconds(10));
 * ClusterTransport mx1Again = network.restart(NodeId.of("mx1"));
 * }</pre>
 */
public final class SimulatedNetwork {
  /** The latency every message has unless configured otherwise. */
  public static final Duration DEFAULT_LATENCY = Duration.ofMillis(2);

  /** The most random extra latency a message gets unless configured otherwise. */
  public static final Duration DEFAULT_JITTER = Duration.ofMillis(3);

  /** How many messages may be in flight on a stream before it is not ready, by default. */
  public static final int DEFAULT_STREAM_WINDOW = 16;

  /** How many trace lines are kept by default. */
  public static final int DEFAULT_TRACE_CAPACITY = 10_000;

  private final VirtualTime time;
  private final Scheduler wire;
  private final long seed;
  private final SplittableRandom random;
  private final long latencyNanos;
  private final long jitterNanos;
  private final int streamWindow;
  private final int traceCapacity;
  private final ArrayDeque<String> trace = new ArrayDeque<>();
  private long traceDropped;
  private final Map<NodeId, NodeSlot> nodes = new LinkedHashMap<>();
  private final Map<NodeAddress, NodeSlot> byAddress = new HashMap<>();
  private final List<ActiveFault> faults = new ArrayList<>();
  // Due time of the last in-order unary message per direction, so jitter does not reorder them.
  private final Map<List<NodeId>, Long> linkTail = new HashMap<>();
  private long nextStreamId = 1;

  private SimulatedNetwork(Builder b) {
    this.time = b.time;
    this.wire = b.time.scheduler("network");
    this.seed = b.seed;
    this.random = new SplittableRandom(b.seed);
    this.latencyNanos = b.latency.toNanos();
    this.jitterNanos = b.jitter.toNanos();
    this.streamWindow = b.streamWindow;
    this.traceCapacity = b.traceCapacity;
  }

  /** Returns a network on {@code time} with the default settings, seeded with {@code seed}. */
  public static SimulatedNetwork create(VirtualTime time, long seed) {
    return builder(time, seed).build();
  }

  /** Returns a builder for a network on {@code time}, seeded with {@code seed}. */
  public static Builder builder(VirtualTime time, long seed) {
    return new Builder(requireNonNull(time, "time"), seed);
  }

  /** Returns the seed: a run with the same seed and the same steps is the same run. */
  public long seed() {
    return seed;
  }

  /**
   * Returns a new transport for {@code node}, serving at {@code address} once started.
   *
   * @throws IllegalStateException if the node already has a transport that is neither closed nor
   *     crashed
   * @throws IllegalArgumentException if another node uses the address, or the node used another
   */
  public ClusterTransport transport(NodeId node, NodeAddress address) {
    requireNonNull(node, "node");
    requireNonNull(address, "address");
    NodeSlot holder = byAddress.get(address);
    if (holder != null && !holder.id.equals(node)) {
      throw new IllegalArgumentException(
          "address " + address + " belongs to node " + holder.id + ", not " + node);
    }
    NodeSlot slot = nodes.get(node);
    if (slot != null && !slot.address.equals(address)) {
      throw new IllegalArgumentException(
          "node " + node + " serves at " + slot.address + ", not " + address);
    }
    if (slot == null) {
      slot = new NodeSlot(node, address);
      nodes.put(node, slot);
      byAddress.put(address, slot);
    } else if (slot.current != null && slot.current.alive()) {
      throw new IllegalStateException(
          "node " + node + " already has a transport: close it or crash the node first");
    }
    slot.current = new SimulatedTransport(this, slot.id, slot.address);
    return slot.current;
  }

  /**
   * Returns a new transport for a second process that presents the certificate of {@code
   * presented}, a node id another process already uses, while on this network it is the node {@code
   * slot} at {@code address}: its peers see calls from {@code presented} at {@code address}.
   *
   * <pre>{@code
   * ClusterTransport twin =
   *     network.presenting(NodeId.of("mx2-7401"), NodeAddress.of("mx2", 7401), NodeId.of("mx2"));
   * }</pre>
   *
   * @throws IllegalArgumentException as {@link #transport(NodeId, NodeAddress)} does
   */
  public ClusterTransport presenting(NodeId slot, NodeAddress address, NodeId presented) {
    requireNonNull(presented, "presented");
    SimulatedTransport t = (SimulatedTransport) transport(slot, address);
    t.presented = presented;
    return t;
  }

  /**
   * Crashes {@code node}: its transport stops serving at once, streams to and from it break (its
   * peers see {@code onError} or their cancel callback), calls already sent to it get no answer (so
   * their deadlines fire), and nothing more is delivered to it, not even to its own pending calls,
   * since its process is gone. Closing the node's {@code Scheduler} is up to the caller.
   *
   * @throws IllegalArgumentException if the node never had a transport on this network
   * @throws IllegalStateException if the node is not running (crashed or closed)
   */
  public void crash(NodeId node) {
    NodeSlot slot = slot(node);
    if (slot.current == null || !slot.current.alive()) {
      throw new IllegalStateException("node " + node + " is not running, so it cannot crash");
    }
    record(node + " crashed");
    slot.current.crash();
  }

  /**
   * Restarts a crashed or closed node: returns a new transport at the same address, which the
   * restarted node starts with its new handler.
   *
   * @throws IllegalArgumentException if the node never had a transport on this network
   * @throws IllegalStateException if the node is still running
   */
  public ClusterTransport restart(NodeId node) {
    NodeSlot slot = slot(node);
    if (slot.current != null && slot.current.alive()) {
      throw new IllegalStateException("node " + node + " is running: crash it before restarting");
    }
    record(node + " restarted");
    return transport(node, slot.address);
  }

  /** Returns whether {@code node} has a transport that is serving. */
  public boolean isServing(NodeId node) {
    NodeSlot slot = nodes.get(requireNonNull(node, "node"));
    return slot != null && slot.current != null && slot.current.serving();
  }

  /**
   * Injects {@code fault}; it affects messages sent from now on (and, for a partition, streams
   * already open and messages already on their way) until healed.
   */
  public InjectedFault inject(Fault fault) {
    requireNonNull(fault, "fault");
    ActiveFault active = new ActiveFault(fault);
    faults.add(active);
    record("fault injected: " + fault);
    if (fault instanceof Fault.Partition p) {
      for (NodeSlot slot : List.copyOf(nodes.values())) {
        if (slot.current != null) {
          slot.current.breakStreamsWhere(p::separates, "network partition " + p);
        }
      }
    }
    return active;
  }

  /** Heals every injected fault. */
  public void healAll() {
    for (ActiveFault f : List.copyOf(faults)) {
      f.heal();
    }
  }

  /** Returns the faults injected and not yet healed, in injection order. */
  public List<Fault> activeFaults() {
    return faults.stream().map(f -> f.fault).toList();
  }

  /**
   * Returns the most recent events, oldest first, one per line, e.g. {@code t=1.250s mx1→mx2
   * Entries[2:3..2:5] delivered}. Older lines are discarded beyond the trace capacity; the first
   * line then says how many.
   */
  public List<String> trace() {
    List<String> lines = new ArrayList<>(trace.size() + 1);
    if (traceDropped > 0) {
      lines.add("(" + traceDropped + " earlier lines discarded; seed " + seed + ")");
    }
    lines.addAll(trace);
    return lines;
  }

  @Override
  public String toString() {
    return "SimulatedNetwork[seed "
        + seed
        + ", "
        + nodes.size()
        + " nodes, faults "
        + activeFaults()
        + "]";
  }

  // ---- used by the transports -------------------------------------------------------------

  Scheduler wire() {
    return wire;
  }

  int streamWindow() {
    return streamWindow;
  }

  long nextStreamId() {
    return nextStreamId++;
  }

  /** Returns the running incarnation serving at {@code address}, or null if none serves. */
  SimulatedTransport serving(NodeAddress address) {
    NodeSlot slot = byAddress.get(address);
    return slot == null || slot.current == null || !slot.current.serving() ? null : slot.current;
  }

  boolean partitioned(NodeId a, NodeId b) {
    for (ActiveFault f : faults) {
      if (f.fault instanceof Fault.Partition p && p.separates(a, b)) {
        return true;
      }
    }
    return false;
  }

  /** Returns the delay of one message: latency, jitter and every active delay fault. */
  long messageDelayNanos() {
    long delay = latencyNanos + (jitterNanos > 0 ? random.nextLong(jitterNanos + 1) : 0);
    for (ActiveFault f : faults) {
      if (f.fault instanceof Fault.Delay d) {
        long min = d.min().toNanos();
        long spread = d.max().toNanos() - min;
        delay += min + (spread > 0 ? random.nextLong(spread + 1) : 0);
      }
    }
    return delay;
  }

  /** The delay after which a refused connection or a broken stream is noticed. */
  long noticeDelayNanos() {
    return latencyNanos + (jitterNanos > 0 ? random.nextLong(jitterNanos + 1) : 0);
  }

  boolean rollDrop() {
    return roll(Fault.Drop.class);
  }

  private boolean roll(Class<? extends Fault> kind) {
    boolean hit = false;
    for (ActiveFault f : faults) {
      // Every matching fault draws, hit or not, so the sequence of draws depends only on the run.
      if (kind.isInstance(f.fault) && random.nextDouble() < probability(f.fault)) {
        hit = true;
      }
    }
    return hit;
  }

  private static double probability(Fault fault) {
    if (fault instanceof Fault.Drop d) {
      return d.probability();
    } else if (fault instanceof Fault.Duplicate d) {
      return d.probability();
    } else if (fault instanceof Fault.Reorder r) {
      return r.probability();
    }
    throw new IllegalArgumentException("fault " + fault + " has no probability");
  }

  /**
   * Sends one unary message from {@code from} to {@code to}, applying partitions and faults, and
   * runs {@code onArrival} on arrival (twice if duplicated). {@code onArrival} checks itself
   * whether the receiver can still take it; this method checks the partition again on arrival,
   * since one injected meanwhile loses messages on the wire.
   */
  void sendUnary(NodeId from, NodeId to, String what, boolean mayDuplicate, Runnable onArrival) {
    if (partitioned(from, to)) {
      record(from + "→" + to + " " + what + " lost (partition)");
      return;
    }
    if (rollDrop()) {
      record(from + "→" + to + " " + what + " dropped");
      return;
    }
    int copies = mayDuplicate && roll(Fault.Duplicate.class) ? 2 : 1;
    for (int copy = 1; copy <= copies; copy++) {
      String label = copy == 2 ? what + " (duplicate)" : what;
      long delay = messageDelayNanos();
      long due = Math.addExact(time.elapsed().toNanos(), delay);
      List<NodeId> link = List.of(from, to);
      if (roll(Fault.Reorder.class)) {
        // Held back beyond the in-order tail, and not moving it, so later messages may overtake.
        long extra = random.nextLong(4 * (latencyNanos + jitterNanos) + 1);
        due = Math.addExact(due, extra);
        record(from + "→" + to + " " + label + " held back " + seconds(extra));
      } else {
        due = Math.max(due, linkTail.getOrDefault(link, 0L));
        linkTail.put(link, due);
      }
      wire.schedule(
          Duration.ofNanos(due - time.elapsed().toNanos()),
          () -> {
            if (partitioned(from, to)) {
              record(from + "→" + to + " " + label + " lost (partition)");
            } else {
              onArrival.run();
            }
          });
    }
  }

  /** Adds a line to the trace, stamped with the current virtual time. */
  void record(String event) {
    if (traceCapacity == 0) {
      traceDropped++;
      return;
    }
    if (trace.size() == traceCapacity) {
      trace.removeFirst();
      traceDropped++;
    }
    trace.addLast("t=" + seconds(time.elapsed().toNanos()) + " " + event);
  }

  static ClusterException unavailable(String message) {
    return new ClusterException(ErrorCode.UNAVAILABLE, message);
  }

  static String seconds(long nanos) {
    long millis = nanos / 1_000_000;
    return String.format("%d.%03ds", millis / 1000, millis % 1000);
  }

  private NodeSlot slot(NodeId node) {
    NodeSlot slot = nodes.get(requireNonNull(node, "node"));
    if (slot == null) {
      throw new IllegalArgumentException(
          "node " + node + " has no transport on this network; known nodes: " + nodes.keySet());
    }
    return slot;
  }

  /** A node's place on the network: its address and its current incarnation, if any. */
  private static final class NodeSlot {
    final NodeId id;
    final NodeAddress address;
    SimulatedTransport current;

    NodeSlot(NodeId id, NodeAddress address) {
      this.id = id;
      this.address = address;
    }
  }

  private final class ActiveFault implements InjectedFault {
    final Fault fault;
    boolean healed;

    ActiveFault(Fault fault) {
      this.fault = fault;
    }

    @Override
    public Fault fault() {
      return fault;
    }

    @Override
    public void heal() {
      if (!healed) {
        healed = true;
        faults.remove(this);
        record("fault healed: " + fault);
      }
    }
  }

  /**
   * A fault in effect on a network, until healed.
   *
   * <pre>{@code
   * SimulatedNetwork.InjectedFault slow =
   *     network.inject(new Fault.Delay(Duration.ofSeconds(1), Duration.ofSeconds(3)));
   * time.runFor(Duration.ofSeconds(20));
   * slow.heal();
   * }</pre>
   */
  public interface InjectedFault {
    /** Returns the fault. */
    Fault fault();

    /** Ends the fault; messages sent from now on are not affected by it. Idempotent. */
    void heal();
  }

  /**
   * Configures a {@link SimulatedNetwork}.
   *
   * <pre>{@code
   * SimulatedNetwork network =
   *     SimulatedNetwork.builder(time, seed)
   *         .latency(Duration.ofMillis(20), Duration.ofMillis(10))
   *         .streamWindow(4)
   *         .traceCapacity(1_000)
   *         .build();
   * }</pre>
   */
  public static final class Builder {
    private final VirtualTime time;
    private final long seed;
    private Duration latency = DEFAULT_LATENCY;
    private Duration jitter = DEFAULT_JITTER;
    private int streamWindow = DEFAULT_STREAM_WINDOW;
    private int traceCapacity = DEFAULT_TRACE_CAPACITY;

    private Builder(VirtualTime time, long seed) {
      this.time = time;
      this.seed = seed;
    }

    /**
     * Sets every message's latency: {@code base} plus a random extra of up to {@code jitter}.
     *
     * @param base the smallest latency, zero or more
     * @param jitter the largest random extra, zero or more
     */
    public Builder latency(Duration base, Duration jitter) {
      requireNonNull(base, "base");
      requireNonNull(jitter, "jitter");
      if (base.isNegative() || jitter.isNegative()) {
        throw new IllegalArgumentException(
            "latency and jitter must be zero or more but were " + base + " and " + jitter);
      }
      this.latency = base;
      this.jitter = jitter;
      return this;
    }

    /** Sets how many messages may be in flight on a stream before it reports not ready. */
    public Builder streamWindow(int messages) {
      if (messages < 1) {
        throw new IllegalArgumentException("stream window must be 1 or more but was " + messages);
      }
      this.streamWindow = messages;
      return this;
    }

    /** Sets how many trace lines are kept; 0 keeps none. */
    public Builder traceCapacity(int lines) {
      if (lines < 0) {
        throw new IllegalArgumentException("trace capacity must be 0 or more but was " + lines);
      }
      this.traceCapacity = lines;
      return this;
    }

    /** Returns the network. */
    public SimulatedNetwork build() {
      return new SimulatedNetwork(this);
    }
  }
}
