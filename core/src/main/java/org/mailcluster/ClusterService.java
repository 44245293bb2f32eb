package org.mailcluster;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.access.WriteGate;
import org.mailcluster.admin.ClusterOptions;
import org.mailcluster.certificates.Certificates;
import org.mailcluster.clock.ClockState;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.constraints.ClusterConstraints;
import org.mailcluster.events.MailEvents;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.PreflightReport;
import org.mailcluster.routing.RoutingPlan;
import org.mailcluster.screening.DynamicScreening;
import org.mailcluster.spi.LogEntry;

/**
 * One node of a mail-server cluster, embedded in the mail server's process: the host's single entry
 * point. Build one with {@link #builder()}, {@link #start()} it, read configuration through it,
 * change configuration through it on the primary, and {@link #close()} it when the host shuts down.
 *
 * <p>Every method is thread-safe. Methods that do work return a {@link CompletableFuture}; the work
 * runs on the node's single logical thread, so the node's state is never seen half-changed.
 *
 * <pre>{@code
 * ClusterService cluster =
 *     ClusterService.builder()
 *         .node(NodeId.of("mx2"), NodeAddress.parse("mx2:7400"))
 *         .secondaryOf(NodeAddress.parse("mx1:7400"))
 *         .productVersion("23.5.2")
 *         .licenceKey(licence)
 *         .registry(registry)
 *         .transport(transport)
 *         .stateStore(store)
 *         .scheduler(SystemScheduler.create("mx2"))
 *         .build();
 * cluster.start().join();
 * SyncOutcome ready = cluster.awaitSynchronized(Duration.ofMinutes(2)).join(); // mail queues wait
 * int port = cluster.read(clusterPort);
 * }</pre>
 */
public interface ClusterService extends AutoCloseable {
  /** Returns a builder for a node. */
  static ClusterServiceBuilder builder() {
    return new ClusterServiceBuilder();
  }

  /**
   * Recovers durable state, starts serving and (on a secondary) connects to the primary. On the
   * primary it completes once the startup revision (the host files' content, this node's
   * membership, the cluster constraints) is durable, so that {@link #configuration()} holds it.
   */
  CompletableFuture<Void> start();

  /** Returns this node's id. */
  NodeId nodeId();

  /** Returns this node's role. */
  Role role();

  /** Returns the settings registry this node validates with. */
  SettingsRegistry registry();

  /**
   * Returns the configuration this node has applied: after {@link #start()} has completed, the
   * state recovered from disk or received since; before that, the empty configuration.
   */
  ConfigSnapshot configuration();

  /**
   * Returns a setting's value in the applied configuration, or its default.
   *
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if the stored value is malformed
   */
  default <T> T read(Setting<T> setting) {
    return setting.read(configuration());
  }

  /**
   * Commits changes as one revision. Completes with the new revision once it is durable on the
   * primary (with the current revision if nothing changed); fails with {@link
   * ErrorCode#NOT_PRIMARY} on a secondary, naming the primary, and with {@link
   * ErrorCode#INVALID_VALUE} or {@link ErrorCode#CONSTRAINT_VIOLATION} naming the setting.
   */
  CompletableFuture<Revision> update(ConfigUpdate update);

  /**
   * Registers a server on the primary (adding a server, requirement R28 in docs/REQUIREMENTS.md):
   * it may then join. The list of registered servers is replicated, so every node lists it (R30).
   */
  CompletableFuture<Revision> addServer(NodeId id, NodeAddress address);

  /** Unregisters a server on the primary; its stream is closed. */
  CompletableFuture<Revision> removeServer(NodeId id);

  /** Returns every registered server with its role, as this node knows the list. */
  List<Member> members();

  /**
   * Completes once this node has applied the primary's state at least once since it started
   * (immediately on the primary), so the host can keep its mail queues frozen until then (R31). It
   * never completes while no primary can be reached; {@link #awaitSynchronized(Duration)} waits
   * with a bound and says what the node serves meanwhile.
   */
  CompletableFuture<Void> awaitSynchronized();

  /**
   * Waits at most {@code limit} for this node's synchronization, then says where it stands: {@link
   * SyncOutcome.State#SYNCHRONIZED} as soon as it is (at once on the primary), else, when the limit
   * is reached, {@link SyncOutcome.State#SERVING_LAST_KNOWN} with the revision it serves and its
   * age if it holds a configuration from an earlier run, or {@link
   * SyncOutcome.State#NO_CONFIGURATION}. A secondary restarted while its primary is down thus lets
   * its host decide instead of waiting for ever.
   *
   * <pre>{@code
   * SyncOutcome outcome = cluster.awaitSynchronized(Duration.ofMinutes(2)).join();
   * if (outcome.state() != SyncOutcome.State.NO_CONFIGURATION) {
   *   queues.release(); // synchronized, or serving the last configuration the cluster had
   * }
   * }</pre>
   *
   * <p>Fails with {@link ErrorCode#UNAVAILABLE} if the node closes first.
   */
  CompletableFuture<SyncOutcome> awaitSynchronized(Duration limit);

  /** Adds a listener; see {@link ClusterListener} for when it is called. */
  void addListener(ClusterListener listener);

