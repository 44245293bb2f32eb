package org.mailcluster.internal.epoch;

import org.mailcluster.Role;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.StateStore;

/**
 * The epochs a node knows, kept durable in its store's metadata: the highest it has seen (every
 * message carries the sender's, and a primary that meets a higher one was replaced), and the
 * highest it granted to a promotion candidate (the vote it may not give twice). Loop-confined.
 */
public final class Epochs {
  static final String EPOCH_METADATA = "epoch.highest";
  static final String ROLE_METADATA = "role";
  static final String PROMISED_METADATA = "epoch.promised";

  private final StateStore store;
  private long epoch;
  private long promised;

  /** Binds the store that keeps them. */
  public Epochs(StateStore store) {
    this.store = store;
  }

  /**
   * Reads what the store kept on start, given the recovered state's revision: the epoch is at least
   * that revision's, and a primary starts at epoch 1 at the least.
   *
   * @return the role the node last took, or {@code configured} if it never changed
   */
  public Role recover(Revision recovered, Role configured) {
    Role role = store.readMetadata(ROLE_METADATA).map(Role::valueOf).orElse(configured);
    promised =
        store.readMetadata(PROMISED_METADATA).map(v -> Long.parseLong(v.split(" ")[0])).orElse(0L);
    long stored = store.readMetadata(EPOCH_METADATA).map(Long::parseLong).orElse(recovered.epoch());
    epoch = Math.max(stored, recovered.epoch());
    if (role == Role.PRIMARY && epoch == 0) {
      epoch = 1;
      store.writeMetadata(EPOCH_METADATA, "1");
    }
    return role;
  }

  /** The highest epoch this node has seen. */
  public long current() {
    return epoch;
  }

  /** The highest epoch this node has seen or granted. */
  public long highest() {
    return Math.max(epoch, promised);
  }

  long promised() {
    return promised;
  }

  /** Remembers a higher epoch seen in a message; a lower or equal one changes nothing. */
  public void adopt(long seen) {
    if (seen > epoch) {
      epoch = seen;
      store.writeMetadata(EPOCH_METADATA, Long.toString(seen));
      NodeEvents.CLUSTER_LOG.info("now at epoch {}", seen);
    }
  }

  /** Grants {@code wanted} to {@code candidate}: no other candidate gets it from this node. */
  void promise(long wanted, NodeId candidate) {
    promised = wanted;
    store.writeMetadata(PROMISED_METADATA, wanted + " " + candidate);
  }

  /** This node was promoted into {@code newEpoch}. */
  void promoted(long newEpoch) {
    epoch = newEpoch;
    store.writeMetadata(EPOCH_METADATA, Long.toString(newEpoch));
    store.writeMetadata(ROLE_METADATA, Role.PRIMARY.name());
  }

  /** This node's role on its next start is {@code role}. */
  void recordRole(Role role) {
    store.writeMetadata(ROLE_METADATA, role.name());
  }
}
