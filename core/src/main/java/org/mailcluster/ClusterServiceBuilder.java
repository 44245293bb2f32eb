package org.mailcluster;

import static java.util.Objects.requireNonNull;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;
import org.mailcluster.clock.ClockOptions;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.config.StateLimits;
import org.mailcluster.internal.node.NodeSettings;
import org.mailcluster.internal.node.Nodes;
import org.mailcluster.internal.services.ServiceOptions;
import org.mailcluster.membership.HostResolver;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.SharedStorage;
import org.mailcluster.runtime.StorageExecutors;
import org.mailcluster.screening.ScreeningPolicy;
import org.mailcluster.spi.ConfigSource;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.spi.StateStore;
import org.mailcluster.storage.FileStateStore;
import org.mailcluster.transport.ClusterTransport;

/**
 * Builds a {@link ClusterService}. Each property may be set once; the node id, role, product
 * version, licence key, transport, state store and scheduler are required. The built service owns
 * the transport, the store, the config source and the scheduler, and closes them when it closes.
 *
 * <pre>{@code
 * ClusterService primary =
 *     ClusterService.builder()
 *         .node(NodeId.of("mx1"), NodeAddress.parse("mx1:7400"))
 *         .primary()
 *         .productVersion("23.5.2")
 *         .licenceKey(licenceKey)
 *         .transport(transport)
 *         .stateStore(store)
 *         .scheduler(SystemScheduler.create("mx1"))
 *         .configSource(iniFiles) // optional
 *         .build();
 * }</pre>
 */
public final class ClusterServiceBuilder {
  private NodeId id;
  private NodeAddress address;
  private Role role;
  private NodeAddress primaryAddress;
  private String productVersion;
  private String licenceFingerprint;
  private SettingsRegistry registry;
  private ClusterTransport transport;
  private StateStore store;
  private Scheduler scheduler;
  private ConfigSource configSource;
  private RandomGenerator random;
  private Duration heartbeatInterval;
  private Duration callDeadline;
  private Integer snapshotInterval;
  private HostResolver resolver;
  private ScreeningPolicy screeningPolicy;
  private Integer mailEventBuffer;
  private Path certificateDirectory;
  private Integer historyEntries;
  private Duration historyAge;
  private Path divergenceDirectory;
  private ClockOptions clock;
  private ZoneId zone;
  private SharedStorage sharedStorage;
  private Executor storageExecutor;
  private StateLimits limits;

  ClusterServiceBuilder() {}

  /** Sets this node's id and the address it listens on. */
  public ClusterServiceBuilder node(NodeId nodeId, NodeAddress listenAddress) {
    requireNonNull(nodeId, "nodeId");
    requireNonNull(listenAddress, "listenAddress");
    checkUnset(id, "node");
    this.id = nodeId;
    this.address = listenAddress;
    return this;
  }

  /** Makes this node the primary. */
  public ClusterServiceBuilder primary() {
    checkUnset(role, "role");
    this.role = Role.PRIMARY;
    return this;
  }

  /** Makes this node a secondary of the primary at {@code primary}. */
  public ClusterServiceBuilder secondaryOf(NodeAddress primary) {
    requireNonNull(primary, "primary");
    checkUnset(role, "role");
    this.role = Role.SECONDARY;
    this.primaryAddress = primary;
    return this;
  }

  /**
   * Sets the mail server's version; every node must run the same one (requirement R9 in
   * docs/REQUIREMENTS.md).
   */
  public ClusterServiceBuilder productVersion(String version) {
    requireNonNull(version, "version");
    checkUnset(productVersion, "product version");
    if (version.isBlank()) {
      throw new IllegalArgumentException("product version must not be blank");
    }
    this.productVersion = version;
    return this;
  }

  /**
   * Sets this node's licence key. Only a SHA-256 fingerprint of it is kept and sent, never the key
   * (requirement R10).
   */
  public ClusterServiceBuilder licenceKey(String key) {
    requireNonNull(key, "key");
    checkUnset(licenceFingerprint, "licence key");
    if (key.isBlank()) {
      throw new IllegalArgumentException("licence key must not be blank");
    }
    this.licenceFingerprint = Hashing.sha256().hashString(key, StandardCharsets.UTF_8).toString();
    return this;
  }

  /** Sets the settings registry; an empty one if never set. */
  public ClusterServiceBuilder registry(SettingsRegistry value) {
    requireNonNull(value, "registry");
    checkUnset(registry, "registry");
    this.registry = value;
    return this;
  }

  /** Sets the transport. */
  public ClusterServiceBuilder transport(ClusterTransport value) {
    requireNonNull(value, "transport");
    checkUnset(transport, "transport");
    this.transport = value;
    return this;
  }

  /** Sets the durable state store. */
  public ClusterServiceBuilder stateStore(StateStore value) {
    requireNonNull(value, "stateStore");
    checkUnset(store, "state store");
    this.store = value;
    return this;
  }