  /**
   * Returns the primary as this node knows it: itself on the primary; on a secondary, the node that
   * last accepted its join (empty before the first join).
   */
  Optional<NodeId> primary();

  /** Returns this node's diagnostics (R32). */
  Diagnostics diagnostics();

  /**
   * Registers a service that other nodes may {@linkplain #call call} on this node, replacing any
   * earlier one of the same name.
   *
   * @param name the service's name, e.g. {@code screening}
   * @param service what answers its requests
   */
  void registerService(String name, NodeService service);

  /**
   * Calls a {@linkplain #registerService registered service} on a registered server (this node
   * included, without the network).
   *
   * <pre>{@code
   * cluster.call(cluster.primary().orElseThrow(), "screening", request, Duration.ofSeconds(2))
   * }</pre>
   *
   * @return the service's answer; fails with {@code UNAVAILABLE} if the node cannot be reached in
   *     time or runs no such service, {@code INVALID_VALUE} if {@code target} is not a registered
   *     server, or with the service's own refusal
   */
  CompletableFuture<String> call(NodeId target, String service, String payload, Duration deadline);

  /** Returns this node's mail-change relay (requirement R6). */
  MailEvents mailEvents();

  /** Returns this node's dynamic screening (requirements R18, R19 and B4). */
  DynamicScreening screening();

  /** Returns this node's certificate service (requirements R20–R22). */
  Certificates certificates();

  /** Returns the cluster constraints as this node applies them (requirements R23–R25). */
  ClusterConstraints constraints();

  /** Returns the write gate for the host's remote administration (requirements R3, R4 and R7). */
  WriteGate writeGate();

  /** Returns the routing advice per protocol for the load balancer (requirement R11). */
  RoutingPlan routing();

  /**
   * Returns this node's cluster options, for the administrator's options page (requirement R32).
   */
  ClusterOptions options();

  /**
   * Returns the revisions this node keeps in its history (requirement B1), oldest first: each with
   * the time it was committed, its origin ({@code api:<caller>}, {@code file edit}, {@code
   * rollback:<revision> by <caller>}, {@code promotion} …) and its diff. History is bounded by
   * {@link ClusterServiceBuilder#historyRetention}; a secondary keeps the revisions it applied, and
   * history starts again after a full resync.
   *
   * <pre>{@code
   * for (LogEntry e : cluster.history()) {
   *   System.out.println(e.revision() + " " + e.committedAt() + " " + e.origin());
   *   System.out.println(e.diff().render());
   * }
   * }</pre>
   */
  List<LogEntry> history();

  /**
   * Returns the configuration as it was at a retained revision: the oldest retained one (the state
   * before the first entry of {@link #history()}) or any entry's.
   *
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if the revision is not retained
   */
  ConfigSnapshot configurationAt(Revision revision);

  /**
   * Returns the changes that turn the configuration at {@code from} into the one at {@code to}
   * (either may be the older): applied to {@code configurationAt(from)} it gives {@code
   * configurationAt(to)}.
   *
   * <pre>{@code
   * System.out.println(cluster.diff(Revision.of(1, 40), Revision.of(1, 42)).render());
   * }</pre>
   *
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if a revision is not retained
   */
  ConfigDiff diff(Revision from, Revision to);

  /**
   * On the primary, restores the configuration of an earlier retained revision as a new revision
   * whose origin is {@code rollback:<target> by <caller>}: history is never rewritten. The
   * registered servers and the cluster's epoch records are not rolled back. The new revision is
   * validated like any update.
   *
   * <pre>{@code
   * Revision undone = cluster.rollback(Revision.of(1, 40), "api:admin").get();
   * }</pre>
   *
   * @return the new revision (the current one if the configuration already equals the target's)
   * @throws ClusterException (in the future) with {@link ErrorCode#NOT_PRIMARY} on a secondary,
   *     {@link ErrorCode#INVALID_VALUE} if the target is not retained, or the refusals of {@link
   *     #update}
   */
  CompletableFuture<Revision> rollback(Revision target, String caller);

  /**
   * Returns the host-file changes the primary holds back because they looked like damage
   * (requirement S2 in docs/REQUIREMENTS.md; see {@link HeldBackChange}), by file name; always
   * empty on a secondary. Diagnostics list them too.
   *
   * <pre>{@code
   * cluster.heldBack().forEach(h -> alert(h.file() + " held back: " + h.reason()));
   * }</pre>
   */
  List<HeldBackChange> heldBack();

  /**
   * On the primary, commits the held-back change of {@code file} as it is on disk now, as an
   * operator decided after checking it; the revision's history origin is {@code held back:<file>
   * confirmed by <caller>}. The change then replicates like any file edit.
   *
   * <pre>{@code
   * Revision deleted = cluster.confirmHeldBack("MDaemon.ini", "api:admin").get();
   * }</pre>
   *
   * @param file the file's name as {@link HeldBackChange#file()} gives it (letter case ignored)
   * @param caller who confirms, for the history (e.g. {@code api:admin})
   * @return the new revision (the current one if the change no longer changes anything)
   * @throws ClusterException (in the future) with {@link ErrorCode#NOT_PRIMARY}, naming the
   *     primary, on a secondary; {@link ErrorCode#INVALID_VALUE} if nothing of that file is held
   *     back; or the refusals of {@link #update}
   */
  CompletableFuture<Revision> confirmHeldBack(String file, String caller);

