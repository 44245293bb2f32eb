package org.mailcluster.config;

/**
 * Where a setting's value lives and travels.
 *
 * <pre>{@code
 * Setting.string(SettingKey.plugin("acme", "account-email")).scope(Scope.PRIMARY_ONLY);
 * }</pre>
 */
public enum Scope {
  /** Set on the primary and replicated to every secondary, where it is read-only. */
  REPLICATED,
  /** Belongs to one node and never leaves it: bind address, licence key, local paths. */
  NODE_LOCAL,
  /**
   * Meaningful on the primary only (for example ACME certificate renewal, requirement R22 in
   * docs/REQUIREMENTS.md): replicated like any other value so a promoted secondary has it, but
   * hidden on secondaries.
   */
  PRIMARY_ONLY
}
