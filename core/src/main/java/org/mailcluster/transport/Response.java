package org.mailcluster.transport;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeId;

/**
 * The answer to a {@link Request}. Refusals are not responses: they fail the call's future with a
 * {@link org.mailcluster.ClusterException}.
 */
public sealed interface Response {
  /** The epoch the responder has seen. */
  long epoch();

  /**
   * The join was accepted.
   *
   * @param primary the primary that accepted it
   * @param epoch the primary's epoch
   * @param latest the primary's latest committed revision
   */
  record Joined(NodeId primary, long epoch, Revision latest) implements Response {
    /** Checks the parts. */
    public Joined {
      requireNonNull(primary, "primary");
      requireNonNull(latest, "latest");
    }
  }

  /**
   * The acknowledgement was recorded.
   *
   * @param epoch the primary's epoch
   */
  record Acknowledged(long epoch) implements Response {}

  /**
   * The answer to a {@link Request.Ping}: NTP's t1, t2 and t3.
   *
   * @param pingSentAt the ping's {@code sentAt}, echoed (t1)
   * @param receivedAt the responder's time on receipt (t2)
   * @param sentAt the responder's time on answering (t3)
   * @param epoch the responder's epoch
   */
  record Pong(Instant pingSentAt, Instant receivedAt, Instant sentAt, long epoch)
      implements Response {
    /** Checks the parts. */
    public Pong {
      requireNonNull(pingSentAt, "pingSentAt");
      requireNonNull(receivedAt, "receivedAt");
      requireNonNull(sentAt, "sentAt");
    }
  }

  /**
   * A forwarded request's answer.
   *
   * @param payload the service's answer, typically JSON
   * @param epoch the primary's epoch
   */
  record Forwarded(String payload, long epoch) implements Response {
    /** Checks the parts. */
    public Forwarded {
      requireNonNull(payload, "payload");
    }
  }
}
