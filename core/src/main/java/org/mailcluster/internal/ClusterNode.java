package org.mailcluster.internal;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterListener;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.Diagnostics;
import org.mailcluster.DivergenceReport;
import org.mailcluster.ErrorCode;
import org.mailcluster.NodeService;
import org.mailcluster.PromotionOptions;
import org.mailcluster.Role;
import org.mailcluster.access.WriteGate;
import org.mailcluster.admin.ClusterOptions;
import org.mailcluster.certificates.Certificates;
import org.mailcluster.clock.ClockState;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.config.Scope;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.constraints.ClusterConstraints;
import org.mailcluster.constraints.ConstraintChange;
import org.mailcluster.constraints.ConstraintReport;
import org.mailcluster.events.MailEvents;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.PreflightReport;
import org.mailcluster.routing.RoutingPlan;
import org.mailcluster.screening.DynamicScreening;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.spi.StateStore;
import org.mailcluster.transport.ClusterTransport;
import org.mailcluster.transport.InboundHandler;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.ServerStream;
import org.mailcluster.transport.StreamObserver;
import org.mailcluster.transport.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One node's deterministic state machine (DESIGN §3–§4). Every field below the constructor is
 * touched only on the scheduler's logical thread, except the volatile ones that other threads read;
 * host calls and transport callbacks hop onto that thread before doing anything.
 *
 * <p>Invariants: {@code committed} is always a state that is durable in the store (on the primary:
 * appended; on a secondary: appended or installed by {@code resetTo}); {@code tip} is {@code
 * committed} plus the commits of the current group, which become visible only once the group is
 * durable; a revision is acknowledged to its caller only after that.
 *
 * <p>The role can change at run time (SPEC B3): a secondary becomes primary by {@link #promote},
 * and a primary that meets a higher epoch becomes a secondary ({@code fenced}). Both are durable
 * (metadata {@code role} and {@code epoch.highest}), so periodic tasks of both roles run on every
 * node and check the current role. History, epoch records and divergence files are in {@link
 * History}, {@link EpochLineage} and {@link DivergenceFile}.
 */
public final class ClusterNode implements ClusterService, InboundHandler {
  /** The wire protocol version this node speaks. */
  public static final int PROTOCOL_VERSION = 1;

  private static final Logger clusterLog = LoggerFactory.getLogger("mailcluster.cluster");
  private static final Logger replicationLog = LoggerFactory.getLogger("mailcluster.replication");
  private static final String EPOCH_METADATA = "epoch.highest";
  // Promotion and fencing (SPEC B3): the role this node last took, the highest epoch it granted to
  // a candidate, and the head it had when it was fenced off, until its divergence is saved.
  private static final String ROLE_METADATA = "role";
  private static final String PROMISED_METADATA = "epoch.promised";
  private static final String DIVERGENCE_METADATA = "divergence.pending";
  private static final String HISTORY_BASE_METADATA = "history.base";
  static final String STATUS_SERVICE = "mailcluster.status";
  static final String PROMISE_SERVICE = "mailcluster.promise";
  static final String RESYNC_SERVICE = "mailcluster.resync";
  private static final String INSTALLED = "installed ";
  private static final int ENTRIES_PER_MESSAGE = 256;
  private static final int KEYS_PER_SNAPSHOT_CHUNK = 1024;
  private static final int RECENT_ENTRIES = 4096;
  private static final int RECENT_EVENTS = 50;
  private static final Duration RETRY_BASE = Duration.ofMillis(200);
  private static final long ACK_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final Duration RETRY_MAX = Duration.ofSeconds(30);

  private final NodeSettings settings;
  private final ClusterTransport transport;
  private final StateStore store;
  private final Scheduler scheduler;
  private final List<ClusterListener> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> synced = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  private volatile ConfigSnapshot committed = ConfigSnapshot.empty();
  private volatile Diagnostics diagnostics;
  private volatile boolean closing;
  private volatile Role role;
  private long epoch;
  private long promisedEpoch;
  private final History history;
  private final List<DivergenceReport> divergences = new CopyOnWriteArrayList<>();
  private ConfigSnapshot tip = ConfigSnapshot.empty();
  private boolean started;

  // Primary: the current commit group and the recent log for streaming.
  private final List<PendingCommit> group = new ArrayList<>();
  private boolean flushScheduled;
  private final Deque<LogEntry> recent = new ArrayDeque<>();
  private Revision recentBase = Revision.INITIAL;
  private final Map<NodeId, Subscriber> subscribers = new LinkedHashMap<>();
  private final Map<NodeId, Revision> acknowledged = new HashMap<>();
  private int commitsSinceSnapshot;
  // Primary: secondaries an operator or a fingerprint mismatch asked to resync, and who waits.
  private final Set<NodeId> resyncRequested = new HashSet<>();
  private final Map<NodeId, List<CompletableFuture<Void>>> resyncWaiters = new HashMap<>();
  // Secondary: callers of resync(self), until the next snapshot is installed.
  private final List<CompletableFuture<Void>> selfResyncWaiters = new ArrayList<>();

  // Secondary: the link to the primary.
  private volatile PeerChannel toPrimary;
  private PeerChannel.Subscription subscription;
  private long streamGeneration;
  private volatile Optional<NodeId> primaryId = Optional.empty();
  // Named services other nodes call, and channels this node opened to call theirs.
  private final Map<String, NodeService> services = new ConcurrentHashMap<>();
  private final Map<NodeAddress, PeerChannel> serviceChannels = new ConcurrentHashMap<>();
  private Revision primaryLatest;
  private int failedAttempts;
  // Whether this outage of the primary was already reported in the cluster log (once per outage).
  private boolean unreachableReported;
  private Instant lastHeard = Instant.EPOCH;
  private Instant lastAckAt = Instant.EPOCH;
  // Acknowledgements of applied entries are coalesced: at most one per ACK_INTERVAL, each for the
  // newest applied revision. A burst of commits then costs the primary one acknowledgement per
  // interval per secondary rather than one per message, and the lag in diagnostics is at most
  // one interval stale.
  private long lastAckNanos;
  private boolean ackSent;
  private boolean ackScheduled;
  // Which server to join: the last that accepted, else the configured primary, then the others.
  private final Map<NodeAddress, PeerChannel> joinChannels = new HashMap<>();
  private NodeAddress preferredPrimary;
  private int joinRotation;
  private boolean promoting;
  private PendingDivergence pendingDivergence;
  private TreeMap<String, String> incomingSnapshot;
  private int incomingChunk;
  private final Deque<Diagnostics.Event> events = new ArrayDeque<>();
  // Diagnostics are refreshed after every event; member records are parsed again only when a
  // member key changed, not on every revision.
  private ConfigSnapshot membersParsedFrom = ConfigSnapshot.empty();
  private List<Member> membersParsed = List.of();
  // The cluster services built on this node (mail events, screening, certificates, ...).
  private final NodeServices builtIn;
  // Clock and shared-storage checks (their own class; the node only drives them).
  private final NodeChecks checks;

  /** Creates a node; see {@link org.mailcluster.ClusterServiceBuilder}. */
  public ClusterNode(
      NodeSettings settings, ClusterTransport transport, StateStore store, Scheduler scheduler) {
    this.settings = requireNonNull(settings, "settings");
    this.transport = requireNonNull(transport, "transport");
    this.store = requireNonNull(store, "store");
    this.scheduler = requireNonNull(scheduler, "scheduler");
    this.role = settings.role();
    this.builtIn = new NodeServices(this, settings, scheduler);
    this.history = new History(settings.historyEntries(), settings.historyAge());
    this.preferredPrimary = settings.primaryAddress().orElse(null);
    services.put(STATUS_SERVICE, (from, payload) -> CompletableFuture.completedFuture(status()));
    services.put(PROMISE_SERVICE, this::grantEpoch);
    services.put(RESYNC_SERVICE, this::serveResync);
    this.checks = new NodeChecks(this, settings, scheduler);
    checks.registerServices();
    refreshDiagnostics();
  }

  // ---- host API ------------------------------------------------------------------------

  @Override
  public CompletableFuture<Void> start() {
    return onLoop(
        () -> {
          if (started) {
            throw new IllegalStateException("node " + settings.id() + " was already started");
          }
          started = true;
          recover();
          transport.start(this);
          transport.advertise(role);
          clusterLog.info(
              "node {} started as {} at revision {}, epoch {}, listening on {}",
              settings.id(),
              role,
              committed.revision(),
              epoch,
              transport.localAddress());
          if (role == Role.PRIMARY) {
            startPrimary();
          } else {
            startSecondary();
          }
          builtIn.start();
          scheduleHeartbeat();
          scheduleLivenessCheck();
          scheduleEpochProbe();
          startChecks();
          refreshDiagnostics();
          return CompletableFuture.completedFuture(null);
        });
  }

  private void startChecks() {
    if (!settings.clock().interval().isZero()) {
      every(settings.clock().interval(), checks::clockRound);
    }
    // Clocks and storage are checked once the node has the cluster's state (and so its list of
    // servers): for a secondary, that is its join.
    synced.thenRun(
        () ->
            scheduler.execute(
                () -> {
                  if (!closing) {
                    withMdc(checks::clockRound);
                    if (settings.sharedStorage().isPresent()) {
                      withMdc(checks::preflight);
                    }
                  }
                }));
  }

  @Override
  public CompletableFuture<PreflightReport> preflight() {
    return onLoop(checks::preflight);
  }

  @Override
  public CompletableFuture<List<ClockState>> checkClocks() {
    return onLoop(checks::clockRound);
  }

  @Override
  public NodeId nodeId() {
    return settings.id();
  }

  @Override
  public Role role() {
    return role;
  }

  @Override
  public SettingsRegistry registry() {
    return settings.registry();
  }

  @Override
  public ConfigSnapshot configuration() {
    return committed;
  }

  @Override
  public CompletableFuture<Revision> update(ConfigUpdate update) {
    requireNonNull(update, "update");
    return onLoop(() -> commit(update.origin(), update.changes()));
  }

  @Override
  public CompletableFuture<Revision> addServer(NodeId id, NodeAddress address) {
    requireNonNull(id, "id");
    requireNonNull(address, "address");
    try {
      // On the caller's thread: a lookup may block, and the node's loop must not.
      if (settings.resolver().resolve(address).isEmpty()) {
        throw new java.net.UnknownHostException(address.host());
      }
    } catch (java.io.IOException e) {
      return CompletableFuture.failedFuture(
          new ClusterException(
              ErrorCode.UNAVAILABLE,
              "server "
                  + id
                  + " at "
                  + address
                  + " cannot be found ("
                  + e.getMessage()
                  + "): check the name, or give its IP address",
              e));
    }
    return onLoop(
        () -> {
          checkPrimary();
          if (id.equals(settings.id())) {
            throw new IllegalArgumentException("node " + id + " is this primary itself");
          }
          Optional<MemberRecord> existing = member(id);
          MemberRecord record =
              existing
                  .filter(r -> r.address().equals(address.toString()))
                  .orElse(new MemberRecord(address.toString(), Role.SECONDARY, null, null));
          return commit(
              "membership:add " + id,
              Map.of(MemberRecord.stateKey(id), Optional.of(record.toJson())));
        });
  }

  @Override
  public CompletableFuture<Revision> removeServer(NodeId id) {
    requireNonNull(id, "id");
    return onLoop(
        () -> {
          checkPrimary();
          if (id.equals(settings.id())) {
            throw new IllegalArgumentException("the primary " + id + " cannot remove itself");
          }
          Subscriber s = subscribers.remove(id);
          if (s != null) {
            s.stream.fail(
                new ClusterException(
                    ErrorCode.PERMISSION_DENIED, id + " was removed from the cluster"));
          }
          acknowledged.remove(id);
          return commit(
              "membership:remove " + id, Map.of(MemberRecord.stateKey(id), Optional.empty()));
        });
  }

  @Override
  public List<Member> members() {
    return members(committed);
  }

  @Override
  public CompletableFuture<Void> awaitSynchronized() {
    return synced.copy();
  }

  @Override
  public void addListener(ClusterListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  @Override
  public Optional<NodeId> primary() {
    return role == Role.PRIMARY ? Optional.of(settings.id()) : primaryId;
  }

  @Override
  public Diagnostics diagnostics() {
    Diagnostics d = diagnostics;
    List<Diagnostics.MemberState> fresh = new ArrayList<>(d.members().size());
    PeerChannel primaryChannel = toPrimary;
    for (Diagnostics.MemberState m : d.members()) {
      Optional<Duration> rtt = Optional.empty();
      if (!m.connection().equals("self")) {
        PeerChannel c = serviceChannels.get(NodeAddress.parse(m.address()));
        if (c == null && primaryChannel != null && d.primary().equals(Optional.of(m.id()))) {
          c = primaryChannel;
        }
        rtt = c == null ? Optional.empty() : c.roundTrip();
      }
      fresh.add(m.withRoundTrip(rtt));
    }
    return d.withMembers(fresh);
  }

  @Override
  public MailEvents mailEvents() {
    return builtIn.mailEvents;
  }

  @Override
  public DynamicScreening screening() {
    return builtIn.screening;
  }

  @Override
  public Certificates certificates() {
    return builtIn.certificates;
  }

  @Override
  public ClusterConstraints constraints() {
    return builtIn.constraints;
  }

  @Override
  public WriteGate writeGate() {
    return builtIn.writeGate;
  }

  @Override
  public RoutingPlan routing() {
    return builtIn.routing();
  }

  @Override
  public ClusterOptions options() {
    return builtIn.options();
  }

  @Override
  public void close(Duration timeout) {
    closeAsync();
    try {
      closed.get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      clusterLog.warn("node {} did not close within {}: {}", settings.id(), timeout, e.toString());
    }
  }

  @Override
  public CompletableFuture<Void> closeAsync() {
    if (closing) {
      return closed.copy();
    }
    closing = true;
    scheduler.execute(
        () -> {
          try {
            builtIn.close();
            if (!group.isEmpty()) {
              flush();
            }
            if (subscription != null) {
              subscription.cancel();
            }
            for (Subscriber s : subscribers.values()) {
              s.stream.complete();
            }
            subscribers.clear();
            joinChannels.values().forEach(PeerChannel::close);
            joinChannels.clear();
            serviceChannels.values().forEach(PeerChannel::close);
            serviceChannels.clear();
            transport.close();
            settings.configSource().ifPresent(c -> c.close());
            store.close();
            clusterLog.info("node {} closed at revision {}", settings.id(), committed.revision());
          } catch (RuntimeException e) {
            clusterLog.error("node {} did not close cleanly", settings.id(), e);
          } finally {
            synced.completeExceptionally(
                new ClusterException(ErrorCode.UNAVAILABLE, "node " + settings.id() + " closed"));
            closed.complete(null);
            scheduler.close();
          }
        });
    return closed.copy();
  }

  // ---- start and recovery --------------------------------------------------------------

  private void recover() {
    StateStore.Recovered r = store.recover();
    for (String repair : r.repairs()) {
      warn("state store repaired on start: " + repair);
    }
    committed = r.replay();
    tip = committed;
    recentBase = committed.revision();
    recoverHistory(r);
    store.readMetadata(ROLE_METADATA).map(Role::valueOf).ifPresent(r2 -> role = r2);
    promisedEpoch =
        store.readMetadata(PROMISED_METADATA).map(v -> Long.parseLong(v.split(" ")[0])).orElse(0L);
    pendingDivergence =
        store
            .readMetadata(DIVERGENCE_METADATA)
            .filter(v -> !v.equals("none"))
            .map(PendingDivergence::parse)
            .orElse(null);
    long storedEpoch =
        store
            .readMetadata(EPOCH_METADATA)
            .map(Long::parseLong)
            .orElse(committed.revision().epoch());
    epoch = Math.max(storedEpoch, committed.revision().epoch());
    if (role == Role.PRIMARY && epoch == 0) {
      epoch = 1;
      store.writeMetadata(EPOCH_METADATA, "1");
    }
  }

  private void startPrimary() {
    NodeId self = settings.id();
    MemberRecord me =
        new MemberRecord(
            settings.address().toString(),
            Role.PRIMARY,
            settings.productVersion(),
            settings.licenceFingerprint());
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    if (!member(self).equals(Optional.of(me))) {
      changes.put(MemberRecord.stateKey(self), Optional.of(me.toJson()));
    }
    settings
        .configSource()
        .ifPresent(
            source -> {
              ConfigDiff fromFiles = replicableDiff(committed, source.load());
              for (ConfigDiff.Change c : fromFiles.changes()) {
                changes.put(c.key(), c.newValue());
              }
              source.watch(diff -> scheduler.execute(() -> withMdc(() -> onFileEdit(diff))));
            });
    // Enabling the cluster applies the cluster constraints in the same revision (SPEC R23-R25).
    ConfigSnapshot planned = committed;
    for (Map.Entry<String, Optional<String>> c : changes.entrySet()) {
      planned =
          c.getValue().isPresent()
              ? planned.with(c.getKey(), c.getValue().get())
              : planned.without(c.getKey());
    }
    List<ConstraintChange> fixes = builtIn.constraints.violations(planned);
    fixes.forEach(f -> changes.put(f.key(), Optional.of(f.after())));
    if (!changes.isEmpty()) {
      commit("startup", changes)
          .whenComplete(
              (rev, failure) -> {
                if (failure != null) {
                  error("could not record this node's start: " + rootMessage(failure));
                } else {
                  builtIn.constraints.recordApplied(
                      new ConstraintReport(
                          fixes.isEmpty() ? Optional.empty() : Optional.of(rev), fixes));
                }
              });
    } else {
      builtIn.constraints.recordApplied(new ConstraintReport(Optional.empty(), List.of()));
    }
    synced.complete(null);
  }

  private void startSecondary() {
    settings
        .configSource()
        .ifPresent(
            source -> {
              if (!committed.revision().equals(Revision.INITIAL)) {
                // A state recovered from disk came from the primary: overwrite drift now.
                overwriteFiles(source.load(), "while this node was down");
              }
              source.watch(diff -> scheduler.execute(() -> withMdc(() -> onFileEdit(diff))));
            });
    join();
  }

  private void onFileEdit(ConfigDiff external) {
    if (role == Role.PRIMARY) {
      onPrimaryFileEdit(external);
    } else {
      onSecondaryFileEdit(external);
    }
  }

  // ---- primary: commits ----------------------------------------------------------------

  private record PendingCommit(
      LogEntry entry, ConfigSnapshot state, CompletableFuture<Revision> done) {}

  private CompletableFuture<Revision> commit(String origin, Map<String, Optional<String>> changes) {
    checkPrimary();
    if (closing) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE, "node " + settings.id() + " is shutting down; retry on restart");
    }
    ConfigSnapshot next = tip;
    for (Map.Entry<String, Optional<String>> c : changes.entrySet()) {
      String key = c.getKey();
      checkKey(key);
      if (c.getValue().isPresent()) {
        String value = c.getValue().get();
        settings.registry().validate(key, value);
        checkConstraint(key, value);
        next = next.with(key, value);
      } else {
        next = next.without(key);
      }
    }
    ConfigDiff diff = ConfigDiff.between(tip, next);
    if (diff.isEmpty()) {
      return group.isEmpty()
          ? CompletableFuture.completedFuture(committed.revision())
          : group.get(group.size() - 1).done().copy();
    }
    Revision revision =
        tip.revision().epoch() < epoch ? Revision.of(epoch, 1) : tip.revision().next();
    tip = next.atRevision(revision);
    PendingCommit p =
        new PendingCommit(
            new LogEntry(revision, scheduler.now(), origin, diff), tip, new CompletableFuture<>());
    group.add(p);
    if (!flushScheduled) {
      flushScheduled = true;
      // Commits that arrive before this task runs join the group: one fsync for all of them.
      scheduler.execute(this::flush);
    }
    return p.done();
  }

  private void flush() {
    flushScheduled = false;
    if (group.isEmpty()) {
      return;
    }
    List<PendingCommit> batch = List.copyOf(group);
    group.clear();
    try {
      store.append(batch.stream().map(PendingCommit::entry).toList());
    } catch (RuntimeException e) {
      tip = committed;
      ClusterException failure =
          e instanceof ClusterException ce
              ? ce
              : new ClusterException(
                  ErrorCode.STORAGE_FAILURE,
                  "could not store revisions " + batch.get(0).entry().revision() + "..: " + e,
                  e);
      error("commit failed, nothing was applied: " + failure.getMessage());
      batch.forEach(p -> p.done().completeExceptionally(failure));
      return;
    }
    for (PendingCommit p : batch) {
      committed = p.state();
      remember(p.entry());
      history.record(p.entry(), p.state());
      MDC.put("revision", committed.revision().toString());
      replicationLog.info(
          "committed {} ({}, {} change{})",
          p.entry().revision(),
          p.entry().origin(),
          p.entry().diff().size(),
          p.entry().diff().size() == 1 ? "" : "s");
      writeFiles(p.entry().diff());
      notifyChanged(committed, p.entry().diff());
      if (touchesMembers(p.entry().diff())) {
        listeners.forEach(l -> safely(l::membershipChanged));
      }
      p.done().complete(p.entry().revision());
    }
    history.prune(scheduler.now());
    commitsSinceSnapshot += batch.size();
    if (commitsSinceSnapshot >= settings.snapshotInterval()) {
      commitsSinceSnapshot = 0;
      try {
        store.saveSnapshot(committed);
        // The store may now trim its log; on restart, history is rebuilt from this revision on
        // as far as the log still reaches back.
        store.writeMetadata(HISTORY_BASE_METADATA, history.base().toString());
      } catch (RuntimeException e) {
        warn("could not store a snapshot (the log keeps growing until one succeeds): " + e);
      }
    }
    subscribers.values().forEach(this::pump);
    refreshDiagnostics();
  }

  private void remember(LogEntry entry) {
    recent.addLast(entry);
    while (recent.size() > RECENT_ENTRIES) {
      recentBase = recent.removeFirst().revision();
    }
  }

  private void onPrimaryFileEdit(ConfigDiff external) {
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    for (ConfigDiff.Change c : external.changes()) {
      if (isReplicable(c.key())) {
        changes.put(c.key(), c.newValue());
      }
    }
    if (changes.isEmpty()) {
      return;
    }
    try {
      commit("file edit", changes)
          .whenComplete(
              (rev, failure) -> {
                if (failure != null) {
                  error("a file edit could not be committed: " + rootMessage(failure));
                }
              });
    } catch (ClusterException e) {
      error("a file edit was refused and not replicated: " + e.getMessage());
    }
  }

  private void checkConstraint(String key, String value) {
    Optional<Setting<?>> setting = settings.registry().find(key);
    if (setting.isEmpty()) {
      return;
    }
    Optional<String> required = setting.get().encodedClusterConstraint();
    if (required.isPresent() && !sameValue(setting.get(), required.get(), value)) {
      throw new ClusterException(
          ErrorCode.CONSTRAINT_VIOLATION,
          "setting "
              + setting.get().key().displayName()
              + " must be '"
              + required.get()
              + "' while clustering is on, not '"
              + value
              + "'");
    }
  }

  private static boolean sameValue(Setting<?> setting, String a, String b) {
    return setting.decode(a).equals(setting.decode(b));
  }

  // ---- primary: inbound ----------------------------------------------------------------

  @Override
  public CompletableFuture<Response> handle(PeerIdentity from, Request request) {
    Instant receivedAt = scheduler.now();
    return onLoop(
        () -> {
          checkEpoch(request.epoch(), from);
          if (request instanceof Request.Join j) {
            return CompletableFuture.completedFuture(onJoin(from, j));
          } else if (request instanceof Request.Ack a) {
            return CompletableFuture.completedFuture(onAck(from, a));
          } else if (request instanceof Request.Ping p) {
            return CompletableFuture.completedFuture(
                new Response.Pong(p.sentAt(), receivedAt, scheduler.now(), epoch));
          }
          Request.Forward f = (Request.Forward) request;
          return serve(from, f.service(), f.payload())
              .thenApply(answer -> (Response) new Response.Forwarded(answer, epoch));
        });
  }

  private CompletableFuture<String> serve(PeerIdentity from, String name, String payload) {
    NodeService service = services.get(name);
    if (service == null) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE, "no service named '" + name + "' runs on " + settings.id());
    }
    CompletableFuture<String> answer = service.handle(from, payload);
    if (answer == null) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE, "service '" + name + "' on " + settings.id() + " gave no answer");
    }
    return answer;
  }

  // ---- services ------------------------------------------------------------------------

  @Override
  public void registerService(String name, NodeService service) {
    checkArgument(!name.isBlank(), "a service needs a name");
    checkArgument(
        !Set.of(STATUS_SERVICE, PROMISE_SERVICE, RESYNC_SERVICE).contains(name),
        "service name '%s' is the cluster's own; choose another",
        name);
    services.put(name, requireNonNull(service, "service"));
  }

  @Override
  public CompletableFuture<String> call(
      NodeId target, String service, String payload, Duration deadline) {
    requireNonNull(target, "target");
    requireNonNull(service, "service");
    requireNonNull(payload, "payload");
    requireNonNull(deadline, "deadline");
    return onLoop(
        () -> {
          if (target.equals(settings.id())) {
            return serve(PeerIdentity.of(target, "local"), service, payload);
          }
          return callMember(target, new Request.Forward(service, payload, epoch), deadline)
              .thenApply(response -> ((Response.Forwarded) response).payload());
        });
  }

  /** Sends a request to a registered server; on the loop. */
  CompletableFuture<Response> callMember(NodeId target, Request request, Duration deadline) {
    NodeAddress address =
        member(target)
            .map(m -> NodeAddress.parse(m.address()))
            .orElseThrow(
                () ->
                    new ClusterException(
                        ErrorCode.INVALID_VALUE,
                        target + " is not a registered server: add it with addServer first"));
    PeerChannel channel = serviceChannels.computeIfAbsent(address, transport::connect);
    return channel.call(request, deadline);
  }

  /** Like {@link #callMember}, but never throws: the future fails instead. */
  CompletableFuture<Response> callMemberSafely(NodeId target, Request request, Duration deadline) {
    try {
      return callMember(target, request, deadline);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Calls a named service on a registered server; never throws, the future fails instead. */
  CompletableFuture<String> callService(
      NodeId target, String service, String payload, Duration deadline) {
    try {
      return call(target, service, payload, deadline);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  long epoch() {
    return epoch;
  }

  boolean isClosing() {
    return closing;
  }

  void warnEvent(String message) {
    warn(message);
  }

  void refreshDiagnosticsNow() {
    refreshDiagnostics();
  }

  private Response onJoin(PeerIdentity from, Request.Join join) {
    checkPrimary();
    NodeId node = authenticated(from, join.node());
    if (join.protocolVersion() != PROTOCOL_VERSION) {
      throw refuse(
          ErrorCode.PROTOCOL_MISMATCH,
          "node "
              + node
              + " speaks protocol "
              + join.protocolVersion()
              + " but the primary speaks "
              + PROTOCOL_VERSION
              + ": run the same mailcluster version on every node");
    }
    MemberRecord record =
        member(node)
            .orElseThrow(
                () ->
                    refuse(
                        ErrorCode.PERMISSION_DENIED,
                        "node "
                            + node
                            + " is not a registered server: add it on the primary "
                            + settings.id()
                            + " first"));
    if (!join.productVersion().equals(settings.productVersion())) {
      throw refuse(
          ErrorCode.VERSION_MISMATCH,
          "node "
              + node
              + " runs "
              + join.productVersion()
              + " but the primary runs "
              + settings.productVersion()
              + ": upgrade "
              + node
              + " to "
              + settings.productVersion());
    }
    for (Member m : members()) {
      if (m.id().equals(node)) {
        continue;
      }
      MemberRecord other = member(m.id()).orElseThrow();
      if (join.licenceFingerprint().equals(other.licenceFingerprint())) {
        throw refuse(
            ErrorCode.DUPLICATE_NODE_KEY,
            "node "
                + node
                + " uses the same licence key as "
                + m.id()
                + ": every node needs its own licence key");
      }
    }
    MemberRecord joined = record.joined(join.productVersion(), join.licenceFingerprint());
    if (!joined.equals(record)) {
      commit(
          "membership:join " + node,
          Map.of(MemberRecord.stateKey(node), Optional.of(joined.toJson())));
    }
    clusterLog.info(
        "node {} joined from {} (version {})", node, from.remoteAddress(), join.productVersion());
    scheduler.execute(() -> withMdc(() -> checks.sampleClock(node)));
    return new Response.Joined(settings.id(), epoch, committed.revision());
  }

  private Response onAck(PeerIdentity from, Request.Ack ack) {
    checkPrimary();
    NodeId node = authenticated(from, ack.node());
    acknowledged.put(node, ack.applied());
    Subscriber s = subscribers.get(node);
    // Divergence check (SPEC B2): the same revision must have the same content everywhere.
    Optional<Fingerprint> expected = history.fingerprintAt(ack.applied());
    boolean mismatch = expected.isPresent() && !expected.get().equals(ack.fingerprint());
    if (s != null && mismatch) {
      error(
          "node "
              + node
              + " diverged at "
              + ack.applied()
              + " (fingerprint "
              + ack.fingerprint()
              + ", expected "
              + expected.get()
              + "): sending it a full snapshot");
      Revision at = ack.applied();
      listeners.forEach(l -> safely(() -> l.divergenceDetected(node, at)));
      requestResync(node);
    }
    refreshDiagnostics();
    return new Response.Acknowledged(epoch);
  }

  /**
   * Tells the primary that this secondary installed a whole snapshot. An acknowledgement cannot say
   * it: one sent just before the snapshot arrived carries the same revision and fingerprint.
   */
  private void confirmInstalled(Revision revision) {
    primaryId.ifPresent(
        p ->
            call(p, RESYNC_SERVICE, INSTALLED + revision, settings.callDeadline())
                .whenComplete(
                    (answer, failure) -> {
                      if (failure != null) {
                        replicationLog.debug(
                            "could not confirm snapshot {} to {}: {}",
                            revision,
                            p,
                            failure.toString());
                      }
                    }));
  }

  /** On the primary: a secondary installed the snapshot it was sent; a resync may be complete. */
  private void snapshotInstalled(NodeId node, Revision revision) {
    Subscriber s = subscribers.get(node);
    if (s != null
        && s.snapshotSent != null
        && revision.compareTo(s.snapshotSent) >= 0
        && resyncRequested.remove(node)) {
      clusterLog.info("node {} was resynchronized by a full snapshot at {}", node, s.snapshotSent);
      List<CompletableFuture<Void>> waiting = resyncWaiters.remove(node);
      if (waiting != null) {
        waiting.forEach(f -> f.complete(null));
      }
    }
  }

  /** Makes the next thing a secondary's stream carries a whole snapshot (SPEC B2). */
  private void requestResync(NodeId node) {
    resyncRequested.add(node);
    Subscriber s = subscribers.get(node);
    if (s != null && s.snapshotKeys == null) {
      s.snapshotSent = null; // only a snapshot sent from now on answers this request
      s.forceSnapshot = true;
      pump(s);
    }
  }

  @Override
  public void subscribe(
      PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream) {
    scheduler.execute(
        () ->
            withMdc(
                () -> {
                  try {
                    checkPrimary();
                    checkEpoch(request.epoch(), from);
                    NodeId node = authenticated(from, request.node());
                    Optional<MemberRecord> record = member(node);
                    String version = record.map(MemberRecord::productVersion).orElse(null);
                    if (version != null && !version.equals(settings.productVersion())) {
                      // It joined with another version (or the primary was upgraded since).
                      throw refuse(
                          ErrorCode.VERSION_MISMATCH,
                          "node "
                              + node
                              + " last joined with version "
                              + version
                              + " but the primary runs "
                              + settings.productVersion()
                              + ": upgrade "
                              + node
                              + " and restart it");
                    }
                    if (record.isEmpty()) {
                      throw refuse(
                          ErrorCode.PERMISSION_DENIED,
                          "node "
                              + node
                              + " is not a registered server: add it on the primary first");
                    }
                    Subscriber previous = subscribers.remove(node);
                    if (previous != null) {
                      previous.stream.complete();
                    }
                    Subscriber s = new Subscriber(node, stream, request.lastApplied());
                    s.forceSnapshot = resyncRequested.contains(node);
                    subscribers.put(node, s);
                    // A channel back lets the transport measure the round trip for diagnostics.
                    serviceChannels.computeIfAbsent(
                        NodeAddress.parse(record.get().address()), transport::connect);
                    stream.setOnReady(() -> scheduler.execute(() -> withMdc(() -> pump(s))));
                    stream.setOnCancel(
                        () ->
                            scheduler.execute(
                                () -> {
                                  if (subscribers.get(node) == s) {
                                    subscribers.remove(node);
                                    clusterLog.info("node {} disconnected", node);
                                    refreshDiagnostics();
                                  }
                                }));
                    clusterLog.info(
                        "node {} subscribed from revision {}", node, request.lastApplied());
                    pump(s);
                    refreshDiagnostics();
                  } catch (ClusterException e) {
                    stream.fail(e);
                  } catch (RuntimeException e) {
                    clusterLog.error("could not serve a subscription from {}", from, e);
                    stream.fail(
                        new ClusterException(
                            ErrorCode.UNAVAILABLE, "the primary failed to serve the stream: " + e));
                  }
                }));
  }

  /** One secondary's stream and how far it has been sent. */
  private static final class Subscriber {
    final NodeId node;
    final ServerStream<ReplicationMessage> stream;
    Revision sent;
    boolean forceSnapshot;
    Revision snapshotSent;
    Iterator<Map.Entry<String, String>> snapshotKeys;
    ConfigSnapshot snapshotInFlight;
    int chunkIndex;
    Instant lastSentAt = Instant.EPOCH;

    Subscriber(NodeId node, ServerStream<ReplicationMessage> stream, Revision sent) {
      this.node = node;
      this.stream = stream;
      this.sent = sent;
    }
  }

  /** Sends a subscriber what it lacks, as far as its stream is ready. */
  private void pump(Subscriber s) {
    if (subscribers.get(s.node) != s) {
      return;
    }
    while (s.stream.isReady()) {
      if (s.snapshotKeys != null) {
        sendSnapshotChunk(s);
        continue;
      }
      if (!s.forceSnapshot && s.sent.equals(committed.revision())) {
        return;
      }
      Optional<List<LogEntry>> missing = s.forceSnapshot ? Optional.empty() : entriesAfter(s.sent);
      if (missing.isPresent() && !missing.get().isEmpty()) {
        List<LogEntry> all = missing.get();
        List<LogEntry> part = all.subList(0, Math.min(ENTRIES_PER_MESSAGE, all.size()));
        s.stream.send(new ReplicationMessage.Entries(epoch, s.sent, part));
        s.sent = part.get(part.size() - 1).revision();
        s.lastSentAt = scheduler.now();
      } else {
        s.forceSnapshot = false;
        s.snapshotInFlight = committed;
        s.snapshotKeys = committed.asMap().entrySet().iterator();
        s.chunkIndex = 0;
        replicationLog.info(
            "sending {} a snapshot at {} ({} keys)",
            s.node,
            committed.revision(),
            committed.size());
      }
    }
  }

  private void sendSnapshotChunk(Subscriber s) {
    TreeMap<String, String> chunk = new TreeMap<>();
    while (s.snapshotKeys.hasNext() && chunk.size() < KEYS_PER_SNAPSHOT_CHUNK) {
      Map.Entry<String, String> e = s.snapshotKeys.next();
      chunk.put(e.getKey(), e.getValue());
    }
    boolean last = !s.snapshotKeys.hasNext();
    ConfigSnapshot snap = s.snapshotInFlight;
    s.stream.send(
        new ReplicationMessage.SnapshotChunk(
            epoch, snap.revision(), snap.fingerprint(), s.chunkIndex++, last, chunk));
    s.lastSentAt = scheduler.now();
    if (last) {
      s.sent = snap.revision();
      s.snapshotSent = snap.revision();
      s.snapshotKeys = null;
      s.snapshotInFlight = null;
    }
  }

  private Optional<List<LogEntry>> entriesAfter(Revision from) {
    if (from.compareTo(committed.revision()) > 0) {
      return Optional.empty(); // the secondary is ahead of this primary: only a snapshot can help
    }
    if (!EpochLineage.contains(committed, from)) {
      // A revision of a fenced-off primary that this primary never had: the log cannot say what
      // follows it, only a snapshot can.
      return Optional.empty();
    }
    if (from.equals(recentBase) || recent.stream().anyMatch(e -> e.revision().equals(from))) {
      List<LogEntry> out = new ArrayList<>();
      boolean after = from.equals(recentBase);
      for (LogEntry e : recent) {
        if (after) {
          out.add(e);
        } else if (e.revision().equals(from)) {
          after = true;
        }
      }
      return Optional.of(out);
    }
    return store.entriesAfter(from);
  }

  private void scheduleHeartbeat() {
    every(
        settings.heartbeatInterval(),
        () -> {
          if (role != Role.PRIMARY) {
            return;
          }
          Instant now = scheduler.now();
          for (Subscriber s : subscribers.values()) {
            if (s.stream.isReady()
                && s.snapshotKeys == null
                && !now.isBefore(s.lastSentAt.plus(settings.heartbeatInterval()))) {
              s.stream.send(new ReplicationMessage.Heartbeat(epoch, committed.revision(), now));
              s.lastSentAt = now;
            }
          }
        });
  }

  /** Runs {@code task} on the loop every {@code interval} until the node closes. */
  private void every(Duration interval, Runnable task) {
    scheduler.schedule(
        interval,
        () -> {
          if (closing) {
            return;
          }
          withMdc(task);
          every(interval, task);
        });
  }

  // ---- secondary -----------------------------------------------------------------------

  private void join() {
    if (closing || role != Role.SECONDARY) {
      return;
    }
    long generation = ++streamGeneration;
    Optional<NodeAddress> target = joinTarget();
    if (target.isEmpty()) {
      if (failedAttempts == 0) {
        warn("no primary to join: this node knows no other registered server yet");
      }
      retryLater();
      return;
    }
    NodeAddress address = target.get();
    toPrimary = joinChannels.computeIfAbsent(address, transport::connect);
    Request.Join request =
        new Request.Join(
            settings.id(),
            settings.address(),
            PROTOCOL_VERSION,
            settings.productVersion(),
            settings.licenceFingerprint(),
            epoch);
    toPrimary
        .call(request, settings.callDeadline())
        .whenComplete(
            (response, failure) ->
                scheduler.execute(
                    () ->
                        withMdc(
                            () -> {
                              if (generation != streamGeneration || closing) {
                                return;
                              }
                              if (role != Role.SECONDARY) {
                                return;
                              }
                              if (failure != null) {
                                ClusterException e = asClusterException(failure);
                                // Another server that is not (or no longer) the primary: try
                                // the next registered one; the primary may have moved (B3).
                                boolean elsewhere =
                                    e.code() == ErrorCode.UNAVAILABLE
                                        || e.code() == ErrorCode.NOT_PRIMARY
                                        || e.code() == ErrorCode.STALE_EPOCH;
                                if (!elsewhere) {
                                  error("join refused by " + address + ": " + e.getMessage());
                                } else if (!unreachableReported) {
                                  unreachableReported = true;
                                  warn(
                                      "no primary reachable at "
                                          + address
                                          + " ("
                                          + e.getMessage()
                                          + "); trying the registered servers in turn, and"
                                          + " serving the last replicated configuration");
                                }
                                joinRotation++;
                                retryLater();
                                return;
                              }
                              preferredPrimary = address;
                              joinRotation = 0;
                              onJoined((Response.Joined) response, generation);
                            })));
  }

  private void onJoined(Response.Joined joined, long generation) {
    adoptEpoch(joined.epoch());
    primaryId = Optional.of(joined.primary());
    primaryLatest = joined.latest();
    failedAttempts = 0;
    unreachableReported = false;
    lastHeard = scheduler.now();
    clusterLog.info(
        "joined primary {} (epoch {}, at {}); this node is at {}",
        joined.primary(),
        joined.epoch(),
        joined.latest(),
        committed.revision());
    // Each message is released once the loop has processed it, so the primary can get ahead of
    // this node by the transport's window only. Set before any loop task reads it: they queue
    // behind this one.
    PeerChannel.Subscription[] stream = new PeerChannel.Subscription[1];
    subscription =
        stream[0] =
            toPrimary.subscribe(
                new Subscribe(settings.id(), epoch, committed.revision()),
                new StreamObserver<>() {
                  @Override
                  public void onNext(ReplicationMessage message) {
                    scheduler.execute(
                        () ->
                            withMdc(
                                () -> {
                                  try {
                                    onReplication(message, generation);
                                  } finally {
                                    stream[0].release(1);
                                  }
                                }));
                  }

                  @Override
                  public void onError(ClusterException error) {
                    scheduler.execute(
                        () -> withMdc(() -> onStreamEnded(generation, error.getMessage())));
                  }

                  @Override
                  public void onCompleted() {
                    scheduler.execute(
                        () ->
                            withMdc(
                                () -> onStreamEnded(generation, "the primary closed the stream")));
                  }
                });
    checkSynchronized();
    refreshDiagnostics();
  }

  /**
   * Returns the server to try next: the one that last accepted this node (or the configured
   * primary), then in turn every other registered server, so that a secondary finds a newly
   * promoted primary by itself (SPEC B3).
   */
  private Optional<NodeAddress> joinTarget() {
    List<NodeAddress> candidates = new ArrayList<>();
    if (preferredPrimary != null) {
      candidates.add(preferredPrimary);
    }
    for (Member m : members(committed)) {
      if (!m.id().equals(settings.id()) && !candidates.contains(m.address())) {
        candidates.add(m.address());
      }
    }
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(candidates.get(Math.floorMod(joinRotation, candidates.size())));
  }

  private void onReplication(ReplicationMessage message, long generation) {
    if (generation != streamGeneration || closing || role != Role.SECONDARY) {
      return;
    }
    lastHeard = scheduler.now();
    if (message.epoch() < epoch) {
      warn("ignored a message from epoch " + message.epoch() + "; this node is at epoch " + epoch);
      restartStream("stale epoch");
      return;
    }
    adoptEpoch(message.epoch());
    try {
      if (message instanceof ReplicationMessage.Entries e) {
        applyEntries(e);
      } else if (message instanceof ReplicationMessage.SnapshotChunk c) {
        applyChunk(c);
      } else {
        primaryLatest = ((ReplicationMessage.Heartbeat) message).latest();
        // Divergence check (SPEC B2): now and then, even when nothing changes, tell the primary
        // this node's fingerprint.
        if (!scheduler
            .now()
            .isBefore(lastAckAt.plus(settings.heartbeatInterval().multipliedBy(5)))) {
          acknowledge();
        }
      }
    } catch (ClusterException e) {
      error("could not apply what the primary sent (nothing was applied): " + e.getMessage());
      restartStream(e.getMessage());
      return;
    }
    checkSynchronized();
    refreshDiagnostics();
  }

  private void applyEntries(ReplicationMessage.Entries message) {
    if (!message.previous().equals(committed.revision())) {
      restartStream(
          "the primary sent revisions after "
              + message.previous()
              + " but this node is at "
              + committed.revision());
      return;
    }
    // Durable first, then visible: a crash in between replays the entries from the store.
    store.append(message.entries());
    ConfigSnapshot before = committed;
    ConfigSnapshot state = committed;
    for (LogEntry e : message.entries()) {
      state = e.diff().apply(state).atRevision(e.revision());
      history.record(e, state);
      remember(e); // should this node be promoted, it streams from here
    }
    history.prune(scheduler.now());
    committed = state;
    tip = state;
    if (pendingDivergence != null) {
      // The new primary sent entries after this node's head, so it had every revision of it.
      if (EpochLineage.contains(state, pendingDivergence.head())) {
        clusterLog.info(
            "every revision this node committed as primary of epoch {} reached the new primary",
            pendingDivergence.epoch());
      } else {
        error(
            "the new primary continued from "
                + message.previous()
                + " although it does not descend from it; resync this node");
      }
      clearPendingDivergence();
    }
    ConfigDiff total = ConfigDiff.between(before, state);
    writeFiles(total);
    for (LogEntry e : message.entries()) {
      MDC.put("revision", e.revision().toString());
      replicationLog.info("applied {} ({})", e.revision(), e.origin());
    }
    notifyChanged(state, total);
    if (touchesMembers(total)) {
      listeners.forEach(l -> safely(l::membershipChanged));
    }
    acknowledgeSoon();
  }

  private void applyChunk(ReplicationMessage.SnapshotChunk chunk) {
    if (chunk.index() == 0) {
      incomingSnapshot = new TreeMap<>();
      incomingChunk = 0;
    } else if (incomingSnapshot == null || chunk.index() != incomingChunk) {
      incomingSnapshot = null;
      throw new ClusterException(
          ErrorCode.CORRUPT_DATA, "snapshot chunk " + chunk.index() + " arrived out of order");
    }
    incomingSnapshot.putAll(chunk.entries());
    incomingChunk++;
    if (!chunk.last()) {
      return;
    }
    ConfigSnapshot received = ConfigSnapshot.of(incomingSnapshot, chunk.revision());
    incomingSnapshot = null;
    if (!received.fingerprint().equals(chunk.fingerprint())) {
      throw new ClusterException(
          ErrorCode.CORRUPT_DATA,
          "snapshot "
              + chunk.revision()
              + " does not match its fingerprint ("
              + received.fingerprint()
              + " instead of "
              + chunk.fingerprint()
              + ")");
    }
    if (pendingDivergence != null) {
      // Before the old state is gone: save what the new primary never received (SPEC B3).
      saveDivergence(received);
    }
    store.resetTo(received);
    ConfigSnapshot before = committed;
    committed = received;
    tip = received;
    recent.clear();
    recentBase = received.revision();
    history.reset(received, received.revision(), List.of());
    selfResyncWaiters.forEach(f -> f.complete(null));
    selfResyncWaiters.clear();
    confirmInstalled(received.revision());
    replicationLog.info(
        "installed snapshot {} ({} keys, fingerprint {})",
        received.revision(),
        received.size(),
        received.fingerprint());
    settings.configSource().ifPresent(source -> overwriteFiles(source.load(), "on resync"));
    ConfigDiff diff = ConfigDiff.between(before, received);
    if (!diff.isEmpty()) {
      notifyChanged(received, diff);
    }
    if (touchesMembers(diff)) {
      listeners.forEach(l -> safely(l::membershipChanged));
    }
    acknowledge();
  }

  private void acknowledgeSoon() {
    if (ackScheduled) {
      return; // the scheduled acknowledgement will carry this revision too
    }
    long since = scheduler.nanoTime() - lastAckNanos;
    if (!ackSent || since < 0 || since >= ACK_INTERVAL_NANOS) {
      acknowledge();
      return;
    }
    ackScheduled = true;
    scheduler.schedule(
        Duration.ofNanos(ACK_INTERVAL_NANOS - since),
        () ->
            withMdc(
                () -> {
                  ackScheduled = false;
                  if (!closing && role == Role.SECONDARY && toPrimary != null) {
                    acknowledge();
                  }
                }));
  }

  private void acknowledge() {
    lastAckAt = scheduler.now();
    lastAckNanos = scheduler.nanoTime();
    ackSent = true;
    Request.Ack ack =
        new Request.Ack(settings.id(), epoch, committed.revision(), committed.fingerprint());
    toPrimary
        .call(ack, settings.callDeadline())
        .whenComplete(
            (r, failure) -> {
              if (failure != null) {
                replicationLog.debug(
                    "acknowledgement of {} not delivered: {}", ack.applied(), failure.toString());
              }
            });
  }

  private void checkSynchronized() {
    if (!synced.isDone()
        && primaryLatest != null
        && committed.revision().compareTo(primaryLatest) >= 0) {
      clusterLog.info("initial synchronization complete at revision {}", committed.revision());
      synced.complete(null);
      ConfigSnapshot now = committed;
      listeners.forEach(l -> safely(() -> l.initialSyncComplete(now)));
    }
  }

  private void onStreamEnded(long generation, String why) {
    if (generation != streamGeneration || closing) {
      return;
    }
    warn("replication stream from the primary ended: " + why);
    restartStream(why);
  }

  private void restartStream(String why) {
    replicationLog.debug("restarting the replication stream: {}", why);
    streamGeneration++;
    if (subscription != null) {
      subscription.cancel();
      subscription = null;
    }
    incomingSnapshot = null;
    retryLater();
    refreshDiagnostics();
  }

  private void retryLater() {
    failedAttempts++;
    long ceiling =
        Math.min(RETRY_MAX.toMillis(), RETRY_BASE.toMillis() << Math.min(failedAttempts - 1, 20));
    // Full jitter: spread retries of many secondaries after a primary restart.
    long delay = RETRY_BASE.toMillis() / 2 + settings.random().nextLong(Math.max(1, ceiling));
    long generation = streamGeneration;
    scheduler.schedule(
        Duration.ofMillis(delay),
        () -> {
          if (generation == streamGeneration && !closing) {
            withMdc(this::join);
          }
        });
  }

  private void scheduleLivenessCheck() {
    Duration silence = settings.heartbeatInterval().multipliedBy(4);
    every(
        settings.heartbeatInterval(),
        () -> {
          if (role == Role.SECONDARY
              && subscription != null
              && scheduler.now().isAfter(lastHeard.plus(silence))) {
            String why = "nothing heard from the primary for " + silence;
            warn(why + "; reconnecting (is the primary down, or the network between us?)");
            restartStream(why);
          }
        });
  }

  private void onSecondaryFileEdit(ConfigDiff external) {
    if (committed.revision().equals(Revision.INITIAL)) {
      return; // not synchronized yet: the first sync will write the primary's values
    }
    settings
        .configSource()
        .ifPresent(source -> overwriteFiles(source.load(), "after a local edit"));
  }

  /** Writes the primary's values over whatever the files hold now, and reports what changed. */
  private void overwriteFiles(ConfigSnapshot files, String when) {
    ConfigDiff overwrite = replicableDiff(files, committed);
    if (overwrite.isEmpty()) {
      return;
    }
    settings.configSource().orElseThrow().apply(overwrite);
    for (ConfigDiff.Change c : overwrite.changes()) {
      clusterLog.warn(
          "overwrote a local edit {} on {}: {} (configuration is changed on the primary{})",
          when,
          settings.id(),
          c.render(),
          primaryId.map(p -> " " + p).orElse(""));
    }
    recordEvent(
        "WARN",
        "overwrote "
            + overwrite.size()
            + " locally edited key"
            + (overwrite.size() == 1 ? "" : "s")
            + " "
            + when);
    listeners.forEach(l -> safely(() -> l.localEditOverwritten(overwrite)));
  }

  // ---- history and rollback (SPEC B1) --------------------------------------------------

  @Override
  public List<LogEntry> history() {
    history.prune(scheduler.now());
    return history.entries();
  }

  @Override
  public ConfigSnapshot configurationAt(Revision revision) {
    requireNonNull(revision, "revision");
    return history.contentAt(revision);
  }

  @Override
  public ConfigDiff diff(Revision from, Revision to) {
    requireNonNull(from, "from");
    requireNonNull(to, "to");
    return history.diff(from, to);
  }

  @Override
  public CompletableFuture<Revision> rollback(Revision target, String caller) {
    requireNonNull(target, "target");
    requireNonNull(caller, "caller");
    checkArgument(!caller.isBlank(), "a rollback needs a caller, e.g. api:admin");
    return onLoop(
        () -> {
          checkPrimary();
          ConfigSnapshot old = history.contentAt(target);
          Map<String, Optional<String>> changes = new LinkedHashMap<>();
          for (ConfigDiff.Change c : ConfigDiff.between(tip, old).changes()) {
            // Who is in the cluster and which primary led which epoch are facts, not settings.
            if (!MemberRecord.isMemberKey(c.key()) && !EpochLineage.isLineageKey(c.key())) {
              changes.put(c.key(), c.newValue());
            }
          }
          clusterLog.info("rolling back to {} for {} ({} keys)", target, caller, changes.size());
          return commit("rollback:" + target + " by " + caller, changes);
        });
  }

  private void recoverHistory(StateStore.Recovered r) {
    Revision base = r.snapshot().revision();
    List<LogEntry> leading = r.entries();
    Optional<Revision> older = store.readMetadata(HISTORY_BASE_METADATA).map(Revision::parse);
    if (older.isPresent() && older.get().compareTo(base) < 0) {
      // The snapshot covers part of the history; the log may still hold it.
      try {
        Optional<List<LogEntry>> more = store.entriesAfter(older.get());
        if (more.isPresent()
            && !more.get().isEmpty()
            && more.get().get(more.get().size() - 1).revision().equals(committed.revision())) {
          leading = more.get();
          base = older.get();
        }
      } catch (RuntimeException e) {
        warn("history before the last snapshot could not be read: " + e.getMessage());
      }
    }
    history.reset(committed, base, leading);
    history.prune(scheduler.now());
  }

  // ---- divergence repair (SPEC B2) -----------------------------------------------------

  @Override
  public CompletableFuture<Void> resync(NodeId node) {
    requireNonNull(node, "node");
    return onLoop(
        () -> {
          if (role == Role.PRIMARY) {
            return startResync(node);
          }
          CompletableFuture<Void> installed = new CompletableFuture<>();
          if (node.equals(settings.id())) {
            selfResyncWaiters.add(installed);
          }
          NodeId primary =
              primaryId.orElseThrow(
                  () ->
                      new ClusterException(
                          ErrorCode.UNAVAILABLE,
                          settings.id()
                              + " knows no primary yet: retry once it has joined, or ask the"
                              + " primary"));
          NodeAddress address =
              member(primary)
                  .map(m -> NodeAddress.parse(m.address()))
                  .or(() -> Optional.ofNullable(preferredPrimary))
                  .orElseThrow(
                      () ->
                          new ClusterException(
                              ErrorCode.UNAVAILABLE, "the primary's address is not known yet"));
          return serviceChannels
              .computeIfAbsent(address, transport::connect)
              .call(
                  new Request.Forward(RESYNC_SERVICE, node.value(), epoch), settings.callDeadline())
              .thenCompose(
                  answer ->
                      node.equals(settings.id())
                          ? installed
                          : CompletableFuture.<Void>completedFuture(null));
        });
  }

  private CompletableFuture<String> serveResync(PeerIdentity from, String payload) {
    checkPrimary();
    if (payload.startsWith(INSTALLED)) {
      NodeId node =
          from.node()
              .orElseThrow(
                  () ->
                      refuse(
                          ErrorCode.UNAUTHENTICATED,
                          "a snapshot confirmation from an unauthenticated peer at "
                              + from.remoteAddress()));
      snapshotInstalled(node, Revision.parse(payload.substring(INSTALLED.length())));
      return CompletableFuture.completedFuture("noted");
    }
    startResync(NodeId.of(payload));
    return CompletableFuture.completedFuture("accepted");
  }

  private CompletableFuture<Void> startResync(NodeId node) {
    if (node.equals(settings.id())) {
      throw new IllegalArgumentException(
          "node " + node + " is the primary: its state is the reference; resync a secondary");
    }
    if (member(node).isEmpty()) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE, node + " is not a registered server: nothing to resync");
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    resyncWaiters.computeIfAbsent(node, k -> new ArrayList<>()).add(done);
    clusterLog.info("full resync of {} requested", node);
    requestResync(node);
    return done;
  }

  // ---- promotion and epoch fencing (SPEC B3) -------------------------------------------

  @Override
  public List<DivergenceReport> divergences() {
    return List.copyOf(divergences);
  }

  @Override
  public CompletableFuture<Revision> promote(PromotionOptions options) {
    requireNonNull(options, "options");
    return onLoop(
        () -> {
          if (role == Role.PRIMARY) {
            throw new IllegalStateException(
                "node " + settings.id() + " is already the primary (epoch " + epoch + ")");
          }
          if (promoting) {
            throw new IllegalStateException(
                "a promotion of " + settings.id() + " is already under way");
          }
          if (closing) {
            throw new ClusterException(
                ErrorCode.UNAVAILABLE, "node " + settings.id() + " is shutting down");
          }
          promoting = true;
          List<Member> others =
              members(committed).stream().filter(m -> !m.id().equals(settings.id())).toList();
          List<CompletableFuture<Reply>> asks = new ArrayList<>();
          for (Member m : others) {
            asks.add(ask(m, STATUS_SERVICE, ""));
          }
          CompletableFuture<Revision> result =
              allOf(asks)
                  .thenCompose(
                      replies -> onLoop(() -> promoteWith(options, others.size() + 1, replies)));
          return result.whenComplete((r, f) -> scheduler.execute(() -> promoting = false));
        });
  }

  /** One peer's answer to a promotion round: its payload, or why there is none. */
  private record Reply(NodeId node, Optional<String> payload, Optional<ClusterException> failure) {}

  private CompletableFuture<Reply> ask(Member m, String service, String payload) {
    return serviceChannels
        .computeIfAbsent(m.address(), transport::connect)
        .call(new Request.Forward(service, payload, epoch), settings.callDeadline())
        .handle(
            (response, failure) ->
                failure == null && response instanceof Response.Forwarded f
                    ? new Reply(m.id(), Optional.of(f.payload()), Optional.empty())
                    : new Reply(
                        m.id(),
                        Optional.empty(),
                        Optional.of(
                            asClusterException(
                                failure != null
                                    ? failure
                                    : new IllegalStateException("unexpected " + response)))));
  }

  private static CompletableFuture<List<Reply>> allOf(List<CompletableFuture<Reply>> asks) {
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .thenApply(v -> asks.stream().map(CompletableFuture::join).toList());
  }

  private CompletableFuture<Revision> promoteWith(
      PromotionOptions options, int voters, List<Reply> replies) {
    boolean force = options.force();
    int majority = voters / 2 + 1;
    List<PeerStatus> statuses = new ArrayList<>();
    for (Reply r : replies) {
      r.payload().ifPresent(p -> statuses.add(PeerStatus.parse(r.node(), p)));
    }
    if (!force) {
      for (PeerStatus st : statuses) {
        if (st.role() == Role.PRIMARY) {
          throw refusePromotion(
              st.node()
                  + " still answers as the primary (epoch "
                  + st.epoch()
                  + "): promote only when the primary is gone for good (stop it first), or use"
                  + " PromotionOptions.forced()");
        }
        if (st.hearsPrimary()) {
          throw refusePromotion(
              st.node()
                  + " still receives from its primary: promote only when the primary is gone for"
                  + " good, or use PromotionOptions.forced()");
        }
      }
      Optional<PeerStatus> best =
          statuses.stream().max(java.util.Comparator.comparing(PeerStatus::revision));
      if (best.isPresent() && best.get().revision().compareTo(committed.revision()) > 0) {
        throw refusePromotion(
            best.get().node()
                + " has revision "
                + best.get().revision()
                + " but "
                + settings.id()
                + " only "
                + committed.revision()
                + ": promote "
                + best.get().node()
                + " instead, or use PromotionOptions.forced() and lose what it has");
      }
      if (statuses.size() + 1 < majority) {
        throw refusePromotion(
            "only "
                + (statuses.size() + 1)
                + " of "
                + voters
                + " registered servers answered; a promotion needs "
                + majority
                + " so that no two nodes are ever promoted into the same epoch: bring more"
                + " servers back, or use PromotionOptions.forced()");
      }
    }
    long highest = Math.max(epoch, promisedEpoch);
    for (PeerStatus st : statuses) {
      highest = Math.max(highest, Math.max(st.epoch(), st.promised()));
    }
    long newEpoch = highest + 1;
    promisedEpoch = newEpoch;
    store.writeMetadata(PROMISED_METADATA, newEpoch + " " + settings.id());
    List<Member> reachable = new ArrayList<>();
    for (PeerStatus st : statuses) {
      member(st.node()).ifPresent(r -> reachable.add(r.toMember(st.node())));
    }
    List<CompletableFuture<Reply>> grants = new ArrayList<>();
    for (Member m : reachable) {
      grants.add(ask(m, PROMISE_SERVICE, newEpoch + " " + settings.id() + " " + force));
    }
    return allOf(grants)
        .thenCompose(
            answers ->
                onLoop(
                    () -> {
                      long granted =
                          1 + answers.stream().filter(a -> a.payload().isPresent()).count();
                      if (!force && granted < majority) {
                        String why =
                            answers.stream()
                                .filter(a -> a.failure().isPresent())
                                .map(a -> a.node() + ": " + a.failure().get().getMessage())
                                .findFirst()
                                .orElse("");
                        throw refusePromotion(
                            "only "
                                + granted
                                + " of "
                                + voters
                                + " servers granted epoch "
                                + newEpoch
                                + " ("
                                + why
                                + "); try again, or use PromotionOptions.forced()");
                      }
                      if (role != Role.SECONDARY || closing) {
                        throw new IllegalStateException(
                            settings.id() + " changed role during its promotion");
                      }
                      return becomePrimary(newEpoch);
                    }));
  }

  private ClusterException refusePromotion(String message) {
    warn("promotion refused: " + message);
    return new ClusterException(ErrorCode.PROMOTION_REFUSED, message);
  }

  private String status() {
    return new PeerStatus(
            settings.id(), role, epoch, promisedEpoch, committed.revision(), hearsPrimary())
        .format();
  }

  private boolean hearsPrimary() {
    return role == Role.SECONDARY
        && subscription != null
        && !scheduler.now().isAfter(lastHeard.plus(settings.heartbeatInterval().multipliedBy(4)));
  }

  /** Grants a candidate an epoch nobody else will get from this node (the promotion's vote). */
  private CompletableFuture<String> grantEpoch(PeerIdentity from, String payload) {
    String[] parts = payload.split(" ");
    long wanted = Long.parseLong(parts[0]);
    NodeId candidate = NodeId.of(parts[1]);
    boolean force = Boolean.parseBoolean(parts[2]);
    long highest = Math.max(epoch, promisedEpoch);
    if (wanted <= highest) {
      throw new ClusterException(
          ErrorCode.STALE_EPOCH,
          settings.id() + " has already seen or granted epoch " + highest + ": promote again");
    }
    if (!force && role == Role.PRIMARY) {
      throw new ClusterException(
          ErrorCode.PROMOTION_REFUSED, settings.id() + " is the primary and still running");
    }
    if (!force && hearsPrimary()) {
      throw new ClusterException(
          ErrorCode.PROMOTION_REFUSED,
          settings.id() + " still receives from its primary " + primaryId.orElse(null));
    }
    promisedEpoch = wanted;
    store.writeMetadata(PROMISED_METADATA, wanted + " " + candidate);
    clusterLog.info("granted epoch {} to {}", wanted, candidate);
    if (role == Role.SECONDARY && subscription == null) {
      // Without a primary now: the candidate is the likeliest next one, try it first.
      member(candidate)
          .ifPresent(
              m -> {
                preferredPrimary = NodeAddress.parse(m.address());
                joinRotation = 0;
              });
    }
    return CompletableFuture.completedFuture("granted " + committed.revision());
  }

  private CompletableFuture<Revision> becomePrimary(long newEpoch) {
    Revision base = committed.revision();
    Optional<NodeId> former = primaryId;
    streamGeneration++;
    if (subscription != null) {
      subscription.cancel();
      subscription = null;
    }
    incomingSnapshot = null;
    role = Role.PRIMARY;
    transport.advertise(role);
    epoch = newEpoch;
    store.writeMetadata(EPOCH_METADATA, Long.toString(newEpoch));
    store.writeMetadata(ROLE_METADATA, Role.PRIMARY.name());
    primaryId = Optional.of(settings.id());
    tip = committed;
    recentBase = recent.isEmpty() ? committed.revision() : recentBase;
    commitsSinceSnapshot = 0;
    subscribers.clear();
    acknowledged.clear();
    if (!synced.isDone()) {
      synced.complete(null);
    }
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    changes.put(
        EpochLineage.stateKey(newEpoch), Optional.of(EpochLineage.value(settings.id(), base)));
    changes.put(
        MemberRecord.stateKey(settings.id()),
        Optional.of(
            new MemberRecord(
                    settings.address().toString(),
                    Role.PRIMARY,
                    settings.productVersion(),
                    settings.licenceFingerprint())
                .toJson()));
    for (Member m : members(committed)) {
      MemberRecord r = member(m.id()).orElseThrow();
      if (!m.id().equals(settings.id()) && r.role() == Role.PRIMARY) {
        changes.put(
            MemberRecord.stateKey(m.id()),
            Optional.of(
                new MemberRecord(
                        r.address(), Role.SECONDARY, r.productVersion(), r.licenceFingerprint())
                    .toJson()));
      }
    }
    warn(
        "promoted to primary at epoch "
            + newEpoch
            + " from revision "
            + base
            + former.map(f -> " (the former primary was " + f + ")").orElse(""));
    listeners.forEach(l -> safely(() -> l.roleChanged(Role.PRIMARY, newEpoch)));
    CompletableFuture<Revision> first = commit("promotion", changes);
    refreshDiagnostics();
    return first;
  }

  /** This primary met a higher epoch: another node was promoted. It becomes a secondary. */
  private void fenced(long newer, String by) {
    if (role != Role.PRIMARY) {
      adoptEpoch(newer);
      return;
    }
    if (!group.isEmpty()) {
      flush(); // what was committed here is acknowledged, and saved if the new primary lacks it
    }
    long former = epoch;
    pendingDivergence = new PendingDivergence(former, committed.revision());
    store.writeMetadata(DIVERGENCE_METADATA, pendingDivergence.format());
    store.writeMetadata(ROLE_METADATA, Role.SECONDARY.name());
    role = Role.SECONDARY;
    transport.advertise(role);
    adoptEpoch(newer);
    ClusterException gone =
        new ClusterException(
            ErrorCode.STALE_EPOCH,
            settings.id()
                + " is no longer the primary (epoch "
                + newer
                + " has another one): join that one");
    subscribers.values().forEach(sub -> sub.stream.fail(gone));
    subscribers.clear();
    acknowledged.clear();
    resyncRequested.clear();
    resyncWaiters.values().forEach(waiting -> waiting.forEach(f -> f.completeExceptionally(gone)));
    resyncWaiters.clear();
    primaryId = Optional.empty();
    preferredPrimary = null;
    joinRotation = 0;
    failedAttempts = 0;
    error(
        "this node was primary at epoch "
            + former
            + " but "
            + by
            + " has seen epoch "
            + newer
            + ": another node was promoted, so this node is a secondary now; revisions the new"
            + " primary lacks will be saved to a file, never merged");
    listeners.forEach(l -> safely(() -> l.roleChanged(Role.SECONDARY, newer)));
    scheduler.execute(() -> withMdc(this::join));
    refreshDiagnostics();
  }

  /**
   * A primary asks every registered server for its epoch now and then, so that a primary that was
   * cut off while another was promoted learns it when the network heals (SPEC B3).
   */
  private void scheduleEpochProbe() {
    every(
        settings.heartbeatInterval().multipliedBy(2),
        () -> {
          if (role != Role.PRIMARY) {
            return;
          }
          for (Member m : members(committed)) {
            if (m.id().equals(settings.id())) {
              continue;
            }
            NodeId peer = m.id();
            serviceChannels
                .computeIfAbsent(m.address(), transport::connect)
                .call(new Request.Ping(scheduler.now(), epoch), settings.callDeadline())
                .whenComplete(
                    (response, failure) -> {
                      if (response != null) {
                        scheduler.execute(
                            () ->
                                withMdc(
                                    () -> {
                                      if (response.epoch() > epoch && !closing) {
                                        fenced(response.epoch(), peer.toString());
                                      }
                                    }));
                      }
                    });
          }
        });
  }

  /**
   * Writes the revisions this former primary committed that the new primary's state does not
   * descend from, before that state replaces this node's own. Throws (and the snapshot is not
   * installed, to be retried) if the file cannot be written: they are never lost.
   */
  private void saveDivergence(ConfigSnapshot received) {
    PendingDivergence p = pendingDivergence;
    List<LogEntry> diverged = new ArrayList<>();
    for (LogEntry e : history.entries()) {
      if (e.revision().compareTo(p.head()) <= 0 && !EpochLineage.contains(received, e.revision())) {
        diverged.add(e);
      }
    }
    if (diverged.isEmpty() && EpochLineage.contains(received, p.head())) {
      clusterLog.info(
          "every revision this node committed as primary of epoch {} reached the new primary",
          p.epoch());
      clearPendingDivergence();
      return;
    }
    ConfigSnapshot state =
        committed.revision().equals(p.head()) || !history.retains(p.head())
            ? committed
            : history.contentAt(p.head());
    Path file;
    try {
      file =
          DivergenceFile.write(
              settings.divergenceDirectory(),
              settings.id(),
              p.epoch(),
              epoch,
              primaryId.map(NodeId::value).orElse("unknown"),
              scheduler.now(),
              diverged,
              state);
    } catch (IOException | RuntimeException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "could not save the revisions the new primary lacks to "
              + settings.divergenceDirectory()
              + " ("
              + e
              + "): this node keeps its old state until they are saved; check that directory",
          e);
    }
    DivergenceReport report =
        new DivergenceReport(
            settings.id().value(),
            p.epoch(),
            epoch,
            diverged.stream().map(LogEntry::revision).toList(),
            file.toAbsolutePath().toString(),
            scheduler.now());
    divergences.add(report);
    error(
        "saved "
            + diverged.size()
            + " revision"
            + (diverged.size() == 1 ? "" : "s")
            + (diverged.isEmpty()
                ? ""
                : " ("
                    + diverged.get(0).revision()
                    + " to "
                    + diverged.get(diverged.size() - 1).revision()
                    + ")")
            + " committed here as primary of epoch "
            + p.epoch()
            + " that the primary of epoch "
            + epoch
            + " never received, with this node's state at "
            + state.revision()
            + ", to "
            + file.toAbsolutePath()
            + ": they were not merged; re-apply on the primary what is still wanted");
    listeners.forEach(l -> safely(() -> l.divergentRevisionsSaved(report)));
    clearPendingDivergence();
  }

  private void clearPendingDivergence() {
    pendingDivergence = null;
    store.writeMetadata(DIVERGENCE_METADATA, "none");
  }

  /** What a fenced-off primary had, until it knows which of it the new primary lacks. */
  private record PendingDivergence(long epoch, Revision head) {
    String format() {
      return epoch + " " + head;
    }

    static PendingDivergence parse(String text) {
      String[] parts = text.split(" ");
      return new PendingDivergence(Long.parseLong(parts[0]), Revision.parse(parts[1]));
    }
  }

  // ---- shared helpers ------------------------------------------------------------------

  /**
   * The changes that turn {@code from} into {@code to}, limited to INI-backed keys that replicate
   * (node-local settings stay as each node has them).
   */
  private ConfigDiff replicableDiff(ConfigSnapshot from, ConfigSnapshot to) {
    List<ConfigDiff.Change> out = new ArrayList<>();
    for (ConfigDiff.Change c : ConfigDiff.between(from, to).changes()) {
      if (isReplicable(c.key())) {
        out.add(c);
      }
    }
    return ConfigDiff.of(out);
  }

  private boolean isReplicable(String key) {
    return key.startsWith(SettingKey.CONFIG_NAMESPACE + "/")
        && settings.registry().scopeOf(key) != Scope.NODE_LOCAL;
  }

  private void writeFiles(ConfigDiff diff) {
    settings
        .configSource()
        .ifPresent(
            source -> {
              List<ConfigDiff.Change> files = new ArrayList<>();
              for (ConfigDiff.Change c : diff.changes()) {
                if (isReplicable(c.key())) {
                  files.add(c);
                }
              }
              if (!files.isEmpty()) {
                try {
                  source.apply(ConfigDiff.of(files));
                } catch (ClusterException e) {
                  error("could not write the configuration files: " + e.getMessage());
                }
              }
            });
  }

  private void notifyChanged(ConfigSnapshot now, ConfigDiff diff) {
    listeners.forEach(l -> safely(() -> l.configurationChanged(now, diff)));
  }

  private static boolean touchesMembers(ConfigDiff diff) {
    return diff.changes().stream().anyMatch(c -> MemberRecord.isMemberKey(c.key()));
  }

  private Optional<MemberRecord> member(NodeId id) {
    String key = MemberRecord.stateKey(id);
    return tip.get(key).map(json -> MemberRecord.fromJson(key, json));
  }

  private static List<Member> members(ConfigSnapshot state) {
    List<Member> out = new ArrayList<>();
    state.forEach(
        (key, json) -> {
          if (MemberRecord.isMemberKey(key)) {
            NodeId id = NodeId.of(SettingKey.parse(key).path().get(0));
            out.add(MemberRecord.fromJson(key, json).toMember(id));
          }
        });
    return List.copyOf(out);
  }

  private void adoptEpoch(long seen) {
    if (seen > epoch) {
      epoch = seen;
      store.writeMetadata(EPOCH_METADATA, Long.toString(seen));
      clusterLog.info("now at epoch {}", seen);
    }
  }

  /**
   * Epoch fencing (DESIGN §4.5): a primary that meets a higher epoch was replaced by a promotion
   * and becomes a secondary at once, refusing what it was asked; a secondary just remembers the
   * higher epoch, and drops a stream from an older primary at its next message.
   */
  private void checkEpoch(long theirs, PeerIdentity from) {
    if (theirs <= epoch) {
      return;
    }
    if (role == Role.PRIMARY) {
      long mine = epoch;
      fenced(theirs, from.node().map(NodeId::toString).orElse(from.remoteAddress()));
      throw new ClusterException(
          ErrorCode.STALE_EPOCH,
          settings.id()
              + " was primary at epoch "
              + mine
              + ", older than epoch "
              + theirs
              + ": it is a secondary now; join the primary of epoch "
              + theirs);
    }
    adoptEpoch(theirs);
  }

  private void checkPrimary() {
    if (role != Role.PRIMARY) {
      Optional<NodeAddress> at =
          primaryId
              .flatMap(this::member)
              .map(m -> NodeAddress.parse(m.address()))
              .or(() -> Optional.ofNullable(preferredPrimary));
      String primary =
          primaryId.map(NodeId::toString).orElse("the primary")
              + at.map(a -> " (" + a + ")").orElse("");
      throw new ClusterException(
          ErrorCode.NOT_PRIMARY,
          "configuration is read-only on "
              + settings.id()
              + " (a secondary): change it on "
              + primary);
    }
  }

  private static void checkKey(String key) {
    try {
      SettingKey.parse(key);
    } catch (IllegalArgumentException e) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE, "'" + key + "' is not a valid key: " + e.getMessage(), e);
    }
  }

  private NodeId authenticated(PeerIdentity from, NodeId claimed) {
    NodeId proven =
        from.node()
            .orElseThrow(
                () ->
                    refuse(
                        ErrorCode.UNAUTHENTICATED,
                        "a peer at "
                            + from.remoteAddress()
                            + " could not prove which node it is: give every node a certificate"
                            + " from the cluster CA"));
    if (!proven.equals(claimed)) {
      throw refuse(
          ErrorCode.PERMISSION_DENIED,
          "the peer's certificate names " + proven + " but its request claims to be " + claimed);
    }
    return proven;
  }

  private ClusterException refuse(ErrorCode code, String message) {
    warn("refused: " + message);
    return new ClusterException(code, message);
  }

  void warn(String message) {
    clusterLog.warn(message);
    recordEvent("WARN", message);
  }

  void error(String message) {
    clusterLog.error(message);
    recordEvent("ERROR", message);
  }

  private void recordEvent(String level, String message) {
    events.addLast(new Diagnostics.Event(scheduler.now(), level, message));
    while (events.size() > RECENT_EVENTS) {
      events.removeFirst();
    }
    refreshDiagnostics();
  }

  /** A service's state changed: refresh the diagnostics. Runs on the loop. */
  void servicesChanged() {
    refreshDiagnostics();
  }

  private void refreshDiagnostics() {
    ConfigSnapshot state = committed;
    if (state != membersParsedFrom
        && touchesMembers(ConfigDiff.between(membersParsedFrom, state))) {
      membersParsed = members(state);
      if (checks != null) {
        checks.retainClocks(membersParsed);
      }
    }
    membersParsedFrom = state;
    List<Diagnostics.MemberState> members = new ArrayList<>();
    for (Member m : membersParsed) {
      String connection;
      Optional<Revision> acked = Optional.empty();
      long lag = 0;
      if (m.id().equals(settings.id())) {
        connection = "self";
      } else if (role == Role.PRIMARY) {
        connection = subscribers.containsKey(m.id()) ? "streaming" : "disconnected";
        acked = Optional.ofNullable(acknowledged.get(m.id()));
        lag = acked.map(a -> lag(a, state.revision())).orElse(0L);
      } else if (primaryId.equals(Optional.of(m.id()))) {
        connection = subscription != null ? "streaming" : "disconnected";
      } else {
        connection = "unknown";
      }
      Optional<NodeServices.StatusReport> report =
          builtIn == null ? Optional.empty() : builtIn.reportOf(m.id());
      members.add(
          new Diagnostics.MemberState(
              m.id().value(),
              m.role(),
              m.address().toString(),
              connection,
              acked,
              lag,
              report.map(NodeServices.StatusReport::certificates).orElse(List.of()),
              report.flatMap(NodeServices.StatusReport::screening),
              Optional.empty()));
    }
    diagnostics =
        new Diagnostics(
            settings.id().value(),
            role,
            epoch,
            state.revision(),
            role == Role.PRIMARY
                ? Optional.of(settings.id().value())
                : primaryId.map(NodeId::value),
            synced.isDone() && !synced.isCompletedExceptionally(),
            members,
            List.copyOf(events),
            builtIn == null ? List.of() : builtIn.certificates.checks(),
            builtIn == null ? Optional.empty() : Optional.of(builtIn.screening.status()),
            List.copyOf(divergences),
            checks == null ? List.of() : checks.clockStates(),
            checks == null ? Optional.empty() : checks.lastPreflight());
  }

  private static long lag(Revision acked, Revision latest) {
    if (acked.epoch() != latest.epoch()) {
      return latest.sequence();
    }
    return Math.max(0, latest.sequence() - acked.sequence());
  }

  /** Runs {@code work} on the loop and completes the returned future with its outcome. */
  private <T> CompletableFuture<T> onLoop(Supplier<CompletableFuture<T>> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    scheduler.execute(
        () ->
            withMdc(
                () -> {
                  try {
                    work.get()
                        .whenComplete(
                            (value, failure) -> {
                              if (failure != null) {
                                result.completeExceptionally(unwrap(failure));
                              } else {
                                result.complete(value);
                              }
                            });
                  } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                  }
                }));
    return result;
  }

  private void withMdc(Runnable work) {
    MDC.put("node", settings.id().value());
    MDC.put("role", role.name());
    MDC.put("revision", committed.revision().toString());
    try {
      work.run();
    } finally {
      MDC.remove("node");
      MDC.remove("role");
      MDC.remove("revision");
    }
  }

  private void safely(Runnable listenerCall) {
    try {
      listenerCall.run();
    } catch (RuntimeException e) {
      clusterLog.error("a cluster listener threw; the node goes on", e);
    }
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private static ClusterException asClusterException(Throwable t) {
    Throwable cause = unwrap(t);
    return cause instanceof ClusterException ce
        ? ce
        : new ClusterException(ErrorCode.UNAVAILABLE, String.valueOf(cause.getMessage()), cause);
  }

  private static String rootMessage(Throwable t) {
    return String.valueOf(unwrap(t).getMessage());
  }
}
