package org.mailcluster.internal.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.mailcluster.ClusterException;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.epoch.EpochLineage;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;

/**
 * A whole snapshot a secondary receives from its primary: its chunks assembled, then, unless it
 * would move this node backwards, installed in place of the node's state (what the primary never
 * received saved first), written over the host's files and confirmed to the primary. Callers of a
 * resync of this node wait for it. Loop-confined.
 */
final class SnapshotInstall {
  private final NodeCore node;
  private final PrimaryRefusal refusal;
  private final SecondaryFiles files;
  private final Acknowledgements acks;
  private final Supplier<Optional<NodeId>> primary;
  private final Consumer<String> restartStream;
  private final SnapshotAssembly incoming = new SnapshotAssembly();
  // Callers of a resync of this node itself, until the next snapshot is installed.
  private final List<CompletableFuture<Void>> snapshotWaiters = new ArrayList<>();

  /**
   * Snapshots from {@code primary} (empty before one is known); a refused one makes the stream
   * restart through {@code restartStream}, with why.
   */
  SnapshotInstall(
      NodeCore node,
      PrimaryRefusal refusal,
      SecondaryFiles files,
      Acknowledgements acks,
      Supplier<Optional<NodeId>> primary,
      Consumer<String> restartStream) {
    this.node = node;
    this.refusal = refusal;
    this.files = files;
    this.acks = acks;
    this.primary = primary;
    this.restartStream = restartStream;
  }

  /** Takes the next chunk; installs the snapshot once it is whole. */
  void add(ReplicationMessage.SnapshotChunk chunk) {
    incoming.add(chunk).ifPresent(this::install);
  }

  /** The stream ended: a snapshot in progress starts over on the next one. */
  void reset() {
    incoming.reset();
  }

  /** A future completed once this node installs its next whole snapshot. */
  CompletableFuture<Void> next() {
    CompletableFuture<Void> installed = new CompletableFuture<>();
    snapshotWaiters.add(installed);
    return installed;
  }

  /** The role is left: every waiter fails with {@code why}. */
  void close(ClusterException why) {
    snapshotWaiters.forEach(f -> f.completeExceptionally(why));
    snapshotWaiters.clear();
  }

  private void install(ConfigSnapshot received) {
    Optional<String> backwards =
        refusal.wouldGoBackwards(
            primary.get().orElse(node.settings().id()),
            received.revision(),
            EpochLineage.genesis(received));
    if (backwards.isPresent()) {
      refusal.refused(backwards.get());
      restartStream.accept(backwards.get());
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
    files.overwrite("on resync");
    ConfigDiff diff = ConfigDiff.between(before, received);
    if (!diff.isEmpty()) {
      node.notifyChanged(received, diff);
    }
    acks.now();
  }

  /** Tells the primary that this secondary installed a whole snapshot. */
  private void confirmInstalled(Revision revision) {
    primary
        .get()
        .ifPresent(
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
}