  /** Sets the scheduler that is the node's clock and single logical thread. */
  public ClusterServiceBuilder scheduler(Scheduler value) {
    requireNonNull(value, "scheduler");
    checkUnset(scheduler, "scheduler");
    this.scheduler = value;
    return this;
  }

  /** Binds the host's configuration files (for example a directory of INI files). */
  public ClusterServiceBuilder configSource(ConfigSource value) {
    requireNonNull(value, "configSource");
    checkUnset(configSource, "config source");
    this.configSource = value;
    return this;
  }

  /**
   * Sets the random source for retry jitter and mail event ids; a {@link SecureRandom} if never
   * set.
   */
  public ClusterServiceBuilder random(RandomGenerator value) {
    requireNonNull(value, "random");
    checkUnset(random, "random");
    this.random = value;
    return this;
  }

  /** Sets how often the primary sends heartbeats on idle streams; 1 s if never set. */
  public ClusterServiceBuilder heartbeatInterval(Duration value) {
    requireNonNull(value, "heartbeatInterval");
    checkUnset(heartbeatInterval, "heartbeat interval");
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("heartbeat interval must be positive but was " + value);
    }
    this.heartbeatInterval = value;
    return this;
  }

  /** Sets the deadline of calls to peers; 5 s if never set. */
  public ClusterServiceBuilder callDeadline(Duration value) {
    requireNonNull(value, "callDeadline");
    checkUnset(callDeadline, "call deadline");
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("call deadline must be positive but was " + value);
    }
    this.callDeadline = value;
    return this;
  }

  /**
   * Sets after how many commits the primary stores a snapshot, which lets the store trim its log;
   * 1000 if never set. Secondaries further behind than the log reaches catch up by snapshot.
   */
  public ClusterServiceBuilder snapshotInterval(int commits) {
    checkUnset(snapshotInterval, "snapshot interval");
    if (commits < 1) {
      throw new IllegalArgumentException("snapshot interval must be 1 or more but was " + commits);
    }
    this.snapshotInterval = commits;
    return this;
  }

  /**
   * Sets how large a value, a host file, a revision and the whole state may be; {@link
   * StateLimits#defaults()} if never set (1 MiB, 8 MiB, 32 MiB and 128 MiB). The primary refuses a
   * change over a limit with {@code LIMIT_EXCEEDED} and commits nothing of it. Give every node the
   * same limits: a secondary applies what its primary committed whatever its own limits.
   *
   * <pre>{@code
   * builder.limits(StateLimits.defaults().withValueChars(4L << 20));
   * }</pre>
   */
  public ClusterServiceBuilder limits(StateLimits value) {
    requireNonNull(value, "limits");
    checkUnset(limits, "limits");
    this.limits = value;
    return this;
  }

  /**
   * Sets how {@link ClusterService#addServer} checks that a server's name resolves; the operating
   * system's resolver if never set.
   */
  public ClusterServiceBuilder resolver(HostResolver value) {
    requireNonNull(value, "resolver");
    checkUnset(resolver, "resolver");
    this.resolver = value;
    return this;
  }

  /**
   * Sets what a secondary does with the screening changes it made while the primary was away:
   * {@link ScreeningPolicy#OVERWRITE} (discard them) if never set.
   */
  public ClusterServiceBuilder screeningPolicy(ScreeningPolicy value) {
    requireNonNull(value, "screeningPolicy");
    checkUnset(screeningPolicy, "screening policy");
    this.screeningPolicy = value;
    return this;
  }

  /**
   * Sets how many mail events wait for each unreachable node before the oldest is dropped; 10 000
   * if never set.
   */
  public ClusterServiceBuilder mailEventBuffer(int events) {
    checkUnset(mailEventBuffer, "mail event buffer");
    if (events < 1) {
      throw new IllegalArgumentException("mail event buffer must be 1 or more but was " + events);
    }
    this.mailEventBuffer = events;
    return this;
  }

  /**
   * Sets how much configuration history each node keeps (requirement B1): at most {@code entries}
   * revisions, none older than {@code age}; 1000 revisions and 90 days if never set. History
   * survives a restart as far as the state store's log still holds it, so give the store at least
   * as many retained entries (FileStateStore keeps 10 000 by default).
   *
   * <pre>{@code
   * builder.historyRetention(5_000, Duration.ofDays(30));
   * }</pre>
   */
  public ClusterServiceBuilder historyRetention(int entries, Duration age) {
    requireNonNull(age, "age");
    checkUnset(historyEntries, "history retention");
    if (entries < 0) {
      throw new IllegalArgumentException("history entries must be 0 or more but was " + entries);
    }
    if (age.isNegative()) {
      throw new IllegalArgumentException("history age must not be negative but was " + age);
    }
    this.historyEntries = entries;
    this.historyAge = age;
    return this;
  }

  /**
   * Sets the directory where this node writes the cluster's certificates (owner-only files,
   * replaced atomically); if never set, certificates are checked but not written.
   */
  public ClusterServiceBuilder certificateDirectory(Path value) {
    requireNonNull(value, "certificateDirectory");
    checkUnset(certificateDirectory, "certificate directory");
    this.certificateDirectory = value;
    return this;
  }

  /**
   * Sets where a former primary saves the revisions the new primary never received (promotion,
   * requirement B3); the state store's directory if it is a {@code FileStateStore}, otherwise
   * {@code mailcluster-divergence} in the working directory, if never set.
   */
  public ClusterServiceBuilder divergenceDirectory(Path directory) {
    requireNonNull(directory, "directory");
    checkUnset(divergenceDirectory, "divergence directory");
    this.divergenceDirectory = directory;
    return this;
  }

  /**
   * Sets how this node checks its peers' clocks (requirement R26); {@link ClockOptions#defaults()}
   * if never set: warn beyond 1 s of drift, sample every minute and at join.
   */
  public ClusterServiceBuilder clockCheck(ClockOptions value) {
    requireNonNull(value, "clockCheck");
    checkUnset(clock, "clock check");
    this.clock = value;
    return this;
  }

  /**
   * Sets this node's time zone, compared with every peer's (requirement R26); the JVM's default
   * zone if never set.
   */
  public ClusterServiceBuilder timeZone(ZoneId value) {
    requireNonNull(value, "timeZone");
    checkUnset(zone, "time zone");
    this.zone = value;
    return this;
  }

  /**
   * Sets the shared storage this node must reach (requirements R5, R12 and R27): the shared-storage
   * preflight then runs once this node is synchronized and on {@link ClusterService#preflight()}.
   * Without it, the preflight reports that no shared storage is configured.
   */
  public ClusterServiceBuilder sharedStorage(SharedStorage value) {
    requireNonNull(value, "sharedStorage");
    checkUnset(sharedStorage, "shared storage");
    this.sharedStorage = value;
    return this;
  }

  /**
   * Sets where the shared-storage preflight's file operations run: writing, locking, reading and
   * deleting probe files on the shared paths. Network storage can hang (a hard-mounted NFS share
   * whose server is gone blocks until it returns), so these operations never run on the node's own
   * thread, which keeps replicating meanwhile. By default they run on {@link
   * StorageExecutors#shared()}, daemon threads shared by the nodes of this JVM; a simulation passes
   * {@code Runnable::run} to keep them on its virtual clock.
   *
   * <pre>{@code
   * builder.sharedStorage(storage).storageExecutor(hostBlockingExecutor);
   * }</pre>
   *
   * <p>Unlike most settings this one may be set again, the last call winning, so that a test
   * harness can choose a default that a test then overrides.
   */
  public ClusterServiceBuilder storageExecutor(Executor value) {
    requireNonNull(value, "storageExecutor");
    this.storageExecutor = value;
    return this;
  }

  /**
   * Builds the service (not yet started).
   *
   * @throws IllegalStateException naming the first required property that is missing
   */
  public ClusterService build() {
    require(id, "node (id and address)");
    require(role, "role (primary() or secondaryOf(...))");
    require(productVersion, "product version");
    require(licenceFingerprint, "licence key");
    require(transport, "transport");
    require(store, "state store");
    require(scheduler, "scheduler");
    NodeSettings settings =
        new NodeSettings(
            id,
            address,
            role,
            Optional.ofNullable(primaryAddress),
            productVersion,
            licenceFingerprint,
            registry == null ? SettingsRegistry.create() : registry,
            Optional.ofNullable(configSource),
            random == null ? new SecureRandom() : random,
            heartbeatInterval == null ? Duration.ofSeconds(1) : heartbeatInterval,
            callDeadline == null ? Duration.ofSeconds(5) : callDeadline,
            snapshotInterval == null ? 1000 : snapshotInterval,
            resolver == null ? HostResolver.system() : resolver,
            new ServiceOptions(
                screeningPolicy == null ? ScreeningPolicy.OVERWRITE : screeningPolicy,
                mailEventBuffer == null
                    ? ServiceOptions.DEFAULT_MAIL_EVENT_BUFFER
                    : mailEventBuffer,
                Optional.ofNullable(certificateDirectory)),
            historyEntries == null ? 1000 : historyEntries,
            historyAge == null ? Duration.ofDays(90) : historyAge,
            divergenceDirectory != null
                ? divergenceDirectory
                : store instanceof FileStateStore f
                    ? f.directory()
                    : Path.of("mailcluster-divergence"),
            clock == null ? ClockOptions.defaults() : clock,
            zone == null ? ZoneId.systemDefault() : zone,
            Optional.ofNullable(sharedStorage),
            storageExecutor == null ? StorageExecutors.shared() : storageExecutor,
            limits == null ? StateLimits.defaults() : limits);
    return Nodes.create(settings, transport, store, scheduler);
  }

  private static void require(Object value, String what) {
    if (value == null) {
      throw new IllegalStateException("cluster service needs a " + what);
    }
  }

  private static void checkUnset(Object current, String property) {
    if (current != null) {
      throw new IllegalStateException(property + " was already set to '" + current + "'");
    }
  }
}
