package org.mailcluster.internal.replication;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.mailcluster.ClusterException;
import org.mailcluster.Diagnostics;
import org.mailcluster.ErrorCode;
import org.mailcluster.HeldBackChange;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.membership.MemberRecord;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.internal.node.NodeLoop;
import org.mailcluster.membership.NodeId;

/**
 * The primary's side of the host's files when the state store or the disk fails: a commit of what
 * the files hold (an edit, or this node's start) that the store refused stays pending and is
 * retried with backoff until it is committed; committed keys that could not be written to this
 * node's own files are written again until they are. Either makes the node degraded meanwhile. Also
 * commits a held-back change an operator confirmed. Loop-confined.
 */
final class PrimaryFiles {
  private static final Backoff COMMIT_RETRY =
      new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));

  /** How a change is committed: the primary's own commit, with its refusals. */
  @FunctionalInterface
  interface Commit {
    CompletableFuture<Revision> commit(String origin, Map<String, Optional<String>> changes);
  }

  private final NodeCore node;
  private final FileGuard guard;
  private final Commit commit;
  private final BooleanSupplier closed;
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

  PrimaryFiles(NodeCore node, FileGuard guard, Commit commit, BooleanSupplier closed) {
    this.node = node;
    this.guard = guard;
    this.commit = commit;
    this.closed = closed;
    this.fileRetry = new FileRetry(node);
  }

  /** Whether a refused commit of the files is pending: its retry takes what they hold then. */
  boolean editPending() {
    return pendingEdit != null;
  }

  /** Commits the (screened) changes of a file edit; a refusal by the store leaves them pending. */
  void commitEdit(Map<String, Optional<String>> changes) {
    try {
      commit
          .commit("file edit", changes)
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

  static boolean isStorageFailure(Throwable failure) {
    return NodeLoop.unwrap(failure) instanceof ClusterException ce
        && ce.code() == ErrorCode.STORAGE_FAILURE;
  }

  /**
   * The store refused a commit of what the files hold: it stays pending, the node is degraded, and
   * the commit is retried with backoff until the store accepts it.
   */
  void commitFailed(String what, Throwable failure) {
    if (closed.getAsBoolean()) {
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
    if (closed.getAsBoolean() || pendingEdit == null) {
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
      done = commit.commit("file edit (retried)", changes);
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
   * Why the primary is degraded now: a commit the store refused is pending, or committed values
   * could not be written to its own files.
   */
  List<Diagnostics.Degraded> degraded() {
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
   * with what the state holds for them then.
   */
  void filesNotWritten(ConfigDiff diff, ClusterException e) {
    for (ConfigDiff.Change c : diff.changes()) {
      if (node.files().isReplicable(c.key())) {
        unwritten.add(c.key());
      }
    }
    if (unwritten.isEmpty() || closed.getAsBoolean()) {
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
    fileRetry.schedule(fileFailures, () -> !closed.getAsBoolean(), this::rewriteFiles);
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

  /**
   * Commits the held-back change of {@code file} as an operator confirmed it; its history origin
   * says so and names {@code caller}. A change that cannot be committed stays held back.
   *
   * @throws ClusterException with {@code INVALID_VALUE} if nothing of that file is held back
   */
  CompletableFuture<Revision> confirmHeldBack(String file, String caller) {
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
      done = commit.commit("held back:" + name + " confirmed by " + caller, changes);
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

  /** The role is left: no retry runs any more, and nothing is shown as pending. */
  void close() {
    commitRetryGeneration++;
    pendingEdit = null;
    unwritten.clear();
    filesFailing = null;
  }
}
