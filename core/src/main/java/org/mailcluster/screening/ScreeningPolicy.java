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
  /** Discard them: the primary's data wins (SPEC R19, the default). */
  OVERWRITE,
  /** Send them to the primary first, in the order they happened (SPEC B4). */
  REPLAY
}
