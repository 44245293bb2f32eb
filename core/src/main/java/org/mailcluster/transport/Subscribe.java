package org.mailcluster.transport;

import static java.util.Objects.requireNonNull;

import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeId;

/**
 * A secondary opens its replication stream: the primary answers with the revisions after {@code
 * lastApplied} if its log still holds them, otherwise with a snapshot followed by revisions, and
 * then with every new revision as it is committed.
 *
 * <pre>{@code
 * channel.subscribe(new Subscribe(self, epoch, store.lastRevision()), observer);
 * }</pre>
 *
 * @param node the subscribing secondary
 * @param epoch the highest epoch it has seen
 * @param lastApplied the last revision it applied durably
 */
public record Subscribe(NodeId node, long epoch, Revision lastApplied) {
  /** Checks the parts. */
  public Subscribe {
    requireNonNull(node, "node");
    requireNonNull(lastApplied, "lastApplied");
    MessageLimits.epoch("Subscribe.epoch", epoch);
  }
}
