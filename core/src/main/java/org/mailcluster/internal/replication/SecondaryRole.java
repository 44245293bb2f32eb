package org.mailcluster.internal.replication;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.mailcluster.ClusterException;
import org.mailcluster.Diagnostics;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.epoch.EpochLineage;
import org.mailcluster.internal.history.History;
import org.mailcluster.internal.membership.Membership;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.internal.node.NodeLoop;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.StreamObserver;
import org.mailcluster.transport.Subscribe;
import org.slf4j.MDC;

/**
 * What a node holds while it is a secondary: its link to the primary (which server to join, the
 * replication stream, when it last heard from it), what it applies from that stream, its coalesced
 * acknowledgements, and the retries with backoff while no primary answers. It serves its last
 * applied state meanwhile, read-only, and writes the primary's values over local edits.
 */
public final class SecondaryRole implements RoleState {
  private static final Backoff RETRY = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));
  // Acknowledgements of applied entries are coalesced: at most one per interval, each for the
  // newest applied revision. A burst of commits then costs the primary one acknowledgement per
  // interval per secondary rather than one per message, and the lag in diagnostics is at most
  // one interval stale.
  private static final long ACK_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final NodeCore node;
  private final SnapshotAssembly incoming = new SnapshotAssembly();
  // Callers of a resync of this node itself, until the next snapshot is installed.
  private final List<CompletableFuture<Void>> snapshotWaiters = new ArrayList<>();
  private volatile PeerChannel toPrimary;
  private volatile Optional<NodeId> primaryId = Optional.empty();
  private PeerChannel.Subscription subscription;
  private long streamGeneration;
  private Revision primaryLatest;
  // The epoch the primary this node streams from last stated.
  private long primaryEpoch;
  private int failedAttempts;
  // When the next join attempt is due while this node waits out its backoff; null otherwise.
  private Instant retryAt;
  // Whether this outage of the primary was already reported in the cluster log (once per outage).
  private boolean unreachableReported;
  private Instant lastHeard = Instant.EPOCH;
  private Instant lastAckAt = Instant.EPOCH;
  private long lastAckNanos;
  private boolean ackSent;
  private boolean ackScheduled;
  // Which server to join: the last that accepted, else the configured primary, then the others.
  private NodeAddress preferredPrimary;
  private int joinRotation;
  // The primary that a server given as this node's primary named instead (it is a secondary).
  private NodeAddress redirectedTo;
  // When a claim to this epoch's primary role by a server other than this node's primary was last
  // reported, by server.
  private final Map<NodeId, Instant> otherClaimsReported = new HashMap<>();
  private boolean closed;
  // Why this node refused its primary's state (it would have moved backwards); null otherwise.
  private String refused;
  // The host's files: the revision whose state they hold, and while writing them fails, since when
  // and why (null when they are up to date). The retry writes the whole state over the files, so
  // what it writes is always derived from the state and the files as they are then.
  private Revision filesWritten = Revision.INITIAL;
  private Diagnostics.Degraded filesFailing;
  private int fileFailures;
  private final FileRetry fileRetry;

  /** Takes the secondary's role, trying {@code preferredPrimary} first (may be null). */
  public SecondaryRole(NodeCore node, NodeAddress preferredPrimary) {
    this.node = node;
    this.preferredPrimary = preferredPrimary;
    this.fileRetry = new FileRetry(node);
  }

  @Override
  public Role role() {
    return Role.SECONDARY;
  }

  /** Starts as a secondary on node start: writes the recovered state over drift, then joins. */
  public void start() {
    node.files()
        .source()
        .ifPresent(
            source -> {
              if (!node.committed().revision().equals(Revision.INITIAL)) {
                // A state recovered from disk came from the primary: overwrite drift now.
                overwriteFiles("while this node was down");
              }
              node.watchFiles(source);
            });
    join();
  }

  // ---- joining ------------------------------------------------------------------------

  /** Tries to join the next server, if this role is still held. */
  public void join() {
    if (node.isClosing() || closed) {
      return;
    }
    retryAt = null;
    long generation = ++streamGeneration;
    Optional<NodeAddress> target = joinTarget();
    if (target.isEmpty()) {
      if (failedAttempts == 0) {
        node.events().warn("no primary to join: this node knows no other registered server yet");
      }
      retryLater();
      return;
    }
    NodeAddress address = target.get();
    toPrimary = node.peers().joinChannel(address);
    Request.Join request =
        new Request.Join(
            node.settings().id(),
            node.settings().address(),
            Membership.PROTOCOL_VERSION,
            node.settings().productVersion(),
            node.settings().licenceFingerprint(),
            node.epochs().current(),
            node.committed().revision(),
            EpochLineage.genesis(node.committed()));
    toPrimary
        .call(request, node.settings().callDeadline())
        .whenComplete(
            (response, failure) ->
                node.loop()
                    .execute(
                        () -> {
                          if (generation != streamGeneration || node.isClosing() || closed) {
                            return;
                          }
                          if (failure != null) {
                            joinFailed(address, NodeLoop.asClusterException(failure));
                            return;
                          }
                          preferredPrimary = address;
                          joinRotation = 0;
                          onJoined((Response.Joined) response, generation);
                        }));
  }

  private void joinFailed(NodeAddress address, ClusterException e) {
    // Another server that is not (or no longer) the primary: try the next registered one; the
    // primary may have moved (promotion).
    boolean elsewhere =
        e.code() == ErrorCode.UNAVAILABLE
            || e.code() == ErrorCode.NOT_PRIMARY
            || e.code() == ErrorCode.STALE_EPOCH;
    if (e.code() == ErrorCode.NOT_PRIMARY && primaryId.isEmpty()) {
      // No primary accepted this node in this role yet (a new or restarted node, or a fenced-off
      // primary that may not know the new one): the server that refused may know where it is.
      askForThePrimary(address);
    }
    if (e.code() == ErrorCode.STATE_CONFLICT) {
      // The primary is behind this node, or its state began elsewhere: keep what this node holds.
      refusedPrimary("join refused by " + address + ": " + e.getMessage());
    } else if (!elsewhere) {
      node.events().error("join refused by " + address + ": " + e.getMessage());
    } else if (!unreachableReported) {
      unreachableReported = true;
      node.events()
          .warn(
              "no primary reachable at "
                  + address
                  + " ("
                  + e.getMessage()
                  + "); trying the registered servers in turn, and "
                  + servingNow());
    }
    joinRotation++;
    retryLater();
  }

  /**
   * What this node serves while it has no primary: its last known configuration, with its revision
   * and how long ago the primary committed that revision, or nothing yet.
   */
  public String servingNow() {
    Revision at = node.committed().revision();
    if (at.equals(Revision.INITIAL)) {
      return "this node has no configuration yet (it never synchronized)";
    }
    return "serving its last known configuration, revision "
        + at
        + lastKnownAge().map(age -> ", " + humanAge(age) + " old").orElse("");
  }

  /** How long ago the primary committed the revision this node holds, if its history knows. */
  public Optional<Duration> lastKnownAge() {
    Revision at = node.committed().revision();
    List<LogEntry> entries = node.history().entries();
    for (int i = entries.size() - 1; i >= 0; i--) {
      LogEntry e = entries.get(i);
      if (e.revision().equals(at)) {
        Duration age = Duration.between(e.committedAt(), node.scheduler().now());
        return Optional.of(age.isNegative() ? Duration.ZERO : age);
      }
    }
    return Optional.empty();
  }

  /** A duration as an operator reads it: {@code 45 s}, {@code 12 min}, {@code 3 h 5 min}. */
  public static String humanAge(Duration age) {
    long s = age.toSeconds();
    if (s < 120) {
      return s + " s";
    }
    if (s < 2 * 3600) {
      return s / 60 + " min";
    }
    if (s < 2 * 86400) {
      return s / 3600 + " h " + (s % 3600) / 60 + " min";
    }
    return s / 86400 + " days";
  }

  /**
   * The server this node was told to join answered that it is not the primary: ask it which primary
   * it follows, and follow that one, warning that this node's configuration names the wrong server.
   */
  private void askForThePrimary(NodeAddress notPrimary) {
    long generation = streamGeneration;
    node.peers()
        .joinChannel(notPrimary)
        .call(new Request.StatusQuery(node.epochs().current()), node.settings().callDeadline())
        .whenComplete(
            (response, failure) -> {
              if (failure != null || !(response instanceof Response.Status status)) {
                return;
              }
              node.loop()
                  .execute(
                      () -> {
                        if (closed || node.isClosing() || subscription != null) {
                          return;
                        }
                        Optional<NodeAddress> named = status.primaryAddress();
                        if (status.role() != Role.SECONDARY
                            || named.isEmpty()
                            || named.get().equals(notPrimary)
                            || named.get().equals(node.settings().address())
                            || named.get().equals(redirectedTo)) {
                          return;
                        }
                        redirectedTo = named.get();
                        preferredPrimary = named.get();
                        joinRotation = 0;
                        if (!node.settings().primaryAddress().equals(Optional.of(notPrimary))) {
                          NodeEvents.CLUSTER_LOG.info(
                              "{} is a secondary of {}: joining that one", notPrimary, named.get());
                        } else {
                          node.events()
                              .warn(
                                  "the server given as this node's primary, "
                                      + notPrimary
                                      + ", is a secondary; it follows "
                                      + status.primary().map(p -> p + " at ").orElse("")
                                      + named.get()
                                      + ", so this node joins that one. Fix this node's"
                                      + " configuration: set its primary to "
                                      + named.get()
                                      + " (the node agent's 'primary' key; the builder's"
                                      + " secondaryOf)");
                        }
                        if (generation == streamGeneration && retryAt != null) {
                          streamGeneration++; // the scheduled retry is no longer wanted
                          node.loop().execute(this::join);
                        }
                      });
            });
  }

  /**
   * A registered server other than this node's primary pinged it claiming to be the primary of this
   * epoch: split brain, reported here too (at most every five minutes per server).
   */
  public void otherPrimaryClaims(NodeId peer, long epoch) {
    if (primaryId.isEmpty()
        || primaryId.get().equals(peer)
        || primaryEpoch != epoch
        || !hearsPrimary()) {
      return; // no primary of that epoch that this node hears now: nothing conflicts here
    }
    Instant now = node.scheduler().now();
    Instant last = otherClaimsReported.get(peer);
    if (last != null && now.isBefore(last.plus(Duration.ofMinutes(5)))) {
      return;
    }
    otherClaimsReported.put(peer, now);
    node.events()
        .error(
            "split brain: "
                + peer
                + " claims to be the primary of epoch "
                + epoch
                + ", and so does "
                + primaryId.get()
                + ", which this node follows; both hold new changes back until one of them is"
                + " restarted as a secondary");
  }

  private void onJoined(Response.Joined joined, long generation) {
    Optional<String> backwards =
        wouldGoBackwards(joined.primary(), joined.latest(), joined.genesis());
    if (backwards.isPresent()) {
      // Keep what this node holds and ask again later: the primary may be recovered meanwhile (it
      // then calls, and this node joins at once).
      primaryId = Optional.of(joined.primary());
      refusedPrimary(backwards.get());
      retryLater();
      return;
    }
    refused = null;
    node.epochs().adopt(joined.epoch());
    primaryId = Optional.of(joined.primary());
    primaryEpoch = joined.epoch();
    primaryLatest = joined.latest();
    failedAttempts = 0;
    unreachableReported = false;
    lastHeard = node.scheduler().now();
    NodeEvents.CLUSTER_LOG.info(
        "joined primary {} (epoch {}, at {}); this node is at {}",
        joined.primary(),
        joined.epoch(),
        joined.latest(),
        node.committed().revision());
    // Each message is released once the loop has processed it, so the primary can get ahead of
    // this node by the transport's window only. Set before any loop task reads it: they queue
    // behind this one.
    PeerChannel.Subscription[] stream = new PeerChannel.Subscription[1];
    subscription =
        stream[0] =
            toPrimary.subscribe(
                new Subscribe(
                    node.settings().id(), node.epochs().current(), node.committed().revision()),
                new StreamObserver<>() {
                  @Override
                  public void onNext(ReplicationMessage message) {
                    node.loop()
                        .execute(
                            () -> {
                              try {
                                onReplication(message, generation);
                              } finally {
                                stream[0].release(1);
                              }
                            });
                  }

                  @Override
                  public void onError(ClusterException error) {
                    node.loop().execute(() -> onStreamEnded(generation, error.getMessage()));
                  }

                  @Override
                  public void onCompleted() {
                    node.loop()
                        .execute(() -> onStreamEnded(generation, "the primary closed the stream"));
                  }
                });
    checkSynchronized();
    node.refreshDiagnostics();
  }

  /**
   * The server to try next: the one that last accepted this node (or the configured primary), then
   * in turn every other registered server, so that a secondary finds a newly promoted primary by
   * itself.
   */
  private Optional<NodeAddress> joinTarget() {
    List<NodeAddress> candidates = new ArrayList<>();
    if (preferredPrimary != null) {
      candidates.add(preferredPrimary);
    }
    for (Member m : node.members()) {
      if (!m.id().equals(node.settings().id()) && !candidates.contains(m.address())) {
        candidates.add(m.address());
      }
    }
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(candidates.get(Math.floorMod(joinRotation, candidates.size())));
  }

  /** A promotion candidate was granted an epoch: without a primary now, try it first. */
  public void preferCandidate(NodeAddress candidate) {
    if (subscription == null) {
      preferredPrimary = candidate;
      joinRotation = 0;
    }
  }

  // ---- the stream ---------------------------------------------------------------------

  private void onReplication(ReplicationMessage message, long generation) {
    if (generation != streamGeneration || node.isClosing() || closed) {
      return;
    }
    lastHeard = node.scheduler().now();
    long epoch = node.epochs().current();
    if (message.epoch() < epoch) {
      node.events()
          .warn(
              "ignored a message from epoch "
                  + message.epoch()
                  + "; this node is at epoch "
                  + epoch);
      restartStream("stale epoch");
      return;
    }
    node.epochs().adopt(message.epoch());
    primaryEpoch = message.epoch();
    try {
      if (message instanceof ReplicationMessage.Entries e) {
        applyEntries(e);
      } else if (message instanceof ReplicationMessage.SnapshotChunk c) {
        incoming.add(c).ifPresent(this::install);
      } else {
        primaryLatest = ((ReplicationMessage.Heartbeat) message).latest();
        // Divergence check: now and then, even when nothing changes, tell the primary this
        // node's fingerprint.
        if (!node.scheduler()
            .now()
            .isBefore(lastAckAt.plus(node.settings().heartbeatInterval().multipliedBy(5)))) {
          acknowledge();
        }
      }
    } catch (ClusterException e) {
      node.events()
          .error("could not apply what the primary sent (nothing was applied): " + e.getMessage());
      restartStream(e.getMessage());
      return;
    }
    checkSynchronized();
    node.refreshDiagnostics();
  }

  private void applyEntries(ReplicationMessage.Entries message) {
    ConfigSnapshot before = node.committed();
    if (!message.previous().equals(before.revision())) {
      restartStream(
          "the primary sent revisions after "
              + message.previous()
              + " but this node is at "
              + before.revision());
      return;
    }
    // Durable first, then visible: a crash in between replays the entries from the store.
    node.store().append(message.entries());
    History history = node.history();
    ConfigSnapshot state = before;
    for (LogEntry e : message.entries()) {
      state = e.diff().apply(state).atRevision(e.revision());
      history.record(e, state);
      node.log().remember(e); // should this node be promoted, it streams from here
    }
    history.prune(node.scheduler().now());
    node.setCommitted(state);
    node.setTip(state);
    node.divergence().continuedFrom(state, message.previous());
    ConfigDiff total = ConfigDiff.between(before, state);
    writeFiles(total);
    for (LogEntry e : message.entries()) {
      MDC.put("revision", e.revision().toString());
      NodeEvents.REPLICATION_LOG.info("applied {} ({})", e.revision(), e.origin());
    }
    node.notifyChanged(state, total);
    acknowledgeSoon();
  }

  /**
   * Why taking {@code primary}'s state (at {@code latest}, begun at {@code genesis}) would move
   * this node backwards: it is older than what this node holds, or began elsewhere. Empty if it may
   * be taken; a node that holds nothing yet takes any.
   */
  private Optional<String> wouldGoBackwards(NodeId primary, Revision latest, String genesis) {
    ConfigSnapshot mine = node.committed();
    if (mine.revision().equals(Revision.INITIAL)) {
      return Optional.empty();
    }
    NodeId self = node.settings().id();
    String myGenesis = EpochLineage.genesis(mine);
    if (latest.compareTo(mine.revision()) < 0) {
      return Optional.of(
          primary
              + " is at "
              + latest
              + " but this node "
              + self
              + " holds "
              + mine.revision()
              + ": "
              + primary
              + "'s state looks lost or restored from an old copy; restore it, or recover "
              + primary
              + " from "
              + self
              + " (`mailcluster recover --from "
              + self
              + "` on "
              + primary
              + ")");
    }
    if (!genesis.isEmpty() && !myGenesis.isEmpty() && !genesis.equals(myGenesis)) {
      return Optional.of(
          primary
              + " (at "
              + latest
              + ") holds a configuration that does not descend from this node's ("
              + self
              + " at "
              + mine.revision()
              + "): it was begun anew, so its state looks lost. Restore "
              + primary
              + "'s state directory, or recover "
              + primary
              + " from "
              + self
              + " (`mailcluster recover --from "
              + self
              + "` on "
              + primary
              + "); if "
              + self
              + " is the one that belongs elsewhere, stop it and move its state directory away");
    }
    return Optional.empty();
  }

  /** Reports a refused primary once per cause (ERROR), and keeps the reason for diagnostics. */
  private void refusedPrimary(String why) {
    if (!why.equals(refused)) {
      node.events().error("kept this node's configuration, nothing was applied: " + why);
    }
    refused = why;
    node.refreshDiagnostics();
  }

  /** Why this node refuses its primary's state, if it does. */
  public Optional<String> refusal() {
    return Optional.ofNullable(refused);
  }

  private void install(ConfigSnapshot received) {
    Optional<String> backwards =
        wouldGoBackwards(
            primaryId.orElse(node.settings().id()),
            received.revision(),
            EpochLineage.genesis(received));
    if (backwards.isPresent()) {
      refusedPrimary(backwards.get());
      restartStream(backwards.get());
      return;
    }
    // Before the old state is gone: save what the new primary never received.
    node.divergence().beforeInstalling(received);
    node.store().resetTo(received);
    ConfigSnapshot before = node.committed();
    node.setCommitted(received);
    node.setTip(received);
    node.log().resetTo(received.revision());
    node.history().reset(received, received.revision(), List.of());
    snapshotWaiters.forEach(f -> f.complete(null));
    snapshotWaiters.clear();
    confirmInstalled(received.revision());
    NodeEvents.REPLICATION_LOG.info(
        "installed snapshot {} ({} keys, fingerprint {})",
        received.revision(),
        received.size(),
        received.fingerprint());
    overwriteFiles("on resync");
    ConfigDiff diff = ConfigDiff.between(before, received);
    if (!diff.isEmpty()) {
      node.notifyChanged(received, diff);
    }
    acknowledge();
  }

  /** Tells the primary that this secondary installed a whole snapshot. */
  private void confirmInstalled(Revision revision) {
    primaryId.ifPresent(
        p ->
            node.ask(
                    p,
                    epoch -> new Request.SnapshotInstalled(revision, epoch),
                    node.settings().callDeadline())
                .whenComplete(
                    (answer, failure) -> {
                      if (failure != null) {
                        NodeEvents.REPLICATION_LOG.debug(
                            "could not confirm snapshot {} to {}: {}",
                            revision,
                            p,
                            failure.toString());
                      }
                    }));
  }

  /** A future completed once this node installs its next whole snapshot. */
  public CompletableFuture<Void> nextSnapshot() {
    CompletableFuture<Void> installed = new CompletableFuture<>();
    snapshotWaiters.add(installed);
    return installed;
  }

  private void acknowledgeSoon() {
    if (ackScheduled) {
      return; // the scheduled acknowledgement will carry this revision too
    }
    long since = node.scheduler().nanoTime() - lastAckNanos;
    if (!ackSent || since < 0 || since >= ACK_INTERVAL_NANOS) {
      acknowledge();
      return;
    }
    ackScheduled = true;
    node.scheduler()
        .schedule(
            Duration.ofNanos(ACK_INTERVAL_NANOS - since),
            () ->
                node.loop()
                    .withContext(
                        () -> {
                          ackScheduled = false;
                          if (!node.isClosing() && !closed && toPrimary != null) {
                            acknowledge();
                          }
                        }));
  }

  private void acknowledge() {
    lastAckAt = node.scheduler().now();
    lastAckNanos = node.scheduler().nanoTime();
    ackSent = true;
    ConfigSnapshot committed = node.committed();
    Request.Ack ack =
        new Request.Ack(
            node.settings().id(),
            node.epochs().current(),
            committed.revision(),
            committed.fingerprint(),
            filesWritten());
    toPrimary
        .call(ack, node.settings().callDeadline())
        .whenComplete(
            (r, failure) -> {
              if (failure != null) {
                NodeEvents.REPLICATION_LOG.debug(
                    "acknowledgement of {} not delivered: {}", ack.applied(), failure.toString());
              }
            });
  }

  private void checkSynchronized() {
    CompletableFuture<Void> synced = node.synced();
    ConfigSnapshot now = node.committed();
    if (!synced.isDone() && primaryLatest != null && now.revision().compareTo(primaryLatest) >= 0) {
      NodeEvents.CLUSTER_LOG.info(
          "initial synchronization complete at revision {}", now.revision());
      synced.complete(null);
      node.forEachListener(l -> l.initialSyncComplete(now));
    }
  }

  private void onStreamEnded(long generation, String why) {
    if (generation != streamGeneration || node.isClosing()) {
      return;
    }
    node.events().warn("replication stream from the primary ended: " + why);
    restartStream(why);
  }

  private void restartStream(String why) {
    NodeEvents.REPLICATION_LOG.debug("restarting the replication stream: {}", why);
    streamGeneration++;
    cancelStream();
    retryLater();
    node.refreshDiagnostics();
  }

  private void cancelStream() {
    if (subscription != null) {
      subscription.cancel();
      subscription = null;
    }
    incoming.reset();
  }

  private void retryLater() {
    failedAttempts++;
    long generation = streamGeneration;
    Duration delay = RETRY.jittered(failedAttempts - 1, node.settings().random());
    retryAt = node.scheduler().now().plus(delay);
    if (RETRY.ceiling(failedAttempts - 1).equals(RETRY.max())) {
      NodeEvents.CLUSTER_LOG.info(
          "still no primary after {} attempts; the next in {} ms",
          failedAttempts,
          delay.toMillis());
    }
    node.scheduler()
        .schedule(
            delay,
            () -> {
              if (generation == streamGeneration && !node.isClosing()) {
                node.loop().withContext(this::join);
              }
            });
  }

  /**
   * A registered server called this node. If it is the primary this node last followed, calling
   * with a current epoch while this node waits out its backoff, the way to it is open again: join
   * now rather than when the backoff ends (after a long outage the backoff reaches its ceiling, so
   * waiting could cost half a minute or more after the network healed).
   */
  public void heardFrom(NodeId peer, long epoch) {
    Instant now = node.scheduler().now();
    if (closed
        || subscription != null
        || retryAt == null
        || !primaryId.equals(Optional.of(peer))
        || epoch < node.epochs().current()
        || !retryAt.isAfter(now.plus(node.settings().heartbeatInterval()))) {
      return;
    }
    retryAt = null;
    streamGeneration++; // the scheduled retry is no longer wanted
    failedAttempts = 0;
    joinRotation = 0;
    node.member(peer).ifPresent(m -> preferredPrimary = NodeAddress.parse(m.address()));
    NodeEvents.CLUSTER_LOG.info(
        "{} called this node while it waited to retry: joining it now", peer);
    node.loop().execute(this::join);
  }

  /** Reconnects if the primary fell silent; every heartbeat interval. */
  public void checkLiveness() {
    Duration silence = node.settings().heartbeatInterval().multipliedBy(4);
    if (subscription != null && node.scheduler().now().isAfter(lastHeard.plus(silence))) {
      String why = "nothing heard from the primary for " + silence;
      node.events().warn(why + "; reconnecting (is the primary down, or the network between us?)");
      restartStream(why);
    }
  }

  /** Whether this node heard from its primary within four heartbeat intervals. */
  public boolean hearsPrimary() {
    return subscription != null
        && !node.scheduler()
            .now()
            .isAfter(lastHeard.plus(node.settings().heartbeatInterval().multipliedBy(4)));
  }

  // ---- host files ---------------------------------------------------------------------

  @Override
  public void onHostFileEdit(ConfigDiff external) {
    if (node.committed().revision().equals(Revision.INITIAL)) {
      return; // not synchronized yet: the first sync will write the primary's values
    }
    overwriteFiles("after a local edit");
  }

  /** Writes what {@code diff} changed in the state to the files, unless a retry is pending. */
  private void writeFiles(ConfigDiff diff) {
    if (node.files().source().isEmpty() || filesFailing != null) {
      // While a write fails, the retry writes the whole state, this change included.
      return;
    }
    try {
      node.files().apply(diff);
      filesWritten = node.committed().revision();
    } catch (ClusterException e) {
      filesFailed(e);
    }
  }

  /** The revision whose state the files hold, as acknowledged: at most the applied one. */
  private Revision filesWritten() {
    Revision applied = node.committed().revision();
    if (node.files().source().isEmpty() || filesFailing == null) {
      return applied;
    }
    // After a snapshot of another lineage, what the files hold may not precede what is applied.
    return filesWritten.compareTo(applied) <= 0 ? filesWritten : Revision.INITIAL;
  }

  /**
   * Writing the files failed: they keep what they had, the node is degraded, and the whole state is
   * written again with backoff until it succeeds (requirement S4).
   */
  private void filesFailed(ClusterException e) {
    fileFailures++;
    if (filesFailing == null) {
      String reason =
          "could not write the configuration files ("
              + e.getMessage()
              + "); they hold revision "
              + filesWritten
              + " and are written again until it succeeds";
      filesFailing = new Diagnostics.Degraded(reason, node.scheduler().now());
      node.events().error("degraded: " + reason);
      if (toPrimary != null) {
        acknowledge(); // the primary shows this node's files as behind
      }
      node.refreshDiagnostics();
    } else {
      NodeEvents.CLUSTER_LOG.debug(
          "writing the configuration files failed again ({} attempts): {}",
          fileFailures,
          e.getMessage());
    }
    fileRetry.schedule(
        fileFailures,
        () -> !closed && filesFailing != null,
        () -> overwriteFiles("after a failed write"));
  }

  /** Why this secondary is degraded now, if it is: writing its files fails. */
  public Optional<Diagnostics.Degraded> degraded() {
    return Optional.ofNullable(filesFailing);
  }

  /**
   * Writes the primary's values over whatever the files hold now, and reports what changed; a
   * failure leaves the node degraded and retrying.
   */
  private void overwriteFiles(String when) {
    if (node.files().source().isEmpty()) {
      return;
    }
    ConfigDiff overwrite;
    try {
      overwrite = node.files().overwrite(node.committed());
    } catch (ClusterException e) {
      filesFailed(e);
      return;
    }
    filesWritten = node.committed().revision();
    if (filesFailing != null) {
      Diagnostics.Degraded was = filesFailing;
      int attempts = fileFailures;
      filesFailing = null;
      fileFailures = 0;
      node.events()
          .info(
              "no longer degraded: the configuration files hold revision "
                  + filesWritten
                  + " again, after "
                  + attempts
                  + " failed attempt"
                  + (attempts == 1 ? "" : "s")
                  + " since "
                  + was.since());
      if (toPrimary != null) {
        acknowledge();
      }
      node.refreshDiagnostics();
      if (overwrite.isEmpty()) {
        return;
      }
      // What the retry wrote is the primary's state, not a local edit: log it, do not warn.
      NodeEvents.CLUSTER_LOG.info(
          "wrote {} key{} to the configuration files {}",
          overwrite.size(),
          overwrite.size() == 1 ? "" : "s",
          when);
      return;
    }
    if (overwrite.isEmpty()) {
      return;
    }
    for (ConfigDiff.Change c : overwrite.changes()) {
      NodeEvents.CLUSTER_LOG.warn(
          "overwrote a local edit {} on {}: {} (configuration is changed on the primary{})",
          when,
          node.settings().id(),
          c.render(),
          primaryId.map(p -> " " + p).orElse(""));
    }
    node.events()
        .record(
            "WARN",
            "overwrote "
                + overwrite.size()
                + " locally edited key"
                + (overwrite.size() == 1 ? "" : "s")
                + " "
                + when);
    node.forEachListener(l -> l.localEditOverwritten(overwrite));
  }

  // ---- where the primary is -----------------------------------------------------------

  /** The primary this node streams from (or last joined), if it knows one. */
  public Optional<NodeId> primary() {
    return primaryId;
  }

  /**
   * Where the primary is, as far as this node knows: the registered address of the primary it
   * follows; before it has joined one, the server registered as primary; else the server it tries
   * first (the configured primary, or the last one that accepted it).
   */
  public Optional<NodeAddress> primaryAddress() {
    return primaryId
        .flatMap(node::member)
        .map(m -> NodeAddress.parse(m.address()))
        .or(
            () ->
                primaryId.isPresent()
                    ? Optional.empty()
                    : node.members().stream()
                        .filter(m -> m.role() == Role.PRIMARY)
                        .map(Member::address)
                        .findFirst())
        .or(() -> Optional.ofNullable(preferredPrimary));
  }

  /** Why a configuration write is refused here, naming the primary. */
  public ClusterException notPrimary() {
    String primary =
        primaryId.map(NodeId::toString).orElse("the primary")
            + primaryAddress().map(a -> " (" + a + ")").orElse("");
    return new ClusterException(
        ErrorCode.NOT_PRIMARY,
        "configuration is read-only on "
            + node.settings().id()
            + " (a secondary): change it on "
            + primary);
  }

  /** How this node is connected to {@code peer}, if that is its primary. */
  public Optional<String> connectionTo(NodeId peer) {
    if (!primaryId.equals(Optional.of(peer))) {
      return Optional.empty();
    }
    return Optional.of(subscription != null ? "streaming" : "disconnected");
  }

  /** The channel to the primary, for its round trip in diagnostics; null before the first join. */
  public PeerChannel channelToPrimary() {
    return toPrimary;
  }

  @Override
  public void close(ClusterException why) {
    closed = true;
    streamGeneration++;
    cancelStream();
    snapshotWaiters.forEach(f -> f.completeExceptionally(why));
    snapshotWaiters.clear();
  }
}
