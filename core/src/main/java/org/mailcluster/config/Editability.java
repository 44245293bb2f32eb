package org.mailcluster.config;

/**
 * Whether a host's user interface may offer a setting for editing on this node (requirement R4 in
 * docs/REQUIREMENTS.md).
 *
 * <pre>{@code
 * switch (registry.editability(key, cluster.role())) {
 *   case EDITABLE -> field.setEnabled(true);
 *   case READ_ONLY, FIXED_BY_CLUSTER -> field.setEnabled(false);
 *   case HIDDEN -> field.setVisible(false);
 * }
 * }</pre>
 */
public enum Editability {
  /** May be changed here. */
  EDITABLE,
  /** Replicated from the primary: show it, but change it on the primary. */
  READ_ONLY,
  /** The cluster requires a fixed value for it (for example attachment linking off). */
  FIXED_BY_CLUSTER,
  /** Has no meaning on this node (a primary-only setting on a secondary): hide it. */
  HIDDEN
}
