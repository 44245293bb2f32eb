package org.mailcluster.internal.replication;

import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.ServerStream;

/**
 * One secondary's replication stream on the primary and how far it has been sent: the revision sent
 * last, and the snapshot being sent in chunks, if any. Loop-confined.
 */
final class Subscriber {
  final NodeId node;
  final ServerStream<ReplicationMessage> stream;
  Revision sent;
  boolean forceSnapshot;
  Revision snapshotSent;
  Iterator<Map.Entry<String, String>> snapshotKeys;
  // A key taken from snapshotKeys that did not fit in the last chunk: the next chunk starts with
  // it.
  Map.Entry<String, String> nextKey;
  ConfigSnapshot snapshotInFlight;
  int chunkIndex;
  // Whether the way to catch up (entries or a snapshot) was chosen for this stream yet.
  boolean catchUpChosen;
  Instant lastSentAt = Instant.EPOCH;
  // Where the secondary's process calls from, and when it was last heard from there (subscribe,
  // acknowledgements): a second process with the same id is told apart by its address.
  final String remoteAddress;
  Instant lastHeard;

  Subscriber(
      NodeId node,
      ServerStream<ReplicationMessage> stream,
      Revision sent,
      String remoteAddress,
      Instant now) {
    this.node = node;
    this.stream = stream;
    this.sent = sent;
    this.remoteAddress = remoteAddress;
    this.lastHeard = now;
  }

  boolean sendingSnapshot() {
    return snapshotKeys != null;
  }
}
