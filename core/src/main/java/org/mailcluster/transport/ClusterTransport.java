package org.mailcluster.transport;

import org.mailcluster.Role;
import org.mailcluster.membership.NodeAddress;

/**
 * How a node talks to the others: it serves the local {@link InboundHandler} and opens {@link
 * PeerChannel}s. The contract every implementation keeps is in the {@linkplain
 * org.mailcluster.transport package description}.
 *
 * <pre>{@code
 * transport.start(node.inboundHandler());
 * PeerChannel toPrimary = transport.connect(primaryAddress);
 * }</pre>
 */
public interface ClusterTransport extends AutoCloseable {
  /**
   * Starts serving inbound calls; may be called once.
   *
   * @throws org.mailcluster.ClusterException with {@code UNAVAILABLE} if the address cannot be
   *     bound
   */
  void start(InboundHandler handler);

  /** Returns the address this transport serves on (once started). */
  NodeAddress localAddress();

  /** Opens a channel to a peer; connecting is lazy, so this does not fail if the peer is down. */
  PeerChannel connect(NodeAddress peer);

  /**
   * Tells the transport which role the local node plays now, so that it can advertise it (the gRPC
   * transport reports it through the standard health service, for load balancers that send remote
   * administration to the primary). The node calls it when it starts and whenever its role changes;
   * transports that advertise nothing ignore it.
   */
  default void advertise(Role role) {}

  /** Stops serving, draining in-flight streams, and closes every channel. Idempotent. */
  @Override
  void close();
}
