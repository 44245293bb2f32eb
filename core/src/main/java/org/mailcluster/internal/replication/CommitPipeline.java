package org.mailcluster.internal.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.internal.history.History;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.internal.services.ConstraintService;
import org.mailcluster.spi.LogEntry;
import org.slf4j.MDC;

/**
 * The primary's commit path: validate a change, give it the next revision, append it to the durable
 * log together with the other commits of the same group (one fsync for all of them), then make it
 * visible, write it to the host's files, tell the listeners and complete its future.
 *
 * <p>Invariants: the node's {@code committed} state is always durable in the store; {@code tip} is
 * {@code committed} plus the commits of the current group, which become visible only once the group
 * is durable, and a revision is acknowledged to its caller only after that.
 */
final class CommitPipeline {
  private record PendingCommit(
      LogEntry entry, ConfigSnapshot state, CompletableFuture<Revision> done) {}

  private final NodeCore node;
  private final Runnable afterFlush;
  private final BiConsumer<ConfigDiff, ClusterException> filesNotWritten;
  private final List<PendingCommit> group = new ArrayList<>();
  private final StateSizes sizes;
  private boolean flushScheduled;
  private int commitsSinceSnapshot;

  CommitPipeline(
      NodeCore node,
      Runnable afterFlush,
      BiConsumer<ConfigDiff, ClusterException> filesNotWritten) {
    this.node = node;
    this.afterFlush = afterFlush;
    this.filesNotWritten = filesNotWritten;
    this.sizes = new StateSizes(node.settings().limits());
  }

  CompletableFuture<Revision> commit(String origin, Map<String, Optional<String>> changes) {
    if (node.isClosing()) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE,
          "node " + node.settings().id() + " is shutting down; retry on restart");
    }
    ConfigSnapshot tip = node.tip();
    // Limits first: a value over its limit is not even validated.
    sizes.check(tip, changes, origin);
    ConfigSnapshot next = tip;
    for (Map.Entry<String, Optional<String>> c : changes.entrySet()) {
      String key = c.getKey();
      checkKey(key);
      if (c.getValue().isPresent()) {
        String value = c.getValue().get();
        node.settings().registry().validate(key, value);
        ConstraintService.check(node.settings().registry(), key, value);
        next = next.with(key, value);
      } else {
        next = next.without(key);
      }
    }
    ConfigDiff diff = ConfigDiff.between(tip, next);
    if (diff.isEmpty()) {
      sizes.counted(tip);
      return group.isEmpty()
          ? CompletableFuture.completedFuture(node.committed().revision())
          : group.get(group.size() - 1).done().copy();
    }
    long epoch = node.epochs().current();
    Revision revision =
        tip.revision().epoch() < epoch ? Revision.of(epoch, 1) : tip.revision().next();
    ConfigSnapshot state = next.atRevision(revision);
    node.setTip(state);
    sizes.counted(state);
    PendingCommit p =
        new PendingCommit(
            new LogEntry(revision, node.scheduler().now(), origin, diff),
            state,
            new CompletableFuture<>());
    group.add(p);
    if (!flushScheduled) {
      flushScheduled = true;
      // Commits that arrive before this task runs join the group: one fsync for all of them.
      node.scheduler().execute(this::flush);
    }
    return p.done();
  }

  boolean hasPending() {
    return !group.isEmpty();
  }

  void flush() {
    flushScheduled = false;
    if (group.isEmpty()) {
      return;
    }
    List<PendingCommit> batch = List.copyOf(group);
    group.clear();
    try {
      node.store().append(batch.stream().map(PendingCommit::entry).toList());
    } catch (RuntimeException e) {
      node.setTip(node.committed());
      ClusterException failure =
          e instanceof ClusterException ce
              ? ce
              : new ClusterException(
                  ErrorCode.STORAGE_FAILURE,
                  "could not store revisions " + batch.get(0).entry().revision() + "..: " + e,
                  e);
      node.events().error("commit failed, nothing was applied: " + failure.getMessage());
      batch.forEach(p -> p.done().completeExceptionally(failure));
      return;
    }
    History history = node.history();
    for (PendingCommit p : batch) {
      node.setCommitted(p.state());
      node.log().remember(p.entry());
      history.record(p.entry(), p.state());
      MDC.put("revision", p.state().revision().toString());
      NodeEvents.REPLICATION_LOG.info(
          "committed {} ({}, {} change{})",
          p.entry().revision(),
          p.entry().origin(),
          p.entry().diff().size(),
          p.entry().diff().size() == 1 ? "" : "s");
      try {
        node.files().apply(p.entry().diff());
      } catch (ClusterException e) {
        filesNotWritten.accept(p.entry().diff(), e);
      }
      node.notifyChanged(p.state(), p.entry().diff());
      p.done().complete(p.entry().revision());
    }
    history.prune(node.scheduler().now());
    commitsSinceSnapshot += batch.size();
    if (commitsSinceSnapshot >= node.settings().snapshotInterval()) {
      commitsSinceSnapshot = 0;
      try {
        node.store().saveSnapshot(node.committed());
        // The store may now trim its log; on restart, history is rebuilt from this revision on
        // as far as the log still reaches back.
        node.store().writeMetadata(History.BASE_METADATA, history.base().toString());
      } catch (RuntimeException e) {
        node.events()
            .warn("could not store a snapshot (the log keeps growing until one succeeds): " + e);
      }
    }
    afterFlush.run();
  }

  private static void checkKey(String key) {
    try {
      SettingKey.parse(key);
    } catch (IllegalArgumentException e) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE, "'" + key + "' is not a valid key: " + e.getMessage(), e);
    }
  }
}
