package org.mailcluster.internal.node;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.ClusterTransport;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;

/**
 * The channels this node opened to other servers: one per address for calls (kept open, so the
 * transport can measure round trips for diagnostics), and those a secondary opened to join a
 * primary. Closed with the node.
 */
public final class Peers {
  private final ClusterTransport transport;
  private final Map<NodeAddress, PeerChannel> calls = new ConcurrentHashMap<>();
  // Loop-confined.
  private final Map<NodeAddress, PeerChannel> joins = new HashMap<>();

  Peers(ClusterTransport transport) {
    this.transport = transport;
  }

  /** The channel for calls to {@code address}, opened on first use. */
  public PeerChannel channel(NodeAddress address) {
    return calls.computeIfAbsent(address, transport::connect);
  }

  /** The channel to join a primary at {@code address}, opened on first use. On the loop. */
  public PeerChannel joinChannel(NodeAddress address) {
    return joins.computeIfAbsent(address, transport::connect);
  }

  /** The channel for calls to {@code address}, if one is open. */
  Optional<PeerChannel> existing(NodeAddress address) {
    return Optional.ofNullable(calls.get(address));
  }

  /**
   * Sends a request to the server registered as {@code target} at {@code address}; never throws,
   * the future fails instead.
   */
  CompletableFuture<Response> send(
      NodeId target, Optional<NodeAddress> address, Request request, Duration deadline) {
    if (address.isEmpty()) {
      return CompletableFuture.failedFuture(
          new ClusterException(
              ErrorCode.INVALID_VALUE,
              target + " is not a registered server: add it with addServer first"));
    }
    try {
      return channel(address.get()).call(request, deadline);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  void close() {
    joins.values().forEach(PeerChannel::close);
    joins.clear();
    calls.values().forEach(PeerChannel::close);
    calls.clear();
  }
}
