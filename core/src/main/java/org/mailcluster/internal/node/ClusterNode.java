package org.mailcluster.internal.node;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterListener;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.Diagnostics;
import org.mailcluster.DivergenceReport;
import org.mailcluster.ErrorCode;
import org.mailcluster.HeldBackChange;
import org.mailcluster.NodeService;
import org.mailcluster.PromotionOptions;
import org.mailcluster.Role;
import org.mailcluster.SyncOutcome;
import org.mailcluster.access.WriteGate;
import org.mailcluster.admin.ClusterOptions;
import org.mailcluster.certificates.Certificates;
import org.mailcluster.clock.ClockState;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.constraints.ClusterConstraints;
import org.mailcluster.events.MailEvents;
import org.mailcluster.internal.epoch.EpochLineage;
import org.mailcluster.internal.epoch.Promotion;
import org.mailcluster.internal.membership.MemberRecord;
import org.mailcluster.internal.membership.Revocations;
import org.mailcluster.internal.replication.PrimaryRole;
import org.mailcluster.internal.replication.SecondaryRole;
import org.mailcluster.internal.resync.Resyncs;
import org.mailcluster.internal.resync.StateCopies;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.PreflightReport;
import org.mailcluster.routing.RoutingPlan;
import org.mailcluster.screening.DynamicScreening;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.spi.StateStore;

/**
 * The host's side of a node: every {@link ClusterService} method hands its work to the node's loop
 * (or reads a volatile view) and delegates to the part that owns it, the role the node has now
 * ({@link PrimaryRole}, {@link SecondaryRole}), promotion, resyncs, history or the services. Built
 * by {@link Nodes#create}; peers' calls reach the node through the transport only.
 */
final class ClusterNode implements ClusterService {
  private final NodeCore core;
  private final InboundDispatch inbound;
  private final Promotion promotion;
  private final Resyncs resyncs;
  private final StateCopies copies;
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private boolean started;

  ClusterNode(NodeCore core, Promotion promotion, Resyncs resyncs) {
    this.core = core;
    this.copies = new StateCopies(core);
    this.inbound = new InboundDispatch(core, promotion, resyncs, copies);
    this.promotion = promotion;
    this.resyncs = resyncs;
  }

  // ---- start --------------------------------------------------------------------------

  @Override
  public CompletableFuture<Void> start() {
    return core.loop()
        .call(
            () -> {
              if (started) {
                throw new IllegalStateException(
                    "node " + core.settings().id() + " was already started");
              }
              started = true;
              recover();
              core.transport().start(inbound);
              core.transport().advertise(core.role());
              NodeEvents.CLUSTER_LOG.info(
                  "node {} started as {} at revision {}, epoch {}, listening on {}",
                  core.settings().id(),
                  core.role(),
                  core.committed().revision(),
                  core.epochs().current(),
                  core.transport().localAddress());
              // A primary is ready once its startup revision (the host files' content) is
              // durable, so that configuration() holds the files when start() completes.
              CompletableFuture<Void> ready;
              if (core.roleState() instanceof PrimaryRole primary) {
                ready = primary.start();
              } else {
                ((SecondaryRole) core.roleState()).start();
                ready = CompletableFuture.completedFuture(null);
              }
              core.builtIn().start();
              schedulePeriodicTasks();
              core.refreshDiagnostics();
              return ready;
            });
  }

  private void recover() {
    StateStore store = core.store();
    StateStore.Recovered r = store.recover();
    for (String repair : r.repairs()) {
      core.events().warn("state store repaired on start: " + repair);
    }
    ConfigSnapshot state = r.replay();
    core.setCommitted(state);
    core.setTip(state);
    core.log().resetTo(state.revision());
    core.history().recover(store, r, state, core.scheduler().now(), core.events()::warn);
    core.recoveredRole(core.epochs().recover(state.revision(), core.role()));
    core.divergence().recover();
  }

