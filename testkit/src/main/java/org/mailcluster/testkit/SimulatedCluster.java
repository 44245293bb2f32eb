package org.mailcluster.testkit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.mailcluster.ClusterService;
import org.mailcluster.ClusterServiceBuilder;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.ConfigSource;
import org.mailcluster.spi.Scheduler;

/**
 * A whole cluster in one thread on virtual time (requirement B5 in docs/REQUIREMENTS.md): real
 * {@link ClusterService} nodes over a {@link SimulatedNetwork}, each with a {@link SimulatedDisk}
 * that survives crashes. The same seed gives the same run, bit for bit; every failure message
 * carries the seed and the end of the event trace.
 *
 * <pre>{@code
 * try (SimulatedCluster cluster = SimulatedCluster.builder().nodes(3).seed(42).build()) {
 *   cluster.start();
 *   cluster.primary().update(ConfigUpdate.builder("test").setRaw(key, "v").build());
 *   var cut = cluster.inject(new Fault.Partition(Set.of(NodeId.of("mx3")), Set.of(NodeId.of("mx1"))));
 *   cluster.runFor(Duration.ofSeconds(10));
 *   cut.heal();
 *   cluster.awaitConverged(Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p>Nodes are named {@code mx1} (the primary), {@code mx2}, … and listen on port 7400 of their own
 * name. Not thread-safe: drive it from one thread.
 */
public final class SimulatedCluster implements AutoCloseable {
  private static final Instant ORIGIN = Instant.parse("2026-01-01T00:00:00Z");

  private final long seed;
  private final VirtualTime time;
  private final SimulatedNetwork network;
  private final Builder config;
  private final Map<String, SimulatedDisk> disks = new LinkedHashMap<>();
  private final Map<String, ClusterService> nodes = new LinkedHashMap<>();
  private final Map<String, Scheduler> schedulers = new LinkedHashMap<>();
  private final Map<String, ConfigSource> sources = new LinkedHashMap<>();
  private final Set<String> started = new HashSet<>();
  private final List<ClusterService> twins = new ArrayList<>();
  private final SplittableRandom random;
  private Path divergenceRoot;

  private SimulatedCluster(Builder b) {
    this.config = b;
    this.seed = b.seed;
    this.time = VirtualTime.startingAt(ORIGIN);
    this.network = SimulatedNetwork.builder(time, seed).latency(b.latency, b.jitter).build();
    this.random = new SplittableRandom(seed ^ 0x5DEECE66DL);
    for (int i = 1; i <= b.nodes; i++) {
      disks.put(id(i), SimulatedDisk.create().retainEntries(b.diskRetention));
    }
  }

  /** Returns a builder: 3 nodes, seed 1, product version {@code 1.0}, unless told otherwise. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the seed that reproduces this run. */
  public long seed() {
    return seed;
  }

  /** Returns the virtual timeline. */
  public VirtualTime time() {
    return time;
  }

  /** Returns the network, for faults and its trace. */
  public SimulatedNetwork network() {
    return network;
  }

  /** Returns the ids of all nodes, primary first. */
  public List<String> ids() {
    return List.copyOf(disks.keySet());
  }

  /**
   * Starts every node, registers the secondaries on the primary, and runs until every secondary has
   * synchronized.
   *
   * @throws AssertionError if that does not happen within a minute of virtual time
   */
  public SimulatedCluster start() {
    for (String id : disks.keySet()) {
      boot(id);
    }
    ClusterService primary = nodes.get(id(1));
    for (String id : disks.keySet()) {
      if (!id.equals(id(1))) {
        await(primary.addServer(NodeId.of(id), address(id)), Duration.ofMinutes(1));
      }
    }
    // A node configured as primary too lists mx1, as an operator who made that mistake would.
    for (String id : config.alsoPrimaries) {
      await(nodes.get(id).addServer(NodeId.of(id(1)), address(id(1))), Duration.ofMinutes(1));
    }
    for (String id : disks.keySet()) {
      await(nodes.get(id).awaitSynchronized(), Duration.ofMinutes(1));
    }
    return this;
  }

  /**
   * Returns the running primary: {@code mx1} until another node is promoted (requirement B3); while
   * a fenced-off primary has not yet learned of a newer one, the primary of the highest epoch.
   *
   * @throws IllegalStateException if no running node is primary
   */
  public ClusterService primary() {
    return node(
        currentPrimary()
            .orElseThrow(() -> new IllegalStateException("no running node is the primary")));
  }

  /** Returns the id of the running primary of the highest epoch, if any node is primary. */
  public Optional<String> currentPrimary() {
    return nodes.entrySet().stream()
        .filter(e -> e.getValue().role() == Role.PRIMARY)
        .max(Comparator.comparingLong(e -> e.getValue().diagnostics().epoch()))
        .map(Map.Entry::getKey);
  }

