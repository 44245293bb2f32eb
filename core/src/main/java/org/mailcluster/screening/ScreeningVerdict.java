package org.mailcluster.screening;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * Whether an address is blocked, as decided by the primary or, while it is away, by this node on
 * the last replicated state.
 *
 * <pre>{@code
 * ScreeningVerdict v = cluster.screening().failedLogin("203.0.113.7").join();
 * if (v.blocked()) connection.close();
 * }</pre>
 *
 * @param address the screened address (an IP address or a mail address), lower case
 * @param blocked whether connections from it must be refused now
 * @param until when the block ends, if blocked
 * @param reason why it is blocked, or {@code allowed}, or {@code not blocked}
 * @param failures the failed logins counted in the current window
 * @param local whether this node decided on its own because the primary was unreachable
 */
public record ScreeningVerdict(
    String address,
    boolean blocked,
    Optional<Instant> until,
    String reason,
    int failures,
    boolean local) {
  /** Checks the parts. */
  public ScreeningVerdict {
    requireNonNull(address, "address");
    requireNonNull(until, "until");
    requireNonNull(reason, "reason");
  }
}
