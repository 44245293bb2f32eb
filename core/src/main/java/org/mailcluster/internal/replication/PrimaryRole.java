package org.mailcluster.internal.replication;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import org.mailcluster.internal.epoch.EpochLineage;
import org.mailcluster.internal.membership.MemberRecord;
import org.mailcluster.internal.membership.Membership;
import org.mailcluster.internal.membership.Revocations;
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
 *
 * <p>Each concern of the role has its own class beside it: {@link StreamFeed} (what a stream
 * carries), {@link SecondaryProgress} (what each secondary acknowledged), {@link PrimaryFiles} (the
 * host's files when the store or the disk fails), {@link DuplicateCallers} (a second process with a
 * node's id), {@link Descent} (whether a joining server's state continues this one) and {@link
 * StateRecovery} (taking another server's state). This class ties them to the streams.
 */
public final class PrimaryRole implements RoleState {
  private final NodeCore node;
  private final CommitPipeline commits;
  private final Map<NodeId, Subscriber> subscribers = new LinkedHashMap<>();
  private final SecondaryProgress progress;
  private final StreamFeed feed;
  private final PrimaryFiles files;
  private final ResyncRequests resyncs = new ResyncRequests();
  private final FileGuard guard;
  private final RivalPrimaries rivals;
  private final DuplicateCallers duplicates;
  private final Descent descent;
  private final StateRecovery recovery;
  private boolean closed;

  /** Takes the primary's role; nothing runs until {@link #start} or a commit. */
  public PrimaryRole(NodeCore node) {
    this.node = node;
    this.guard = new FileGuard(node, node.settings().heldBackDeletionShare());
    this.files = new PrimaryFiles(node, guard, this::commit, () -> closed);
    this.progress = new SecondaryProgress(node);
    this.feed = new StreamFeed(node);
    this.rivals = new RivalPrimaries(node);
    this.duplicates = new DuplicateCallers(node, subscribers::get);
    this.descent = new Descent(node);
    this.recovery = new StateRecovery(node);
    this.commits =
        new CommitPipeline(
            node,
            () -> {
              subscribers.values().forEach(this::pump);
              guard.afterWrite();
              node.refreshDiagnostics();
            },
            files::filesNotWritten);
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
                  if (PrimaryFiles.isStorageFailure(failure)) {
                    files.commitFailed("this node's start and its files", failure);
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
    descent.checkServing();
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
    return descent.behind();
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
    if (files.editPending()) {
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
    files.commitEdit(changes);
  }

  /**
   * Why this primary is degraded now: a commit the store refused is pending, or committed values
   * could not be written to its own files.
   */
  public List<Diagnostics.Degraded> degraded() {
    return files.degraded();
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
    return files.confirmHeldBack(file, caller);
  }

  // ---- what secondaries send ----------------------------------------------------------

  /** A secondary joins: checked against the registered servers, and its facts recorded. */
  public Response onJoin(PeerIdentity from, Request.Join join) {
    NodeId node = Membership.authenticated(this.node.events(), from, join.node());
    duplicates.check(node, from);
    MemberRecord record =
        Membership.checkJoin(
            this.node.events(),
            this.node.committed(),
            this.node.tip(),
            this.node.settings().id(),
            this.node.settings().productVersion(),
            node,
            join);
    descent.check(node, join);
    MemberRecord joined = record.joined(join.productVersion(), join.licenceFingerprint());
    // The certificate it joined with, so that removing it revokes that certificate.
    Map<String, Optional<String>> changes =
        new LinkedHashMap<>(Revocations.joined(this.node.tip(), node, from));
    if (!joined.equals(record)) {
      changes.put(MemberRecord.stateKey(node), Optional.of(joined.toJson()));
    }
    if (!changes.isEmpty()) {
      commit("membership:join " + node, changes);
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
    recovery.install(
        state,
        historyBase,
        history,
        source,
        caller,
        epoch,
        () -> {
          descent.recovered();
          subscribers.values().forEach(sub -> sub.stream.complete());
          subscribers.clear();
          progress.forgetApplied();
        });
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
    duplicates.checkAcknowledgement(peer, from);
    Subscriber s = subscribers.get(peer);
    if (s != null) {
      s.lastHeard = node.scheduler().now();
    }
    progress.acknowledged(peer, ack);
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
    descent.checkServing();
    duplicates.check(peer, from);
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
    progress.forget(peer);
  }

  // ---- streaming ----------------------------------------------------------------------

  /** Sends a subscriber what it lacks, as far as its stream is ready. */
  private void pump(Subscriber s) {
    if (closed || subscribers.get(s.node) != s || rivals.any()) {
      return; // during a split brain, no secondary gets new revisions from either primary
    }
    feed.pump(s);
  }

  /** Sends a heartbeat on every idle stream; every heartbeat interval. */
  public void heartbeat() {
    if (rivals.expire()) {
      resumeIfSettled();
    }
    Instant now = node.scheduler().now();
    for (Subscriber s : subscribers.values()) {
      feed.heartbeat(s, now);
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
    return progress.acknowledgedBy(peer);
  }

  /** The revision a secondary last wrote to its host's files, as it acknowledged, if any. */
  public Optional<Revision> writtenBy(NodeId peer) {
    return progress.writtenBy(peer);
  }

  /** Why a secondary is degraded as this primary sees it (its files are behind), if it is. */
  public Optional<Diagnostics.Degraded> degradedOf(NodeId peer) {
    return progress.degradedOf(peer);
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
    progress.clear();
    files.close();
    resyncs.failAll(why);
  }
}
