package org.mailcluster;

/**
 * The role of a node in a cluster (requirement R1 in docs/REQUIREMENTS.md). Exactly one node is the
 * primary; every other node is a secondary. The role is explicit configuration, never guessed.
 *
 * <pre>{@code
 * if (role == Role.SECONDARY) {
 *   ui.greyOut(option); // configuration is read-only here
 * }
 * }</pre>
 */
public enum Role {
  /** The single writer: configuration changes are committed here and replicated to secondaries. */
  PRIMARY,
  /** A read-only replica of the primary's configuration. */
  SECONDARY
}
