package org.mailcluster;

/**
 * How {@link ClusterService#promote} promotes a secondary when the primary is gone for good
 * (requirement B3 in docs/REQUIREMENTS.md).
 *
 * <p>Without {@code force}, promotion asks every other registered server for its state and is
 * refused with {@link ErrorCode#PROMOTION_REFUSED} when the primary still answers, when another
 * reachable secondary has revisions this node lacks (the message names the most up-to-date one), or
 * when fewer than a majority of the registered servers (this node included) can be reached and
 * grant the new epoch. The majority makes sure that two nodes promoted on either side of a network
 * split never share an epoch.
 *
 * <p>{@code force} skips those checks: the node takes the next epoch it knows of even if it is
 * behind or alone. Use it only when the others are gone too, and promote one node at a time.
 *
 * <pre>{@code
 * Revision first = mx2.promote(PromotionOptions.defaults()).get(30, TimeUnit.SECONDS);
 * // or, when mx2 is the only server left:
 * mx2.promote(PromotionOptions.forced());
 * }</pre>
 *
 * @param force whether to promote even if the checks fail
 */
public record PromotionOptions(boolean force) {
  /** Returns the checked promotion. */
  public static PromotionOptions defaults() {
    return new PromotionOptions(false);
  }

  /** Returns a promotion that skips the checks. */
  public static PromotionOptions forced() {
    return new PromotionOptions(true);
  }
}
