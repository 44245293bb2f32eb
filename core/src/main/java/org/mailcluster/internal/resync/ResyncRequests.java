package org.mailcluster.internal.resync;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.ClusterException;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.NodeId;

/**
 * On the primary: the secondaries that an operator or a fingerprint mismatch asked to resync, and
 * who waits for each. A request is answered only by a whole snapshot that the secondary confirms it
 * installed; an acknowledgement cannot say it (one sent just before the snapshot arrived carries
 * the same revision and fingerprint). Loop-confined.
 */
public final class ResyncRequests {
  private final Set<NodeId> requested = new HashSet<>();
  private final Map<NodeId, List<CompletableFuture<Void>>> waiters = new HashMap<>();

  /** Marks {@code node} as due a full snapshot. */
  public void request(NodeId node) {
    requested.add(node);
  }

  /** Whether {@code node} is due a full snapshot. */
  public boolean isRequested(NodeId node) {
    return requested.contains(node);
  }

  /** A future completed once {@code node} confirms a requested snapshot. */
  public CompletableFuture<Void> waitFor(NodeId node) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    waiters.computeIfAbsent(node, k -> new ArrayList<>()).add(done);
    return done;
  }

  /** {@code node} installed the snapshot of {@code at} it was sent after its request. */
  public void complete(NodeId node, Revision at) {
    if (!requested.remove(node)) {
      return;
    }
    NodeEvents.CLUSTER_LOG.info("node {} was resynchronized by a full snapshot at {}", node, at);
    List<CompletableFuture<Void>> waiting = waiters.remove(node);
    if (waiting != null) {
      waiting.forEach(f -> f.complete(null));
    }
  }

  /** Forgets every request and fails everyone waiting with {@code why}. */
  public void failAll(ClusterException why) {
    requested.clear();
    waiters.values().forEach(waiting -> waiting.forEach(f -> f.completeExceptionally(why)));
    waiters.clear();
  }
}
