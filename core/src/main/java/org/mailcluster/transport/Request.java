package org.mailcluster.transport;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;

/**
 * A unary call from one node to another. The set is closed so that every transport maps every
 * message; each request states which {@link Response} answers it.
 *
 * <pre>{@code
 * channel.call(new Request.Ping(scheduler.now()), Duration.ofSeconds(2))
 *     .thenAccept(r -> clock.sample((Response.Pong) r, scheduler.now()));
 * }</pre>
 */
public sealed interface Request {
  /** The epoch the sender has seen: receivers refuse requests from a lower epoch than theirs. */
  long epoch();

  /**
   * A secondary asks to join (answered by {@link Response.Joined}). The primary checks protocol and
   * product versions (they must be equal) and that the licence-key fingerprint is unique.
   *
   * @param node the joining node's id
   * @param address where the joining node listens
   * @param protocolVersion the wire protocol version the node speaks
   * @param productVersion the mail server's version, e.g. {@code 23.5.2}
   * @param licenceFingerprint a hash of the node's licence key; the key never travels
   * @param epoch the highest epoch the node has seen
   */
  record Join(
      NodeId node,
      NodeAddress address,
      int protocolVersion,
      String productVersion,
      String licenceFingerprint,
      long epoch)
      implements Request {
    /** Checks the parts. */
    public Join {
      requireNonNull(node, "node");
      requireNonNull(address, "address");
      requireNonNull(productVersion, "productVersion");
      requireNonNull(licenceFingerprint, "licenceFingerprint");
    }
  }

  /**
   * A secondary reports what it has applied (answered by {@link Response.Acknowledged}).
   *
   * @param node the reporting node
   * @param epoch the epoch the node has seen
   * @param applied the last revision it applied durably
   * @param fingerprint the fingerprint of its state at that revision (divergence check)
   */
  record Ack(NodeId node, long epoch, Revision applied, Fingerprint fingerprint)
      implements Request {
    /** Checks the parts. */
    public Ack {
      requireNonNull(node, "node");
      requireNonNull(applied, "applied");
      requireNonNull(fingerprint, "fingerprint");
    }
  }

  /**
   * A clock sample (answered by {@link Response.Pong}): the sender's time when it sent this.
   *
   * @param sentAt the sender's wall-clock time at sending (NTP's t1)
   * @param epoch the epoch the sender has seen
   */
  record Ping(Instant sentAt, long epoch) implements Request {
    /** Checks the parts. */
    public Ping {
      requireNonNull(sentAt, "sentAt");
    }
  }

  /**
   * A request forwarded to the primary for a named service, such as dynamic screening (answered by
   * {@link Response.Forwarded}).
   *
   * @param service the service name, e.g. {@code screening}
   * @param payload the service's request, typically JSON
   * @param epoch the epoch the sender has seen
   */
  record Forward(String service, String payload, long epoch) implements Request {
    /** Checks the parts. */
    public Forward {
      requireNonNull(service, "service");
      requireNonNull(payload, "payload");
    }
  }
}
