package org.mailcluster.internal.replication;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
 *
 * <p>Each concern of the role has its own class beside it: {@link JoinTargets} (which server to
 * join), {@link Acknowledgements} (what the primary is told), {@link SnapshotInstall} (a whole
 * snapshot received), {@link PrimaryRefusal} (a primary's state that would move this node
 * backwards), {@link SecondaryFiles} (the host's files) and {@link OtherPrimaryClaims} (split brain
 * seen from here). This class ties them to the link and the stream.
 */
public final class SecondaryRole implements RoleState {
  private static final Backoff RETRY = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));

  private final NodeCore node;
  private final JoinTargets targets;
  private final PrimaryRefusal refusal;
  private final SecondaryFiles files;
  private final Acknowledgements acks;
  private final SnapshotInstall snapshots;
  private final OtherPrimaryClaims otherClaims;
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
  private boolean closed;

  /** Takes the secondary's role, trying {@code preferredPrimary} first (may be null). */
  public SecondaryRole(NodeCore node, NodeAddress preferredPrimary) {
    this.node = node;
    this.targets = new JoinTargets(node, preferredPrimary);
    this.refusal = new PrimaryRefusal(node);
    this.otherClaims = new OtherPrimaryClaims(node);
    this.files = new SecondaryFiles(node, () -> closed, this::acknowledgeIfJoined, () -> primaryId);
    this.acks = new Acknowledgements(node, () -> toPrimary, () -> closed, files::written);
    this.snapshots =
        new SnapshotInstall(node, refusal, files, acks, () -> primaryId, this::restartStream);
  }

  // The primary shows what this node's files hold from its acknowledgements.
  private void acknowledgeIfJoined() {
    if (toPrimary != null) {
      acks.now();
    }
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
                files.overwrite("while this node was down");
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
    Optional<NodeAddress> target = targets.next();
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
                          targets.prefer(address);
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
      refusal.refused("join refused by " + address + ": " + e.getMessage());
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
    targets.failed();
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
    targets.askForThePrimary(
        notPrimary,
        () -> closed || node.isClosing() || subscription != null,
        () -> {
          if (generation == streamGeneration && retryAt != null) {
            streamGeneration++; // the scheduled retry is no longer wanted
            node.loop().execute(this::join);
          }
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
    otherClaims.claimed(peer, epoch, primaryId.get());
  }

  private void onJoined(Response.Joined joined, long generation) {
    Optional<String> backwards =
        refusal.wouldGoBackwards(joined.primary(), joined.latest(), joined.genesis());
    if (backwards.isPresent()) {
      // Keep what this node holds and ask again later: the primary may be recovered meanwhile (it
      // then calls, and this node joins at once).
      primaryId = Optional.of(joined.primary());
      refusal.refused(backwards.get());
      retryLater();
      return;
    }
    if (!mayTake(joined.epoch(), joined.primary())) {
      retryLater(); // joined again once the claim is settled
      return;
    }
    refusal.clear();
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
   * Whether this node may take {@code epoch} from the primary it joined: one it has seen or granted
   * itself, or any while its state names no servers (a new node takes its primary's). A higher one
   * is checked as a claim (see {@code RoleChange.claimed}).
   */
  private boolean mayTake(long epoch, NodeId primary) {
    if (epoch <= node.epochs().highest() || node.members().isEmpty()) {
      return true;
    }
    node.roleChange().claimed(epoch, primary);
    return false;
  }

  /** A promotion candidate was granted an epoch: without a primary now, try it first. */
  public void preferCandidate(NodeAddress candidate) {
    if (subscription == null) {
      targets.prefer(candidate);
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
    if (message.epoch() > epoch) {
      // The epoch a stream carries was checked when this node joined it: a higher one now is a
      // claim like any other, taken once a majority vouches for it.
      primaryId.ifPresent(p -> node.roleChange().claimed(message.epoch(), p));
      restartStream("a higher epoch to check");
      return;
    }
    primaryEpoch = message.epoch();
    try {
      if (message instanceof ReplicationMessage.Entries e) {
        applyEntries(e);
      } else if (message instanceof ReplicationMessage.SnapshotChunk c) {
        snapshots.add(c);
      } else {
        primaryLatest = ((ReplicationMessage.Heartbeat) message).latest();
        // Divergence check: now and then, even when nothing changes, tell the primary this
        // node's fingerprint.
        if (acks.fingerprintDue()) {
          acks.now();
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
    files.write(total);
    for (LogEntry e : message.entries()) {
      MDC.put("revision", e.revision().toString());
      NodeEvents.REPLICATION_LOG.info("applied {} ({})", e.revision(), e.origin());
    }
    node.notifyChanged(state, total);
    acks.soon();
  }

  /** Why this node refuses its primary's state, if it does. */
  public Optional<String> refusal() {
    return refusal.reason();
  }

  /** A future completed once this node installs its next whole snapshot. */
  public CompletableFuture<Void> nextSnapshot() {
    return snapshots.next();
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
    snapshots.reset();
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
    targets.startOver(node.member(peer).map(m -> NodeAddress.parse(m.address())));
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
    files.overwrite("after a local edit");
  }

  /** Why this secondary is degraded now, if it is: writing its files fails. */
  public Optional<Diagnostics.Degraded> degraded() {
    return files.degraded();
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
        .or(targets::preferred);
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
    snapshots.close(why);
  }
}
