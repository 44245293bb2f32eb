package org.mailcluster.internal.replication;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.ClusterException;
import org.mailcluster.Diagnostics;
import org.mailcluster.ErrorCode;
import org.mailcluster.HeldBackChange;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.constraints.ConstraintChange;
import org.mailcluster.constraints.ConstraintReport;
import org.mailcluster.internal.epoch.DivergenceFile;
import org.mailcluster.internal.epoch.EpochLineage;
import org.mailcluster.internal.membership.CallerAddresses;
import org.mailcluster.internal.membership.MemberRecord;
import org.mailcluster.internal.membership.Membership;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.internal.node.NodeLoop;
import org.mailcluster.internal.resync.ResyncRequests;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.ServerStream;
import org.mailcluster.transport.Subscribe;

/**
 * What a node holds while it is the primary: the commit pipeline, one {@link Subscriber} per
 * secondary with how far it has been sent and what it acknowledged, and the resyncs asked for.
 * Every secondary's stream carries the log entries it lacks, or a snapshot in chunks when the log
 * no longer reaches back (or a resync was asked for), then heartbeats.
 */
public final class PrimaryRole implements RoleState {
  private static final int ENTRIES_PER_MESSAGE = 256;
  private static final int KEYS_PER_SNAPSHOT_CHUNK = 1024;
  // A secondary's stream counts as alive while its process was heard from within this many
  // heartbeat intervals (an idle secondary acknowledges every five): a call with its id from
  // another address is then a second process, not a reconnect.
  private static final int QUIET_HEARTBEATS = 8;
  private static final Duration DUPLICATE_REPORT_INTERVAL = Duration.ofMinutes(1);
  // A message carries at most about this many characters of keys and values (but always one entry
  // or key), so that a large revision or snapshot flows in pieces that each arrive well within the
  // secondary's silence limit, with heartbeats able to pass between them.
  private static final long CHARS_PER_MESSAGE = 1L << 20;
  private static final Backoff COMMIT_RETRY =
      new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));

  private final NodeCore node;
  private final CommitPipeline commits;
  private final Map<NodeId, Subscriber> subscribers = new LinkedHashMap<>();
  private final Map<NodeId, Revision> acknowledged = new HashMap<>();
  // What each secondary last wrote to its files, and since when it is behind what it applied.
  private final Map<NodeId, Revision> written = new HashMap<>();
  private final Map<NodeId, Instant> filesBehindSince = new HashMap<>();
  // A host-file edit (or this node's start) whose commit the store refused; retried until it is
  // committed. Null while nothing is pending.
  private Diagnostics.Degraded pendingEdit;
  private int commitFailures;
  private long commitRetryGeneration;
  // Keys whose write to this node's own files failed (a commit through the API), and since when;
  // retried with backoff, each time with the committed value of each key then.
  private final Set<String> unwritten = new TreeSet<>();
  private Diagnostics.Degraded filesFailing;
  private int fileFailures;
  private final FileRetry fileRetry;
  private final ResyncRequests resyncs = new ResyncRequests();
  private final FileGuard guard;
  private final RivalPrimaries rivals;
  private final CallerAddresses callers;
  // When a second process with a connected node's id was last reported, by id and address.
  private final Map<String, Instant> duplicatesReported = new HashMap<>();
  // Why this primary must not serve (a registered server holds newer state), until it is recovered
  // or restarted; null while it may serve.
  private String behind;
  private boolean closed;

  /** Takes the primary's role; nothing runs until {@link #start} or a commit. */
  public PrimaryRole(NodeCore node) {
    this.node = node;
    this.guard = new FileGuard(node, node.settings().heldBackDeletionShare());
    this.fileRetry = new FileRetry(node);
    this.rivals = new RivalPrimaries(node);
    this.callers =
        new CallerAddresses(node.settings().resolver(), node.settings().storageExecutor());
    this.commits =
        new CommitPipeline(
            node,
            () -> {
              subscribers.values().forEach(this::pump);
              guard.afterWrite();
              node.refreshDiagnostics();
            },
            this::filesNotWritten);
  }

  @Override
  public Role role() {
    return Role.PRIMARY;
  }

  /**
   * Starts serving as the primary on node start: records this node's membership and the host files'
   * content, applies the cluster constraints in the same revision, and watches the files. Completes
   * once that startup revision is durable (or failed, which is reported), so that the node's
   * configuration holds the files' content when the host's {@code start()} completes.
   */
  public CompletableFuture<Void> start() {
    NodeId self = node.settings().id();
    MemberRecord me = node.selfRecord(Role.PRIMARY);
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    if (!node.member(self).equals(Optional.of(me))) {
      changes.put(MemberRecord.stateKey(self), Optional.of(me.toJson()));
    }
    if (EpochLineage.genesis(node.committed()).isEmpty()) {
      // The first primary of this state: name where it begins, so that no node ever takes it for
      // (or over) a state that began elsewhere.
      changes.put(
          EpochLineage.GENESIS_KEY,
          Optional.of(EpochLineage.newGenesis(self, node.settings().random())));
    }
    node.files()
        .source()
        .ifPresent(
            source -> {
              ConfigDiff fromFiles = node.files().replicableDiff(node.committed(), source.load());
              Map<String, Optional<String>> found = new LinkedHashMap<>();
              for (ConfigDiff.Change c : fromFiles.changes()) {
                found.put(c.key(), c.newValue());
              }
              // The files as found at start are judged as an edit is: an empty directory, say,
              // must not delete every key of a state that holds them.
              changes.putAll(guard.screen(found, "at start"));
              node.watchFiles(source);
            });
    // Enabling the cluster applies the cluster constraints in the same revision.
    ConfigSnapshot planned = node.committed();
    for (Map.Entry<String, Optional<String>> c : changes.entrySet()) {
      planned =
          c.getValue().isPresent()
              ? planned.with(c.getKey(), c.getValue().get())
              : planned.without(c.getKey());
    }
    List<ConstraintChange> fixes = node.builtIn().constraints.violations(planned);
    fixes.forEach(f -> changes.put(f.key(), Optional.of(f.after())));
    CompletableFuture<Void> started = new CompletableFuture<>();
    if (!changes.isEmpty()) {
      commit("startup", changes)
          .whenComplete(
              (rev, failure) -> {
                if (failure != null) {
                  node.events()
                      .error(
                          "could not record this node's start: " + NodeLoop.rootMessage(failure));
                  if (isStorageFailure(failure)) {
                    commitFailed("this node's start and its files", failure);
                  }
                } else {
                  node.builtIn()
                      .constraints
                      .recordApplied(
                          new ConstraintReport(
                              fixes.isEmpty() ? Optional.empty() : Optional.of(rev), fixes));
                }
                node.synced().complete(null);
                started.complete(null);
              });
    } else {
      node.builtIn().constraints.recordApplied(new ConstraintReport(Optional.empty(), List.of()));
      node.synced().complete(null);
      started.complete(null);
    }
    return started;
  }

  /**
   * Commits a change; see {@link CommitPipeline}.
   *
   * @throws ClusterException with {@link ErrorCode#STATE_CONFLICT} while this primary must not
   *     serve because a registered server holds newer state, and with {@code SPLIT_BRAIN} while
   *     another server claims this epoch too
   */
  public CompletableFuture<Revision> commit(String origin, Map<String, Optional<String>> changes) {
    if (behind != null) {
      throw new ClusterException(ErrorCode.STATE_CONFLICT, behind);
    }
    if (rivals.any()) {
      ClusterException refused = rivals.refusal(origin);
      node.events().warn("refused: " + refused.getMessage());
      throw refused;
    }
    CompletableFuture<Revision> committed = commits.commit(origin, changes);
    // A commit that writes keys of a held-back file (an update through the API) writes them into
    // that file on disk too: what is held back must include them.
    guard.written(changes);
    return committed;
  }

  /** Why this primary must not serve, if a registered server holds newer state than it. */
  public Optional<String> behind() {
    return Optional.ofNullable(behind);
  }

  /** Makes what is committed so far durable and visible now, instead of in the next task. */
  public void flushNow() {
    if (commits.hasPending()) {
      commits.flush();
    }
  }

  @Override
  public void onHostFileEdit(ConfigDiff external) {
    if (rivals.any()) {
      // Held back, not lost: the files are read again once the split brain is over.
      node.events()
          .warn(
              "a file edit is held back while another server claims to be the primary of epoch "
                  + node.epochs().current()
                  + ": it is committed once that ends");
      return;
    }
    if (pendingEdit != null) {
      return; // the retry commits what the files hold then, this edit included
    }
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    for (ConfigDiff.Change c : external.changes()) {
      if (node.files().isReplicable(c.key())) {
        changes.put(c.key(), c.newValue());
      }
    }
    changes = guard.screen(changes, "in a file edit");
    node.refreshDiagnostics();
    if (changes.isEmpty()) {
      return;
    }
    try {
      commit("file edit", changes)
          .whenComplete(
              (rev, failure) -> {
                if (failure != null) {
                  if (isStorageFailure(failure)) {
                    commitFailed("a file edit", failure);
                  } else {
                    node.events()
                        .error(
                            "a file edit could not be committed: " + NodeLoop.rootMessage(failure));
                  }
                }
              });
    } catch (ClusterException e) {
      node.events().error("a file edit was refused and not replicated: " + e.getMessage());
    }
  }

  private static boolean isStorageFailure(Throwable failure) {
    return NodeLoop.unwrap(failure) instanceof ClusterException ce
        && ce.code() == ErrorCode.STORAGE_FAILURE;
  }

  /**
   * The store refused a commit of what the files hold: it stays pending, the node is degraded, and
   * the commit is retried with backoff until the store accepts it (requirement S4).
   */
  private void commitFailed(String what, Throwable failure) {
    if (closed) {
      return;
    }
    commitFailures++;
    if (pendingEdit == null) {
      String reason =
          what
              + " could not be committed ("
              + NodeLoop.rootMessage(failure)
              + "): it stays pending and is retried until the state store accepts it; free space"
              + " on the state disk or make it writable";
      pendingEdit = new Diagnostics.Degraded(reason, node.scheduler().now());
      node.events().error("degraded: " + reason);
    } else {
      NodeEvents.CLUSTER_LOG.debug(
          "pending file edit still not committed ({} attempts): {}",
          commitFailures,
          NodeLoop.rootMessage(failure));
    }
    long generation = ++commitRetryGeneration;
    Duration delay = COMMIT_RETRY.jittered(commitFailures - 1, node.settings().random());
    node.scheduler()
        .schedule(
            delay,
            () -> {
              if (generation == commitRetryGeneration && !node.isClosing()) {
                node.loop().withContext(this::retryPendingEdit);
              }
            });
    node.refreshDiagnostics();
  }

  /**
   * Commits what the files hold now against the committed state (and this node's own record if it
   * is missing), so that edits made since the failure fold into one revision.
   */
  private void retryPendingEdit() {
    if (closed || pendingEdit == null) {
      return;
    }
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    MemberRecord me = node.selfRecord(Role.PRIMARY);
    NodeId self = node.settings().id();
    if (!node.member(self).equals(Optional.of(me))) {
      changes.put(MemberRecord.stateKey(self), Optional.of(me.toJson()));
    }
    CompletableFuture<Revision> done;
    try {
      if (node.files().source().isPresent()) {
        ConfigSnapshot files = node.files().source().get().load();
        Map<String, Optional<String>> edited = new LinkedHashMap<>();
        for (ConfigDiff.Change c : node.files().replicableDiff(node.tip(), files).changes()) {
          // A key whose committed value could not be written differs for that reason, not
          // because of an edit: committing the file's old value would undo that commit.
          if (!unwritten.contains(c.key())) {
            edited.put(c.key(), c.newValue());
          }
        }
        // The retried edit is judged like any other: damage stays held back.
        changes.putAll(guard.screen(edited, "in a retried file edit"));
      }
      done = commit("file edit (retried)", changes);
    } catch (ClusterException e) {
      if (e.code() == ErrorCode.STORAGE_FAILURE) {
        commitFailed("a file edit", e); // the files could not be read: try again later
      } else {
        pendingEdit = null;
        commitFailures = 0;
        node.events()
            .error("the pending file edit was refused and not replicated: " + e.getMessage());
      }
      return;
    }
    done.whenComplete(
        (rev, failure) -> {
          if (failure != null) {
            if (isStorageFailure(failure)) {
              commitFailed("a file edit", failure);
            } else {
              pendingEdit = null;
              commitFailures = 0;
              node.events()
                  .error(
                      "the pending file edit could not be committed: "
                          + NodeLoop.rootMessage(failure));
            }
            return;
          }
          Diagnostics.Degraded was = pendingEdit;
          pendingEdit = null;
          int attempts = commitFailures;
          commitFailures = 0;
          if (was != null) {
            node.events()
                .info(
                    "no longer degraded: the pending file edit is committed as "
                        + rev
                        + " after "
                        + attempts
                        + " failed attempt"
                        + (attempts == 1 ? "" : "s")
                        + " since "
                        + was.since());
          }
          node.refreshDiagnostics();
        });
  }

  /**
   * Why this primary is degraded now: a commit the store refused is pending, or committed values
   * could not be written to its own files.
   */
  public List<Diagnostics.Degraded> degraded() {
    List<Diagnostics.Degraded> out = new ArrayList<>(2);
    if (pendingEdit != null) {
      out.add(pendingEdit);
    }
    if (filesFailing != null) {
      out.add(filesFailing);
    }
    return out;
  }

  /**
   * A committed change could not be written to this node's own files: they keep their old values
   * for those keys, the node is degraded, and the keys are written again with backoff, each time
   * with what the state holds for them then (requirement S4).
   */
  private void filesNotWritten(ConfigDiff diff, ClusterException e) {
    for (ConfigDiff.Change c : diff.changes()) {
      if (node.files().isReplicable(c.key())) {
        unwritten.add(c.key());
      }
    }
    if (unwritten.isEmpty() || closed) {
      return;
    }
    fileFailures++;
    if (filesFailing == null) {
      String reason =
          "could not write the configuration files ("
              + e.getMessage()
              + "); "
              + unwritten.size()
              + " committed key"
              + (unwritten.size() == 1 ? " is" : "s are")
              + " written again until it succeeds";
      filesFailing = new Diagnostics.Degraded(reason, node.scheduler().now());
      node.events().error("degraded: " + reason);
      node.refreshDiagnostics();
    }
    fileRetry.schedule(fileFailures, () -> !closed, this::rewriteFiles);
  }

  private void rewriteFiles() {
    if (unwritten.isEmpty() || node.files().source().isEmpty()) {
      return;
    }
    ConfigSnapshot state = node.committed();
    List<ConfigDiff.Change> changes = new ArrayList<>();
    ConfigSnapshot files;
    try {
      files = node.files().source().get().load();
    } catch (ClusterException e) {
      filesNotWritten(ConfigDiff.of(List.of()), e);
      return;
    }
    for (String key : unwritten) {
      Optional<String> want = state.get(key);
      Optional<String> have = files.get(key);
      if (!want.equals(have)) {
        changes.add(
            want.isPresent()
                ? have.isPresent()
                    ? ConfigDiff.Change.changed(key, have.get(), want.get())
                    : ConfigDiff.Change.added(key, want.get())
                : ConfigDiff.Change.removed(key, have.get()));
      }
    }
    try {
      node.files().apply(ConfigDiff.of(changes));
    } catch (ClusterException e) {
      filesNotWritten(ConfigDiff.of(List.of()), e);
      return;
    }
    unwritten.clear();
    Diagnostics.Degraded was = filesFailing;
    int attempts = fileFailures;
    filesFailing = null;
    fileFailures = 0;
    if (was != null) {
      node.events()
          .info(
              "no longer degraded: the configuration files hold the committed values again, after "
                  + attempts
                  + " failed attempt"
                  + (attempts == 1 ? "" : "s")
                  + " since "
                  + was.since());
    }
    node.refreshDiagnostics();
  }

  // ---- held-back host-file changes -------------------------------------------------------

  /** The host-file changes held back because they looked like damage; see {@link FileGuard}. */
  public List<HeldBackChange> heldBack() {
    return guard.heldBack();
  }

  /**
   * Commits the held-back change of {@code file} as an operator confirmed it; its history origin
   * says so and names {@code caller}.
   *
   * @throws ClusterException with {@code INVALID_VALUE} if nothing of that file is held back
   */
  public CompletableFuture<Revision> confirmHeldBack(String file, String caller) {
    HeldBackChange held =
        guard.heldBack().stream()
            .filter(h -> h.file().equalsIgnoreCase(file))
            .findFirst()
            .orElse(null);
    Map<String, Optional<String>> changes = guard.confirm(file);
    String name = held == null ? file : held.file();
    NodeEvents.CLUSTER_LOG.info(
        "{} confirmed the held-back change of {} ({} keys)", caller, name, changes.size());
    if (changes.isEmpty()) {
      node.refreshDiagnostics();
      return CompletableFuture.completedFuture(node.tip().revision());
    }
    CompletableFuture<Revision> done;
    try {
      done = commit("held back:" + name + " confirmed by " + caller, changes);
    } catch (ClusterException e) {
      guard.restore(name, changes, held.since(), held.reason());
      throw e;
    }
    node.refreshDiagnostics();
    return done.whenComplete(
        (rev, failure) -> {
          if (failure != null) {
            guard.restore(name, changes, held.since(), held.reason());
            node.events()
                .error(
                    ErrorCode.HELD_BACK,
                    "the confirmed change of "
                        + name
                        + " could not be committed and stays held back: "
                        + NodeLoop.rootMessage(failure));
          } else {
            node.events()
                .info(
                    "the held-back change of "
                        + name
                        + " was confirmed by "
                        + caller
                        + " and committed as revision "
                        + rev);
          }
        });
  }

  // ---- what secondaries send ----------------------------------------------------------

  /** A secondary joins: checked against the registered servers, and its facts recorded. */
  public Response onJoin(PeerIdentity from, Request.Join join) {
    NodeId node = Membership.authenticated(this.node.events(), from, join.node());
    checkCaller(node, from);
    MemberRecord record =
        Membership.checkJoin(
            this.node.events(),
            this.node.committed(),
            this.node.tip(),
            this.node.settings().id(),
            this.node.settings().productVersion(),
            node,
            join);
    checkDescent(node, join);
    MemberRecord joined = record.joined(join.productVersion(), join.licenceFingerprint());
    if (!joined.equals(record)) {
      commit(
          "membership:join " + node,
          Map.of(MemberRecord.stateKey(node), Optional.of(joined.toJson())));
    }
    NodeEvents.CLUSTER_LOG.info(
        "node {} joined from {} (version {})", node, from.remoteAddress(), join.productVersion());
    this.node.loop().execute(() -> this.node.checks().sampleClock(node));
    return new Response.Joined(
        this.node.settings().id(),
        this.node.epochs().current(),
        this.node.committed().revision(),
        EpochLineage.genesis(this.node.committed()));
  }

  /**
   * Refuses a server whose state this primary's does not continue: a state that began elsewhere, or
   * a newer one. A registered server holding newer state means this primary's own was lost or
   * restored from an old copy: from then on it serves no one and commits nothing until it is
   * recovered from that server (or restored and restarted).
   */
  private void checkDescent(NodeId peer, Request.Join join) {
    ConfigSnapshot mine = node.committed();
    if (behind != null) {
      // Reported once, when it was found; every server that asks again gets the same answer.
      throw new ClusterException(ErrorCode.STATE_CONFLICT, behind);
    }
    if (join.applied().equals(Revision.INITIAL)) {
      return; // a node with no state yet takes this one
    }
    String myGenesis = EpochLineage.genesis(mine);
    boolean elsewhere = !join.genesis().isEmpty() && !join.genesis().equals(myGenesis);
    boolean newer = join.applied().compareTo(mine.revision()) > 0;
    NodeId self = node.settings().id();
    if (newer) {
      behind =
          peer
              + " holds revision "
              + join.applied()
              + " but this primary "
              + self
              + " is at "
              + mine.revision()
              + (elsewhere ? " of a state that began anew" : "")
              + ": "
              + self
              + "'s state looks lost or restored from an old copy, so it serves no one. Restore"
              + " its state directory and restart it, or recover it from "
              + peer
              + " (`mailcluster recover --from "
              + peer
              + "` on "
              + self
              + ", or ClusterService.recover)";
      node.events().error(behind);
      node.forEachListener(l -> l.divergenceDetected(peer, join.applied()));
      node.refreshDiagnostics();
      throw new ClusterException(ErrorCode.STATE_CONFLICT, behind);
    }
    if (elsewhere) {
      throw node.events()
          .refuse(
              ErrorCode.STATE_CONFLICT,
              peer
                  + " holds revision "
                  + join.applied()
                  + " of a configuration that does not descend from this primary's ("
                  + self
                  + " at "
                  + mine.revision()
                  + "): it was begun by another primary. If "
                  + peer
                  + " belongs to this cluster, stop it, move its state directory away and start"
                  + " it again; it then takes "
                  + self
                  + "'s configuration");
    }
  }

  /**
   * Replaces this primary's state by one copied from {@code source} (its state at {@code state}'s
   * revision and the history entries that led to it from {@code historyBase}), after saving its own
   * to a divergence file; writes it into the host files, and serves again in the new epoch {@code
   * epoch} that a majority granted it, so that no revision number it may have used before its state
   * was lost is used again. On the loop.
   *
   * @return the first revision of the new epoch, once durable
   * @throws ClusterException with {@code STORAGE_FAILURE} if its own state cannot be saved first:
   *     nothing is replaced
   */
  public CompletableFuture<Revision> installRecovered(
      ConfigSnapshot state,
      Revision historyBase,
      List<LogEntry> history,
      NodeId source,
      String caller,
      long epoch) {
    if (commits.hasPending()) {
      commits.flush();
    }
    ConfigSnapshot before = node.committed();
    java.nio.file.Path saved;
    try {
      saved =
          DivergenceFile.write(
              node.settings().divergenceDirectory(),
              node.settings().id(),
              before.revision().epoch(),
              Math.max(node.epochs().current(), state.revision().epoch()),
              source.value(),
              node.scheduler().now(),
              node.history().entries(),
              before);
    } catch (java.io.IOException | RuntimeException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "could not save this node's own state before recovering (nothing was replaced): "
              + e.getMessage());
    }
    // Undo the history from the copied state to learn the state it starts from: the store holds
    // that and the entries, so a restart rebuilds the same history.
    ConfigSnapshot base = state;
    for (int i = history.size() - 1; i >= 0; i--) {
      base = history.get(i).diff().invert().apply(base);
    }
    base = base.atRevision(historyBase);
    node.store().resetTo(history.isEmpty() ? state : base);
    if (!history.isEmpty()) {
      node.store().append(history);
    }
    node.epochs().adopt(epoch);
    node.setCommitted(state);
    node.setTip(state);
    node.log().resetTo(state.revision());
    node.history().reset(state, historyBase, history);
    behind = null;
    subscribers.values().forEach(sub -> sub.stream.complete());
    subscribers.clear();
    acknowledged.clear();
    NodeEvents.CLUSTER_LOG.warn(
        "recovered from {} by {}: this node now holds {} ({} keys, {} history entries) instead of"
            + " {}; its own state was saved to {}",
        source,
        caller,
        state.revision(),
        state.size(),
        history.size(),
        before.revision(),
        saved);
    node.events()
        .record(
            "WARN",
            "recovered from "
                + source
                + " at "
                + state.revision()
                + "; own state saved to "
                + saved);
    if (node.files().source().isPresent()) {
      node.files().overwrite(state);
    }
    ConfigDiff diff = ConfigDiff.between(before, state);
    if (!diff.isEmpty()) {
      node.notifyChanged(state, diff);
    }
    NodeId self = node.settings().id();
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    changes.put(
        EpochLineage.stateKey(epoch), Optional.of(EpochLineage.value(self, state.revision())));
    changes.put(MemberRecord.stateKey(self), Optional.of(node.selfRecord(Role.PRIMARY).toJson()));
    CompletableFuture<Revision> first =
        commit("recovery from " + source + " by " + caller, changes);
    // Secondaries waiting out their backoff join at once when their primary calls.
    for (org.mailcluster.membership.Member m : node.members()) {
      if (!m.id().equals(self)) {
        node.loop().execute(() -> node.checks().sampleClock(m.id()));
      }
    }
    node.refreshDiagnostics();
    return first;
  }

  /** A secondary acknowledges what it applied, with its fingerprint for the divergence check. */
  public Response onAck(PeerIdentity from, Request.Ack ack) {
    NodeId peer = Membership.authenticated(node.events(), from, ack.node());
    Subscriber s = subscribers.get(peer);
    if (s != null && !s.remoteAddress.equals(from.remoteAddress())) {
      throw new ClusterException(
          ErrorCode.DUPLICATE_NODE_ID,
          peer
              + " is connected from "
              + CallerAddresses.shown(s.remoteAddress)
              + ": an acknowledgement from "
              + CallerAddresses.shown(from.remoteAddress())
              + " with its id was not taken");
    }
    if (s != null) {
      s.lastHeard = node.scheduler().now();
    }
    acknowledged.put(peer, ack.applied());
    filesOf(peer, ack);
    // Divergence check: the same revision must have the same content everywhere.
    Optional<Fingerprint> expected = node.history().fingerprintAt(ack.applied());
    boolean mismatch = expected.isPresent() && !expected.get().equals(ack.fingerprint());
    if (ack.applied().compareTo(node.committed().revision()) > 0) {
      // Divergence repair never overwrites a node that is ahead of this primary.
      node.events()
          .error(
              "node "
                  + peer
                  + " acknowledged "
                  + ack.applied()
                  + ", ahead of this primary at "
                  + node.committed().revision()
                  + ": not repairing it; this primary's state looks lost or restored from an old"
                  + " copy");
      node.refreshDiagnostics();
      return new Response.Acknowledged(node.epochs().current());
    }
    if (s != null && mismatch) {
      node.events()
          .error(
              "node "
                  + peer
                  + " diverged at "
                  + ack.applied()
                  + " (fingerprint "
                  + ack.fingerprint()
                  + ", expected "
                  + expected.get()
                  + "): sending it a full snapshot");
      Revision at = ack.applied();
      node.forEachListener(l -> l.divergenceDetected(peer, at));
      requestResync(peer);
    }
    node.refreshDiagnostics();
    return new Response.Acknowledged(node.epochs().current());
  }

  /** Records how far a secondary's files are, and reports when they fall behind or catch up. */
  private void filesOf(NodeId peer, Request.Ack ack) {
    written.put(peer, ack.written());
    boolean behind = ack.written().compareTo(ack.applied()) < 0;
    Instant since = filesBehindSince.get(peer);
    if (behind && since == null) {
      filesBehindSince.put(peer, node.scheduler().now());
      node.events()
          .warn(
              "node "
                  + peer
                  + " is degraded: it applied "
                  + ack.applied()
                  + " but could write only "
                  + ack.written()
                  + " to its files; it retries by itself (see its status for why)");
    } else if (!behind && since != null) {
      filesBehindSince.remove(peer);
      node.events()
          .info(
              "node "
                  + peer
                  + " is no longer degraded: its files hold "
                  + ack.written()
                  + " again (behind since "
                  + since
                  + ")");
    }
  }

  /** A secondary subscribes to its replication stream. */
  public void subscribe(
      PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream) {
    NodeId peer = Membership.authenticated(node.events(), from, request.node());
    Optional<MemberRecord> record = node.member(peer);
    String version = record.map(MemberRecord::productVersion).orElse(null);
    String mine = node.settings().productVersion();
    if (version != null && !version.equals(mine)) {
      // It joined with another version (or the primary was upgraded since).
      throw node.events()
          .refuse(
              ErrorCode.VERSION_MISMATCH,
              "node "
                  + peer
                  + " last joined with version "
                  + version
                  + " but the primary runs "
                  + mine
                  + ": upgrade "
                  + peer
                  + " and restart it");
    }
    if (record.isEmpty()) {
      throw node.events()
          .refuse(
              ErrorCode.PERMISSION_DENIED,
              "node " + peer + " is not a registered server: add it on the primary first");
    }
    if (behind != null) {
      throw new ClusterException(ErrorCode.STATE_CONFLICT, behind);
    }
    checkCaller(peer, from);
    Subscriber previous = subscribers.remove(peer);
    if (previous != null) {
      previous.stream.complete();
    }
    Subscriber s =
        new Subscriber(
            peer, stream, request.lastApplied(), from.remoteAddress(), node.scheduler().now());
    s.forceSnapshot = resyncs.isRequested(peer);
    subscribers.put(peer, s);
    // A channel back lets the transport measure the round trip for diagnostics.
    node.peers().channel(NodeAddress.parse(record.get().address()));
    stream.setOnReady(() -> node.loop().execute(() -> pump(s)));
    stream.setOnCancel(
        () ->
            node.scheduler()
                .execute(
                    () -> {
                      if (subscribers.get(peer) == s) {
                        subscribers.remove(peer);
                        NodeEvents.CLUSTER_LOG.info("node {} disconnected", peer);
                        node.refreshDiagnostics();
                      }
                    }));
    NodeEvents.CLUSTER_LOG.info("node {} subscribed from revision {}", peer, request.lastApplied());
    pump(s);
    node.refreshDiagnostics();
  }

  /** A secondary installed the snapshot it was sent; a resync may be complete. */
  public void snapshotInstalled(NodeId peer, Revision revision) {
    Subscriber s = subscribers.get(peer);
    if (s != null && s.snapshotSent != null && revision.compareTo(s.snapshotSent) >= 0) {
      resyncs.complete(peer, s.snapshotSent);
    }
  }

  // ---- resyncs and removals -----------------------------------------------------------

  /** Starts a full resync of a secondary; the future completes once it installed the snapshot. */
  public CompletableFuture<Void> startResync(NodeId peer) {
    CompletableFuture<Void> done = resyncs.waitFor(peer);
    NodeEvents.CLUSTER_LOG.info("full resync of {} requested", peer);
    requestResync(peer);
    return done;
  }

  /** Makes the next thing a secondary's stream carries a whole snapshot. */
  private void requestResync(NodeId peer) {
    resyncs.request(peer);
    Subscriber s = subscribers.get(peer);
    if (s != null && !s.sendingSnapshot()) {
      s.snapshotSent = null; // only a snapshot sent from now on answers this request
      s.forceSnapshot = true;
      pump(s);
    }
  }

  /** A server is being removed: its stream ends now. */
  public void dropSubscriber(NodeId peer) {
    Subscriber s = subscribers.remove(peer);
    if (s != null) {
      s.stream.fail(
          new ClusterException(
              ErrorCode.PERMISSION_DENIED, peer + " was removed from the cluster"));
    }
    acknowledged.remove(peer);
    written.remove(peer);
    filesBehindSince.remove(peer);
  }

  // ---- streaming ----------------------------------------------------------------------

  /** Sends a subscriber what it lacks, as far as its stream is ready. */
  private void pump(Subscriber s) {
    if (closed || subscribers.get(s.node) != s || rivals.any()) {
      return; // during a split brain, no secondary gets new revisions from either primary
    }
    ConfigSnapshot committed = node.committed();
    while (s.stream.isReady()) {
      if (s.sendingSnapshot()) {
        sendSnapshotChunk(s);
        continue;
      }
      if (!s.forceSnapshot && s.sent.equals(committed.revision())) {
        return;
      }
      Optional<List<LogEntry>> missing = s.forceSnapshot ? Optional.empty() : entriesAfter(s.sent);
      if (!s.catchUpChosen && missing.isPresent()) {
        s.catchUpChosen = true;
        if (longerThanSnapshot(missing.get(), committed)) {
          NodeEvents.REPLICATION_LOG.info(
              "{} lacks {} revisions with more changes than the state has keys: a snapshot"
                  + " instead",
              s.node,
              missing.get().size());
          missing = Optional.empty();
        }
      }
      if (missing.isPresent() && !missing.get().isEmpty()) {
        List<LogEntry> all = missing.get();
        List<LogEntry> part = all.subList(0, entriesFitting(all));
        s.stream.send(new ReplicationMessage.Entries(node.epochs().current(), s.sent, part));
        s.sent = part.get(part.size() - 1).revision();
        s.lastSentAt = node.scheduler().now();
      } else {
        s.forceSnapshot = false;
        s.snapshotInFlight = committed;
        s.snapshotKeys = committed.asMap().entrySet().iterator();
        s.nextKey = null;
        s.chunkIndex = 0;
        NodeEvents.REPLICATION_LOG.info(
            "sending {} a snapshot at {} ({} keys)",
            s.node,
            committed.revision(),
            committed.size());
      }
    }
  }

  /**
   * Whether {@code suffix} is better replaced by a snapshot: it takes more than one message, and it
   * carries more changes than the state has keys. A short suffix goes as entries even then, so that
   * a secondary that is only a little behind keeps the history of each revision.
   */
  private static boolean longerThanSnapshot(List<LogEntry> suffix, ConfigSnapshot state) {
    if (suffix.size() <= ENTRIES_PER_MESSAGE) {
      return false;
    }
    long changes = 0;
    for (LogEntry e : suffix) {
      changes += e.diff().size();
      if (changes > state.size()) {
        return true;
      }
    }
    return false;
  }

  /** How many of {@code entries} go in one message: up to 256, and about 1 MiB of text. */
  private static int entriesFitting(List<LogEntry> entries) {
    int n = 0;
    long chars = 0;
    while (n < entries.size() && n < ENTRIES_PER_MESSAGE) {
      chars += charsOf(entries.get(n));
      if (n > 0 && chars > CHARS_PER_MESSAGE) {
        break;
      }
      n++;
    }
    return n;
  }

  private static long charsOf(LogEntry e) {
    long chars = e.origin().length();
    for (ConfigDiff.Change c : e.diff().changes()) {
      chars += c.key().length() + c.newValue().map(String::length).orElse(0);
    }
    return chars;
  }

  private void sendSnapshotChunk(Subscriber s) {
    TreeMap<String, String> chunk = new TreeMap<>();
    long chars = 0;
    while (chunk.size() < KEYS_PER_SNAPSHOT_CHUNK
        && (s.nextKey != null || s.snapshotKeys.hasNext())) {
      Map.Entry<String, String> e = s.nextKey != null ? s.nextKey : s.snapshotKeys.next();
      s.nextKey = null;
      long size = (long) e.getKey().length() + e.getValue().length();
      if (!chunk.isEmpty() && chars + size > CHARS_PER_MESSAGE) {
        s.nextKey = e; // the first of the next chunk
        break;
      }
      chunk.put(e.getKey(), e.getValue());
      chars += size;
    }
    boolean last = s.nextKey == null && !s.snapshotKeys.hasNext();
    ConfigSnapshot snap = s.snapshotInFlight;
    s.stream.send(
        new ReplicationMessage.SnapshotChunk(
            node.epochs().current(),
            snap.revision(),
            snap.fingerprint(),
            s.chunkIndex++,
            last,
            chunk));
    s.lastSentAt = node.scheduler().now();
    if (last) {
      s.sent = snap.revision();
      s.snapshotSent = snap.revision();
      s.snapshotKeys = null;
      s.snapshotInFlight = null;
    }
  }

  private Optional<List<LogEntry>> entriesAfter(Revision from) {
    ConfigSnapshot committed = node.committed();
    if (from.compareTo(committed.revision()) > 0) {
      return Optional.empty(); // the secondary is ahead of this primary: only a snapshot can help
    }
    if (!EpochLineage.contains(committed, from)) {
      // A revision of a fenced-off primary that this primary never had: the log cannot say what
      // follows it, only a snapshot can.
      return Optional.empty();
    }
    Optional<List<LogEntry>> recent = node.log().after(from);
    return recent.isPresent() ? recent : node.store().entriesAfter(from);
  }

  /** Sends a heartbeat on every idle stream; every heartbeat interval. */
  public void heartbeat() {
    if (rivals.expire()) {
      resumeIfSettled();
    }
    Instant now = node.scheduler().now();
    for (Subscriber s : subscribers.values()) {
      // Also between the chunks of a snapshot: a secondary that waits for a slow chunk still hears
      // the primary, and does not give up on a long transfer.
      if (s.stream.isReady()
          && !now.isBefore(s.lastSentAt.plus(node.settings().heartbeatInterval()))) {
        s.stream.send(
            new ReplicationMessage.Heartbeat(
                node.epochs().current(), node.committed().revision(), now));
        s.lastSentAt = now;
      }
    }
  }

  // ---- one primary per epoch, one process per node id --------------------------------

  /**
   * A registered server claims to be the primary of this node's epoch too (in its ping, or in its
   * answer to this node's probe): split brain. This node takes and streams nothing new until the
   * claim ends.
   */
  public void rivalClaims(NodeId peer) {
    if (!closed && rivals.claimed(peer)) {
      node.refreshDiagnostics();
    }
  }

  /** A server answered without claiming this epoch's primary role: a split brain with it ends. */
  public void rivalDenies(NodeId peer, String how) {
    if (!closed && rivals.denied(peer, how)) {
      resumeIfSettled();
    }
  }

  /** Whether another server claims to be the primary of this epoch. */
  public boolean splitBrain() {
    return rivals.any();
  }

  private void resumeIfSettled() {
    if (rivals.any() || closed) {
      node.refreshDiagnostics();
      return;
    }
    // What the host's files were given meanwhile was held back: take it now.
    node.files()
        .source()
        .ifPresent(
            source -> {
              ConfigDiff held = node.files().replicableDiff(node.committed(), source.load());
              if (!held.isEmpty()) {
                onHostFileEdit(held);
              }
            });
    List.copyOf(subscribers.values()).forEach(this::pump);
    node.refreshDiagnostics();
  }

  /**
   * Refuses a call with {@code peer}'s id from a second process: one at another address while the
   * stream of the first is alive, or one at an address that is not the registered host's. A
   * reconnect from the same address, or after the old stream went quiet, passes.
   *
   * @throws ClusterException with {@code DUPLICATE_NODE_ID}
   */
  private void checkCaller(NodeId peer, PeerIdentity from) {
    Subscriber current = subscribers.get(peer);
    Instant now = node.scheduler().now();
    String caller = CallerAddresses.shown(from.remoteAddress());
    if (current != null && !current.remoteAddress.equals(from.remoteAddress())) {
      Duration quiet = node.settings().heartbeatInterval().multipliedBy(QUIET_HEARTBEATS);
      if (!now.isAfter(current.lastHeard.plus(quiet))) {
        throw duplicate(
            peer,
            from,
            peer
                + " is already connected from "
                + CallerAddresses.shown(current.remoteAddress)
                + ": refused a second process with its id at "
                + caller
                + ". Stop that process, or give it a node id and certificate of its own"
                + " (mailcluster certs) and register it; the connected one keeps its stream");
      }
    }
    Optional<MemberRecord> record = node.member(peer);
    if (record.isEmpty()) {
      return;
    }
    NodeAddress registered;
    try {
      registered = NodeAddress.parse(record.get().address());
    } catch (IllegalArgumentException e) {
      return;
    }
    CallerAddresses.Match match =
        callers.compare(
            registered,
            from.remoteAddress(),
            warning -> node.loop().execute(() -> node.events().warn(warning)));
    if (match == CallerAddresses.Match.OTHER_HOST) {
      throw duplicate(
          peer,
          from,
          peer
              + " is registered at "
              + registered
              + " but a process with its id called from "
              + caller
              + ": refused. Stop that process or give it an id and certificate of its own; if "
              + peer
              + " moved, register it again at its new address");
    }
  }

  private ClusterException duplicate(NodeId peer, PeerIdentity from, String message) {
    String key = peer + " " + from.remoteAddress();
    Instant now = node.scheduler().now();
    Instant last = duplicatesReported.get(key);
    if (last == null || !now.isBefore(last.plus(DUPLICATE_REPORT_INTERVAL))) {
      duplicatesReported.values().removeIf(t -> now.isAfter(t.plus(DUPLICATE_REPORT_INTERVAL)));
      duplicatesReported.put(key, now);
      node.events().error(message);
    } else {
      NodeEvents.CLUSTER_LOG.warn(message);
    }
    return new ClusterException(ErrorCode.DUPLICATE_NODE_ID, message);
  }

  // ---- what diagnostics show -----------------------------------------------------------

  /**
   * How a secondary is connected: {@code streaming} or {@code disconnected}, or {@code claims
   * primary} for a server that claims this epoch too (split brain).
   */
  public String connectionOf(NodeId peer) {
    if (rivals.isRival(peer)) {
      return "claims primary";
    }
    return subscribers.containsKey(peer) ? "streaming" : "disconnected";
  }

  /** The revision a secondary acknowledged last, if any. */
  public Optional<Revision> acknowledgedBy(NodeId peer) {
    return Optional.ofNullable(acknowledged.get(peer));
  }

  /** The revision a secondary last wrote to its host's files, as it acknowledged, if any. */
  public Optional<Revision> writtenBy(NodeId peer) {
    return Optional.ofNullable(written.get(peer));
  }

  /** Why a secondary is degraded as this primary sees it (its files are behind), if it is. */
  public Optional<Diagnostics.Degraded> degradedOf(NodeId peer) {
    Instant since = filesBehindSince.get(peer);
    if (since == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Diagnostics.Degraded(
            "its files hold "
                + written.get(peer)
                + " but it applied "
                + acknowledged.get(peer)
                + ": a write of its files fails and is retried",
            since));
  }

  // ---- leaving the role ---------------------------------------------------------------

  /** Ends every stream normally, as on shutdown. */
  public void completeStreams() {
    for (Subscriber s : subscribers.values()) {
      s.stream.complete();
    }
    subscribers.clear();
  }

  @Override
  public void close(ClusterException why) {
    closed = true;
    subscribers.values().forEach(sub -> sub.stream.fail(why));
    subscribers.clear();
    acknowledged.clear();
    written.clear();
    filesBehindSince.clear();
    commitRetryGeneration++;
    pendingEdit = null;
    unwritten.clear();
    filesFailing = null;
    resyncs.failAll(why);
  }
}
