package org.mailcluster.screening;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * The state of dynamic screening on one node, for the diagnostics.
 *
 * <pre>{@code
 * ScreeningStatus s = cluster.screening().status();
 * if (s.mode().equals("fallback")) warn(s.localChanges() + " local screening changes pending");
 * }</pre>
 *
 * @param policy what happens to local changes when the primary returns
 * @param mode {@code primary} (this node decides), {@code forwarding} (asks the primary) or {@code
 *     fallback} (the primary is away; this node decides on the last replicated state)
 * @param blocked how many addresses are blocked now in this node's view
 * @param allowed how many addresses are on the allow-list in this node's view
 * @param localChanges how many changes this node made on its own and has not yet reconciled
 * @param replayed how many local changes were sent to the primary so far
 * @param discarded how many local changes were discarded so far
 * @param fallbackSince when the current fallback began, if in fallback
 */
public record ScreeningStatus(
    ScreeningPolicy policy,
    String mode,
    int blocked,
    int allowed,
    int localChanges,
    long replayed,
    long discarded,
    Optional<Instant> fallbackSince) {
  /** Checks the parts. */
  public ScreeningStatus {
    requireNonNull(policy, "policy");
    requireNonNull(mode, "mode");
    requireNonNull(fallbackSince, "fallbackSince");
  }
}