  /**
   * Returns the directory where a node saves divergence files (a temporary directory deleted when
   * the cluster closes).
   */
  public Path divergenceDirectory(String id) {
    requireNonNull(disks.get(id), () -> "no node '" + id + "'");
    return divergenceRoot().resolve(id);
  }

  private Path divergenceRoot() {
    if (divergenceRoot == null) {
      try {
        divergenceRoot = Files.createTempDirectory("mailcluster-sim-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return divergenceRoot;
  }

  /** Returns a running node. */
  public ClusterService node(String id) {
    ClusterService n = nodes.get(id);
    if (n == null) {
      throw new IllegalArgumentException("node '" + id + "' is not running (crashed or unknown)");
    }
    return n;
  }

  /** Returns whether a node is running. */
  public boolean isRunning(String id) {
    return nodes.containsKey(id);
  }

  /** Returns a node's disk. */
  public SimulatedDisk disk(String id) {
    return requireNonNull(disks.get(id), () -> "no node '" + id + "'");
  }

  /** Returns the config source given to a node by the builder's factory, if any. */
  public Optional<ConfigSource> configSource(String id) {
    return Optional.ofNullable(sources.get(id));
  }

  /** Cuts a node's power: its tasks stop, its streams break, its unsynced writes are lost. */
  public void crash(String id) {
    if (nodes.remove(id) == null) {
      throw new IllegalStateException("node '" + id + "' is not running");
    }
    disks.get(id).crash();
    schedulers.remove(id).close();
    network.crash(NodeId.of(id));
  }

  /** Starts a crashed node again on its disk, and returns it once it has recovered its state. */
  public ClusterService restart(String id) {
    if (nodes.containsKey(id)) {
      throw new IllegalStateException("node '" + id + "' is running; crash it first");
    }
    return boot(id);
  }

  /** Injects a network fault; heal it through the returned handle. */
  public SimulatedNetwork.InjectedFault inject(Fault fault) {
    return network.inject(fault);
  }

  /** Heals every network fault. */
  public void healAll() {
    network.healAll();
  }

  /** Runs the cluster for {@code duration} of virtual time. */
  public void runFor(Duration duration) {
    time.runFor(duration);
  }

  /** Runs until {@code future} completes and returns its value. */
  public <T> T await(CompletableFuture<T> future, Duration limit) {
    if (!time.runUntil(future::isDone, limit)) {
      throw failure("did not complete within " + limit + " of virtual time");
    }
    return future.join();
  }

  /**
   * Returns whether exactly one running node is primary and every running node has its revision and
   * content.
   */
  public boolean isConverged() {
    if (nodes.values().stream().filter(n -> n.role() == Role.PRIMARY).count() != 1) {
      return false;
    }
    ClusterService p = primary();
    ConfigSnapshot reference = p.configuration();
    for (ClusterService n : nodes.values()) {
      ConfigSnapshot s = n.configuration();
      if (!s.revision().equals(reference.revision())
          || !s.fingerprint().equals(reference.fingerprint())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Runs until every running node has converged on the primary's state.
   *
   * @throws AssertionError naming the nodes that lag, with the seed and trace, if that does not
   *     happen within {@code limit} of virtual time
   */
  public void awaitConverged(Duration limit) {
    if (!time.runUntil(this::isConverged, limit)) {
      StringBuilder sb = new StringBuilder("nodes did not converge within " + limit + ":");
      nodes.forEach(
          (id, n) ->
              sb.append("\n  ")
                  .append(id)
                  .append(" at ")
                  .append(n.configuration().revision())
                  .append(" fingerprint ")
                  .append(n.configuration().fingerprint()));
      throw failure(sb.toString());
    }
  }

  /**
   * Runs until the cluster has nothing left to do but its periodic heartbeats: every running node
   * has applied the primary's latest revision. The same as {@link #awaitConverged}; periodic tasks
   * never stop, so this is what quiescence means here.
   */
  public void runUntilQuiescent(Duration limit) {
    awaitConverged(limit);
  }

  /** Throws if a node task failed or the running nodes have not converged. */
  public void assertConverged() {
    if (!time.failures().isEmpty()) {
      AssertionError e = failure("a node task threw: " + time.failures().get(0));
      e.initCause(time.failures().get(0));
      throw e;
    }
    if (!isConverged()) {
      awaitConverged(Duration.ZERO);
    }
  }

  /** Returns a new {@link AssertionError} with the seed and the end of the trace appended. */
  public AssertionError failure(String message) {
    List<String> trace = network.trace();
    List<String> tail = trace.subList(Math.max(0, trace.size() - 40), trace.size());
    return new AssertionError(
        message
            + "\n(seed "
            + seed
            + "; rerun with this seed to reproduce; last "
            + tail.size()
            + " network events:)\n  "
            + String.join("\n  ", tail));
  }

  /**
   * Starts a second process with the id (and certificate) of node {@code id}, listening at {@code
   * at}, configured as a secondary of {@code mx1} with a state of its own, as an operator who
   * copied a node's configuration to another machine would; it is not one of {@link #ids()}.
   *
   * <pre>{@code
   * ClusterService twin = cluster.startTwin("mx2", NodeAddress.of("mx2", 7401));
   * }</pre>
   */
  public ClusterService startTwin(String id, NodeAddress at) {
    requireNonNull(disks.get(id), () -> "no node '" + id + "'");
    String slot = at.host() + "-" + at.port();
    Scheduler scheduler = time.scheduler(slot, Duration.ZERO);
    ClusterService twin =
        ClusterService.builder()
            .node(NodeId.of(id), at)
            .productVersion(config.productVersion)
            .licenceKey("licence-" + id)
            .registry(config.registry)
            .transport(network.presenting(NodeId.of(slot), at, NodeId.of(id)))
            .stateStore(SimulatedDisk.create().open())
            .scheduler(scheduler)
            .random(random.split())
            .heartbeatInterval(config.heartbeatInterval)
            .divergenceDirectory(divergenceRoot().resolve(slot))
            .resolver(a -> List.of(InetAddress.getLoopbackAddress()))
            .storageExecutor(Runnable::run)
            .secondaryOf(address(id(1)))
            .build();
    await(twin.start(), Duration.ofMinutes(1));
    twins.add(twin);
    return twin;
  }

  /** Closes every running node. */
  @Override
  public void close() {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    nodes.values().forEach(n -> closing.add(n.closeAsync()));
    twins.forEach(n -> closing.add(n.closeAsync()));
    twins.clear();
    time.runUntil(
        () -> closing.stream().allMatch(CompletableFuture::isDone), Duration.ofMinutes(1));
    nodes.clear();
    if (divergenceRoot != null) {
      try (var files = Files.walk(divergenceRoot)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("could not delete " + divergenceRoot, e);
      }
      divergenceRoot = null;
    }
  }

  private ClusterService boot(String id) {
    Scheduler scheduler = time.scheduler(id, config.skews.getOrDefault(id, Duration.ZERO));
    NodeId nodeId = NodeId.of(id);
    var transport =
        started.add(id) ? network.transport(nodeId, address(id)) : network.restart(nodeId);
    ClusterServiceBuilder b =
        ClusterService.builder()
            .node(nodeId, address(id))
            .productVersion(config.productVersion)
            .licenceKey("licence-" + id)
            .registry(config.registry)
            .transport(transport)
            .stateStore(disks.get(id).open())
            .scheduler(scheduler)
            .random(random.split())
            .heartbeatInterval(config.heartbeatInterval)
            .snapshotInterval(config.snapshotInterval)
            .divergenceDirectory(divergenceDirectory(id))
            .historyRetention(config.historyEntries, config.historyAge)
            // Simulated hosts have no DNS: every name resolves to a loopback address.
            .resolver(a -> List.of(InetAddress.getLoopbackAddress()))
            // File operations on shared storage stay on the node's virtual thread.
            .storageExecutor(Runnable::run);
    b =
        id.equals(id(1)) || config.alsoPrimaries.contains(id)
            ? b.primary()
            : b.secondaryOf(address(config.configuredPrimaries.getOrDefault(id, id(1))));
    if (config.configSources != null) {
      ConfigSource source = sources.computeIfAbsent(id, config.configSources);
      b = b.configSource(source);
    }
    if (config.nodeOptions != null) {
      b = config.nodeOptions.apply(id, b);
    }
    ClusterService node = b.build();
    schedulers.put(id, scheduler);
    // Recovery runs as the node's first task; the node counts as running (and is observable)
    // only once it has its durable state.
    await(node.start(), Duration.ofMinutes(1));
    nodes.put(id, node);
    return node;
  }

  private static String id(int i) {
    return "mx" + i;
  }

  private static NodeAddress address(String id) {
    return NodeAddress.of(id, NodeAddress.DEFAULT_PORT);
  }

  /** Configures a {@link SimulatedCluster}. */
  public static final class Builder {
    private int nodes = 3;
    private long seed = 1;
    private String productVersion = "1.0";
    private SettingsRegistry registry = SettingsRegistry.create();
    private Duration heartbeatInterval = Duration.ofSeconds(1);
    private int snapshotInterval = 1000;
    private int diskRetention = 1000;
    private int historyEntries = 1000;
    private Duration historyAge = Duration.ofDays(90);
    private Function<String, ConfigSource> configSources;
    private BiFunction<String, ClusterServiceBuilder, ClusterServiceBuilder> nodeOptions;
    private final Map<String, Duration> skews = new LinkedHashMap<>();
    private final Set<String> alsoPrimaries = new LinkedHashSet<>();
    private final Map<String, String> configuredPrimaries = new LinkedHashMap<>();
    private Duration latency = SimulatedNetwork.DEFAULT_LATENCY;
    private Duration jitter = SimulatedNetwork.DEFAULT_JITTER;

    private Builder() {}

    /** Sets every message's network latency: {@code base} plus up to {@code jitter} at random. */
    public Builder latency(Duration base, Duration jitter) {
      this.latency = requireNonNull(base, "base");
      this.jitter = requireNonNull(jitter, "jitter");
      return this;
    }

    /** Sets the number of nodes, 1 to 16 (one primary, the rest secondaries). */
    public Builder nodes(int count) {
      if (count < 1 || count > 16) {
        throw new IllegalArgumentException("nodes must be 1 to 16 but was " + count);
      }
      this.nodes = count;
      return this;
    }

    /** Sets the seed of every random choice in the run. */
    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    /** Sets the product version every node reports. */
    public Builder productVersion(String value) {
      this.productVersion = requireNonNull(value, "productVersion");
      return this;
    }

    /** Sets the settings registry all nodes share. */
    public Builder registry(SettingsRegistry value) {
      this.registry = requireNonNull(value, "registry");
      return this;
    }

    /** Sets the primary's heartbeat interval. */
    public Builder heartbeatInterval(Duration value) {
      this.heartbeatInterval = requireNonNull(value, "heartbeatInterval");
      return this;
    }

    /** Sets after how many commits the primary stores a snapshot (small values trim the log). */
    public Builder snapshotInterval(int commits) {
      this.snapshotInterval = commits;
      return this;
    }

    /**
     * Sets how many log entries behind a snapshot each node's disk keeps (1000 by default; 0 trims
     * every entry a snapshot covers, so that catching up needs a snapshot more often).
     */
    public Builder diskRetention(int entries) {
      if (entries < 0) {
        throw new IllegalArgumentException("disk retention must be 0 or more but was " + entries);
      }
      this.diskRetention = entries;
      return this;
    }

    /** Sets how much configuration history each node keeps (1000 revisions, 90 days by default). */
    public Builder historyRetention(int entries, Duration age) {
      this.historyEntries = entries;
      this.historyAge = requireNonNull(age, "age");
      return this;
    }

    /**
     * Gives each node a config source made by {@code factory} from its id (kept across restarts).
     */
    public Builder configSources(Function<String, ConfigSource> factory) {
      this.configSources = requireNonNull(factory, "factory");
      return this;
    }

    /**
     * Sets more options of each node's builder (for example its screening policy or certificate
     * directory), given the node's id; applied on every start and restart.
     *
     * <pre>{@code
     * .nodeOptions((id, b) -> b.screeningPolicy(ScreeningPolicy.REPLAY))
     * }</pre>
     */
    public Builder nodeOptions(
        BiFunction<String, ClusterServiceBuilder, ClusterServiceBuilder> options) {
      this.nodeOptions = requireNonNull(options, "options");
      return this;
    }

    /**
     * Configures node {@code id} as a primary too, beside {@code mx1}: the operator's mistake that
     * makes two primaries of one epoch (split brain). On {@link #start()} it registers {@code mx1}
     * and {@code mx1} registers it, as every other node.
     */
    public Builder alsoPrimary(String id) {
      requireNonNull(id, "id");
      if (id.equals(id(1))) {
        throw new IllegalArgumentException(id + " is the primary already");
      }
      alsoPrimaries.add(id);
      return this;
    }

    /**
     * Configures secondary {@code id} with {@code primary}'s address as the primary to join ({@code
     * mx1} unless told otherwise), e.g. another secondary's, as a configuration mistake.
     */
    public Builder secondaryOf(String id, String primary) {
      configuredPrimaries.put(requireNonNull(id, "id"), requireNonNull(primary, "primary"));
      return this;
    }

    /** Sets a node's clock skew: its wall clock runs {@code skew} ahead (or behind). */
    public Builder clockSkew(String id, Duration skew) {
      skews.put(requireNonNull(id, "id"), requireNonNull(skew, "skew"));
      return this;
    }

    /** Builds the cluster (not yet started). */
    public SimulatedCluster build() {
      return new SimulatedCluster(this);
    }
  }
}