  /**
   * The periodic tasks of both roles run on every node and act for the role the node has when they
   * fire, so that a role change needs no rescheduling.
   */
  private void schedulePeriodicTasks() {
    NodeLoop loop = core.loop();
    Duration heartbeat = core.settings().heartbeatInterval();
    loop.every(
        heartbeat,
        () -> {
          if (core.roleState() instanceof PrimaryRole primary) {
            primary.heartbeat();
          }
        });
    loop.every(
        heartbeat,
        () -> {
          if (core.roleState() instanceof SecondaryRole secondary) {
            secondary.checkLiveness();
          }
        });
    loop.every(
        heartbeat.multipliedBy(2),
        () -> {
          if (core.role() == Role.PRIMARY) {
            core.roleChange().probeEpochs();
          }
        });
    if (!core.settings().clock().interval().isZero()) {
      loop.every(core.settings().clock().interval(), core.checks()::clockRound);
    }
    // Clocks and storage are checked once the node has the cluster's state (and so its list of
    // servers): for a secondary, that is its join.
    core.synced()
        .thenRun(
            () ->
                core.scheduler()
                    .execute(
                        () -> {
                          if (!core.isClosing()) {
                            loop.withContext(core.checks()::clockRound);
                            if (core.settings().sharedStorage().isPresent()) {
                              loop.withContext(core.checks()::preflight);
                            }
                          }
                        }));
  }

  // ---- configuration and members ------------------------------------------------------

  @Override
  public NodeId nodeId() {
    return core.settings().id();
  }

  @Override
  public Role role() {
    return core.role();
  }

  @Override
  public SettingsRegistry registry() {
    return core.settings().registry();
  }

  @Override
  public ConfigSnapshot configuration() {
    return core.committed();
  }

  @Override
  public CompletableFuture<Revision> update(ConfigUpdate update) {
    return core.update(update);
  }