  /**
   * Forces a full resynchronization of a secondary (requirement B2): the primary sends it a whole
   * snapshot, which it installs atomically. Works on the primary for any secondary (completes once
   * the node has acknowledged the snapshot with the primary's fingerprint) and on a secondary,
   * which asks the primary (for itself: completes once it has installed the snapshot; for another
   * node: once the primary has accepted the request).
   *
   * <pre>{@code
   * primary.resync(NodeId.of("mx3")).get(1, TimeUnit.MINUTES);
   * }</pre>
   */
  CompletableFuture<Void> resync(NodeId node);

  /**
   * On a primary whose state was lost or restored from an old copy (it refuses to serve with {@link
   * ErrorCode#STATE_CONFLICT} once a registered server presents newer state), rebuilds its state
   * and history from the registered server with the newest state: it asks each its revision, copies
   * the whole state and retained history of the newest page by page, checks the copy against that
   * server's fingerprint, saves its own state to a divergence file, installs the copy and writes it
   * into its host files. It then serves in a new epoch whose first revision, origin {@code recovery
   * from <server> by <caller>}, records the revision it recovered, so that no revision number it
   * used before its state was lost is used again. The secondaries follow it.
   *
   * <pre>{@code
   * Revision now = mx1.recover("admin").get(1, TimeUnit.MINUTES);
   * }</pre>
   *
   * @param caller who asked, for the cluster log and the history
   * @return the first revision of the new epoch
   */
  CompletableFuture<Revision> recover(String caller);

  /**
   * As {@link #recover(String)}, from the registered server {@code from}.
   *
   * @throws ClusterException (in the future) with {@link ErrorCode#INVALID_VALUE} if {@code from}
   *     is not another registered server, {@link ErrorCode#NOT_PRIMARY} on a secondary
   */
  CompletableFuture<Revision> recoverFrom(NodeId from, String caller);

  /**
   * Promotes this secondary to primary when the primary is gone for good (requirement B3): it takes
   * the next epoch, records the promotion as the epoch's first revision, and the other secondaries
   * follow it. A former primary that comes back learns the higher epoch, becomes a secondary, and
   * saves the revisions the new primary never received (see {@link DivergenceReport}). See {@link
   * PromotionOptions} for when promotion is refused.
   *
   * <pre>{@code
   * Revision first = mx2.promote(PromotionOptions.defaults()).get(30, TimeUnit.SECONDS);
   * }</pre>
   *
   * @return the first revision of the new epoch
   */
  CompletableFuture<Revision> promote(PromotionOptions options);

  /**
   * Returns the divergence reports this node wrote, as a returning former primary, since it
   * started, oldest first (the files stay in its divergence directory across restarts).
   */
  List<DivergenceReport> divergences();

  /**
   * Runs the shared-storage preflight (requirements R5, R12 and R27) now: this node writes a probe
   * file with a random token under each shared path, checks create, write, rename, lock, delete and
   * free space, and asks every other registered server to read the probe through its own path
   * mapping. It also runs by itself once the node is synchronized; the last report is in {@link
   * #diagnostics()}. The file operations run on the builder's {@code storageExecutor}, never on the
   * node's thread, so a share that hangs delays the report but not replication; asked for while a
   * preflight runs, it answers with that run's report.
   *
   * <pre>{@code
   * PreflightReport report = cluster.preflight().join();
   * report.failures().forEach(System.out::println);
   * }</pre>
   *
   * @return the report; a failed check is a row of the report, not a failed future
   */
  CompletableFuture<PreflightReport> preflight();

  /**
   * Checks every other registered server's clock and time zone now (requirements R26 and B7), as
   * the node does by itself at join and periodically: a few pings each over the transport,
   * NTP-style offsets with an error bound, and a warning in the cluster log only when the drift is
   * real or the zones differ.
   *
   * <pre>{@code
   * for (ClockState c : cluster.checkClocks().join()) {
   *   System.out.println(c.node() + " " + c.offset().orElseThrow() + " ± " + c.errorBound().orElseThrow());
   * }
   * }</pre>
   *
   * @return what this node knows of every peer's clock once every answer is in or has failed
   */
  CompletableFuture<List<ClockState>> checkClocks();

  /**
   * Starts a graceful shutdown and returns at once; the future completes when it is done. The
   * current commit group finishes whole (durable and acknowledged, or failed), streams close, and
   * the store, transport, config source and scheduler are closed. For hosts that must not block.
   */
  CompletableFuture<Void> closeAsync();

  /**
   * Stops taking work and shuts down: in-flight work finishes or is abandoned whole (nothing is
   * half-applied), streams close, and durable state is released. Waits at most {@code timeout}.
   */
  void close(Duration timeout);

  /** Closes with a ten-second limit. */
  @Override
  default void close() {
    close(Duration.ofSeconds(10));
  }
}
