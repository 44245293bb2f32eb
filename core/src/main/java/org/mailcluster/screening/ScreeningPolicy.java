package org.mailcluster.screening;

/**
 * What a secondary does, when the primary returns, with the screening changes it made on its own
 * while the primary was away.
 *
 * <pre>{@code
 * ClusterService.builder()...screeningPolicy(ScreeningPolicy.REPLAY)
 * }</pre>
 */
public enum ScreeningPolicy {
  /**
   * Discard them: the primary's data wins (the default; requirement R19 in docs/REQUIREMENTS.md).
   */
  OVERWRITE,
  /** Send them to the primary first, in the order they happened (requirement B4). */
  REPLAY
}