  @Override
  public CompletableFuture<Revision> addServer(NodeId id, NodeAddress address) {
    requireNonNull(id, "id");
    requireNonNull(address, "address");
    try {
      // On the caller's thread: a lookup may block, and the node's loop must not.
      if (core.settings().resolver().resolve(address).isEmpty()) {
        throw new UnknownHostException(address.host());
      }
    } catch (IOException e) {
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
    return core.loop()
        .call(
            () -> {
              PrimaryRole primary = core.asPrimary();
              if (id.equals(core.settings().id())) {
                throw new IllegalArgumentException("node " + id + " is this primary itself");
              }
              MemberRecord record =
                  core.member(id)
                      .filter(r -> r.address().equals(address.toString()))
                      .orElse(new MemberRecord(address.toString(), Role.SECONDARY, null, null));
              return primary.commit(
                  "membership:add " + id,
                  Map.of(MemberRecord.stateKey(id), Optional.of(record.toJson())));
            });
  }

  @Override
  public CompletableFuture<Revision> removeServer(NodeId id) {
    requireNonNull(id, "id");
    return core.loop()
        .call(
            () -> {
              PrimaryRole primary = core.asPrimary();
              if (id.equals(core.settings().id())) {
                throw new IllegalArgumentException("the primary " + id + " cannot remove itself");
              }
              primary.dropSubscriber(id);
              Map<String, Optional<String>> changes =
                  new java.util.LinkedHashMap<>(Revocations.removed(core.tip(), id));
              changes.put(MemberRecord.stateKey(id), Optional.empty());
              return primary.commit("membership:remove " + id, changes);
            });
  }

  @Override
  public List<Member> members() {
    return core.members();
  }

  @Override
  public CompletableFuture<Void> awaitSynchronized() {
    return core.synced().copy();
  }

  @Override
  public CompletableFuture<SyncOutcome> awaitSynchronized(Duration limit) {
    requireNonNull(limit, "limit");
    checkArgument(!limit.isNegative(), "limit must not be negative but was %s", limit);
    CompletableFuture<SyncOutcome> outcome = new CompletableFuture<>();
    core.synced()
        .whenComplete(
            (done, failure) -> {
              if (failure != null) {
                outcome.completeExceptionally(failure);
              } else {
                Revision at = core.committed().revision();
                outcome.complete(
                    new SyncOutcome(
                        SyncOutcome.State.SYNCHRONIZED,
                        at,
                        Optional.empty(),
                        "synchronized at " + at));
              }
            });
    if (outcome.isDone()) {
      return outcome.copy();
    }
    try {
      core.scheduler()
          .schedule(
              limit,
              () ->
                  core.loop()
                      .withContext(
                          () -> {
                            if (!outcome.isDone() && !core.synced().isDone()) {
                              outcome.complete(unsynchronized());
                            }
                          }));
    } catch (RuntimeException closedMeanwhile) {
      outcome.completeExceptionally(
          new ClusterException(
              ErrorCode.UNAVAILABLE, "node " + core.settings().id() + " closed", closedMeanwhile));
    }
    return outcome.copy();
  }

  /** Where a node that is not synchronized stands. On the loop. */
  private SyncOutcome unsynchronized() {
    Revision at = core.committed().revision();
    String primary = core.primaryAddress().map(a -> " (" + a + ")").orElse("");
    if (at.equals(Revision.INITIAL)) {
      return new SyncOutcome(
          SyncOutcome.State.NO_CONFIGURATION,
          at,
          Optional.empty(),
          "no configuration yet: never synchronized, primary unreachable" + primary);
    }
    Optional<Duration> age =
        core.roleState() instanceof SecondaryRole s ? s.lastKnownAge() : Optional.empty();
    return new SyncOutcome(
        SyncOutcome.State.SERVING_LAST_KNOWN,
        at,
        age,
        "serving last known configuration at "
            + at
            + age.map(a -> ", " + SecondaryRole.humanAge(a) + " old").orElse("")
            + ", primary unreachable"
            + primary);
  }

  @Override
  public void addListener(ClusterListener listener) {
    core.addListener(listener);
  }

  @Override
  public Optional<NodeId> primary() {
    return core.primary();
  }

  @Override
  public Diagnostics diagnostics() {
    return core.diagnostics().read();
  }

  // ---- services -----------------------------------------------------------------------

  @Override
  public void registerService(String name, NodeService service) {
    core.services().register(name, service);
  }

  @Override
  public CompletableFuture<String> call(
      NodeId target, String service, String payload, Duration deadline) {
    requireNonNull(target, "target");
    requireNonNull(service, "service");
    requireNonNull(payload, "payload");
    requireNonNull(deadline, "deadline");
    return core.call(target, service, payload, deadline);
  }

  @Override
  public MailEvents mailEvents() {
    return core.builtIn().mailEvents;
  }

  @Override
  public DynamicScreening screening() {
    return core.builtIn().screening;
  }

  @Override
  public Certificates certificates() {
    return core.builtIn().certificates;
  }

  @Override
  public ClusterConstraints constraints() {
    return core.builtIn().constraints;
  }

  @Override
  public WriteGate writeGate() {
    return core.builtIn().writeGate;
  }

  @Override
  public RoutingPlan routing() {
    return core.builtIn().routing();
  }

  @Override
  public ClusterOptions options() {
    return core.builtIn().options();
  }

  @Override
  public CompletableFuture<PreflightReport> preflight() {
    return core.loop().call(core.checks()::preflight);
  }

  @Override
  public CompletableFuture<List<ClockState>> checkClocks() {
    return core.loop().call(core.checks()::clockRound);
  }

  // ---- history, rollback, resync, promotion -------------------------------------------

  @Override
  public List<LogEntry> history() {
    core.history().prune(core.scheduler().now());
    return core.history().entries();
  }

  @Override
  public ConfigSnapshot configurationAt(Revision revision) {
    requireNonNull(revision, "revision");
    return core.history().contentAt(revision);
  }

  @Override
  public ConfigDiff diff(Revision from, Revision to) {
    requireNonNull(from, "from");
    requireNonNull(to, "to");
    return core.history().diff(from, to);
  }

  @Override
  public CompletableFuture<Revision> rollback(Revision target, String caller) {
    requireNonNull(target, "target");
    requireNonNull(caller, "caller");
    checkArgument(!caller.isBlank(), "a rollback needs a caller, e.g. api:admin");
    return core.loop()
        .call(
            () -> {
              PrimaryRole primary = core.asPrimary();
              ConfigSnapshot old = core.history().contentAt(target);
              Map<String, Optional<String>> changes = new LinkedHashMap<>();
              for (ConfigDiff.Change c : ConfigDiff.between(core.tip(), old).changes()) {
                // Who is in the cluster and which primary led which epoch are facts, not settings.
                if (!MemberRecord.isMemberKey(c.key()) && !EpochLineage.isLineageKey(c.key())) {
                  changes.put(c.key(), c.newValue());
                }
              }
              NodeEvents.CLUSTER_LOG.info(
                  "rolling back to {} for {} ({} keys)", target, caller, changes.size());
              return primary.commit("rollback:" + target + " by " + caller, changes);
            });
  }

  @Override
  public List<HeldBackChange> heldBack() {
    return core.diagnostics().read().heldBack();
  }

  @Override
  public CompletableFuture<Revision> confirmHeldBack(String file, String caller) {
    requireNonNull(file, "file");
    requireNonNull(caller, "caller");
    checkArgument(!caller.isBlank(), "a confirmation needs a caller, e.g. api:admin");
    return core.loop()
        .call(
            () -> {
              if (core.roleState() instanceof PrimaryRole primary) {
                return primary.confirmHeldBack(file, caller);
              }
              // Only the primary holds changes back: say where to go.
              throw new ClusterException(
                  ErrorCode.NOT_PRIMARY,
                  core.settings().id()
                      + " is a secondary and holds no change back: confirm on the primary "
                      + core.primary().map(NodeId::toString).orElse("(not known yet)")
                      + core.primaryAddress().map(a -> " (" + a + ")").orElse(""));
            });
  }

  @Override
  public CompletableFuture<Void> resync(NodeId node) {
    requireNonNull(node, "node");
    return core.loop().call(() -> resyncs.resync(node));
  }

  @Override
  public CompletableFuture<Revision> recover(String caller) {
    requireNonNull(caller, "caller");
    return core.loop().call(() -> copies.recover(Optional.empty(), caller));
  }

  @Override
  public CompletableFuture<Revision> recoverFrom(NodeId from, String caller) {
    requireNonNull(from, "from");
    requireNonNull(caller, "caller");
    return core.loop().call(() -> copies.recover(Optional.of(from), caller));
  }

  @Override
  public CompletableFuture<Revision> promote(PromotionOptions options) {
    requireNonNull(options, "options");
    return core.loop().call(() -> promotion.promote(options));
  }

  @Override
  public List<DivergenceReport> divergences() {
    return core.divergence().reports();
  }

  // ---- shutdown -----------------------------------------------------------------------

  @Override
  public void close(Duration timeout) {
    closeAsync();
    try {
      closed.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      NodeEvents.CLUSTER_LOG.warn(
          "node {} did not close within {}: {}", core.settings().id(), timeout, e.toString());
    }
  }

  @Override
  public CompletableFuture<Void> closeAsync() {
    if (core.isClosing()) {
      return closed.copy();
    }
    core.closing();
    core.scheduler().execute(this::shutDown);
    return closed.copy();
  }

  /** Stops replication cleanly: nothing is half-applied, and nothing waits for this node. */
  private void shutDown() {
    NodeId id = core.settings().id();
    ClusterException gone = new ClusterException(ErrorCode.UNAVAILABLE, "node " + id + " closed");
    try {
      core.builtIn().close();
      if (core.roleState() instanceof PrimaryRole primary) {
        primary.flushNow();
        primary.completeStreams();
      }
      core.roleState().close(gone);
      core.peers().close();
      core.transport().close();
      core.settings().configSource().ifPresent(c -> c.close());
      core.store().close();
      NodeEvents.CLUSTER_LOG.info("node {} closed at revision {}", id, core.committed().revision());
    } catch (RuntimeException e) {
      NodeEvents.CLUSTER_LOG.error("node {} did not close cleanly", id, e);
    } finally {
      core.synced().completeExceptionally(gone);
      closed.complete(null);
      core.scheduler().close();
    }
  }
}
