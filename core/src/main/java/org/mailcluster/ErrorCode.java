package org.mailcluster;

/**
 * What kind of domain failure a {@link ClusterException} reports. Hosts switch on the code; the
 * exception's message is for people and says what to do.
 */
public enum ErrorCode {
  /** A configuration write was attempted on a secondary; the message names the primary. */
  NOT_PRIMARY,
  /** Two nodes run different product versions; the message names both. */
  VERSION_MISMATCH,
  /** Two nodes present the same licence key (compared by fingerprint, never in clear text). */
  DUPLICATE_NODE_KEY,
  /** A change would break a value the cluster requires (for example attachment linking on). */
  CONSTRAINT_VIOLATION,
  /** A value cannot be read as its setting's type, or fails the setting's validator. */
  INVALID_VALUE,
  /** A peer could not prove who it is (no certificate, wrong cluster, wrong credentials). */
  UNAUTHENTICATED,
  /**
   * A peer is known but not allowed to do what it asked (for example a secondary pushing state).
   */
  PERMISSION_DENIED,
  /** Peers speak incompatible protocol versions. */
  PROTOCOL_MISMATCH,
  /** A message came from an older epoch than this node has seen: it is fenced off. */
  STALE_EPOCH,
  /** The primary or another peer cannot be reached right now; retrying later may succeed. */
  UNAVAILABLE,
  /** Durable storage failed (disk full, read-only, failed fsync); nothing was acknowledged. */
  STORAGE_FAILURE,
  /** A stored or received configuration could not be decoded; it was left untouched. */
  CORRUPT_DATA,
  /**
   * A promotion was refused: the primary still answers, another secondary is more up to date (the
   * message names it), or too few servers could be reached. Nothing changed.
   */
  PROMOTION_REFUSED,
  /**
   * Two nodes claim to be the primary of one cluster in the same epoch (split brain): each refuses
   * new commits and streams no new revisions until one of them stops claiming or a higher epoch
   * settles it. The message names both and says which to reconfigure.
   */
  SPLIT_BRAIN,
  /**
   * A second process presented the id of a node that is already connected from another address, or
   * called from an address other than the one its id is registered with: it was refused, and the
   * connected one keeps its stream. The message names the address the id is connected from.
   */
  DUPLICATE_NODE_ID,
  /**
   * Two nodes' configurations do not descend from one another, or a primary is behind a registered
   * server: its state looks lost or restored from an old copy. Nothing is applied; recover the
   * primary from the most up-to-date server ({@code ClusterService.recover}).
   */
  STATE_CONFLICT,
  /**
   * A value, a file, a revision or the whole state is larger than this node's limit ({@code
   * StateLimits}); the message names the key or file, its size and the limit, and nothing of it was
   * committed. Also a caller that calls a node's services faster than it takes them (the message
   * says when to retry).
   */
  LIMIT_EXCEEDED,
  /**
   * A host-file change looked like damage (every key or most of a file's keys deleted, a value cut
   * mid-line, text that is no longer INI) and was held back on the primary: nothing of that file
   * replicates until the file is restored or an operator confirms the change.
   */
  HELD_BACK,
  /**
   * A directory the node must read does not exist (a mistyped path or an unmounted share); it is
   * never created in its place.
   */
  DIRECTORY_MISSING
}
