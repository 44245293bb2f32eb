package org.mailcluster.internal.replication;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.internal.membership.CallerAddresses;
import org.mailcluster.internal.membership.MemberRecord;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.PeerIdentity;

/**
 * Tells a second process that calls with a node's id apart from that node: one at another address
 * while the stream of the first is alive, or one at an address that is not the registered host's.
 * Each such process is reported as an error at most once a minute per id and address, and in the
 * cluster log otherwise. Loop-confined.
 */
final class DuplicateCallers {
  // A secondary's stream counts as alive while its process was heard from within this many
  // heartbeat intervals (an idle secondary acknowledges every five): a call with its id from
  // another address is then a second process, not a reconnect.
  private static final int QUIET_HEARTBEATS = 8;
  private static final Duration DUPLICATE_REPORT_INTERVAL = Duration.ofMinutes(1);

  private final NodeCore node;
  private final Function<NodeId, Subscriber> streams;
  private final CallerAddresses callers;
  // When a second process with a connected node's id was last reported, by id and address.
  private final Map<String, Instant> duplicatesReported = new HashMap<>();

  /** Checks callers against {@code streams}, the connected subscriber of each node (or null). */
  DuplicateCallers(NodeCore node, Function<NodeId, Subscriber> streams) {
    this.node = node;
    this.streams = streams;
    this.callers =
        new CallerAddresses(node.settings().resolver(), node.settings().storageExecutor());
  }

  /**
   * Refuses a call with {@code peer}'s id from a second process. A reconnect from the same address,
   * or after the old stream went quiet, passes.
   *
   * @throws ClusterException with {@code DUPLICATE_NODE_ID}
   */
  void check(NodeId peer, PeerIdentity from) {
    Subscriber current = streams.apply(peer);
    Instant now = node.scheduler().now();
    String caller = CallerAddresses.shown(from.remoteAddress());
    if (current != null && !current.remoteAddress.equals(from.remoteAddress())) {
      Duration quiet = node.settings().heartbeatInterval().multipliedBy(QUIET_HEARTBEATS);
      if (!now.isAfter(current.lastHeard.plus(quiet))) {
        throw duplicate(
            peer,
            from,
            peer
                + " is already connected from "
                + CallerAddresses.shown(current.remoteAddress)
                + ": refused a second process with its id at "
                + caller
                + ". Stop that process, or give it a node id and certificate of its own"
                + " (mailcluster certs) and register it; the connected one keeps its stream");
      }
    }
    Optional<MemberRecord> record = node.member(peer);
    if (record.isEmpty()) {
      return;
    }
    NodeAddress registered;
    try {
      registered = NodeAddress.parse(record.get().address());
    } catch (IllegalArgumentException e) {
      return;
    }
    CallerAddresses.Match match =
        callers.compare(
            registered,
            from.remoteAddress(),
            warning -> node.loop().execute(() -> node.events().warn(warning)));
    if (match == CallerAddresses.Match.OTHER_HOST) {
      throw duplicate(
          peer,
          from,
          peer
              + " is registered at "
              + registered
              + " but a process with its id called from "
              + caller
              + ": refused. Stop that process or give it an id and certificate of its own; if "
              + peer
              + " moved, register it again at its new address");
    }
  }

  /**
   * Refuses an acknowledgement with {@code peer}'s id from another address than its stream's.
   *
   * @throws ClusterException with {@code DUPLICATE_NODE_ID}
   */
  void checkAcknowledgement(NodeId peer, PeerIdentity from) {
    Subscriber s = streams.apply(peer);
    if (s != null && !s.remoteAddress.equals(from.remoteAddress())) {
      throw new ClusterException(
          ErrorCode.DUPLICATE_NODE_ID,
          peer
              + " is connected from "
              + CallerAddresses.shown(s.remoteAddress)
              + ": an acknowledgement from "
              + CallerAddresses.shown(from.remoteAddress())
              + " with its id was not taken");
    }
  }

  private ClusterException duplicate(NodeId peer, PeerIdentity from, String message) {
    String key = peer + " " + from.remoteAddress();
    Instant now = node.scheduler().now();
    Instant last = duplicatesReported.get(key);
    if (last == null || !now.isBefore(last.plus(DUPLICATE_REPORT_INTERVAL))) {
      duplicatesReported.values().removeIf(t -> now.isAfter(t.plus(DUPLICATE_REPORT_INTERVAL)));
      duplicatesReported.put(key, now);
      node.events().error(message);
    } else {
      NodeEvents.CLUSTER_LOG.warn(message);
    }
    return new ClusterException(ErrorCode.DUPLICATE_NODE_ID, message);
  }
}
