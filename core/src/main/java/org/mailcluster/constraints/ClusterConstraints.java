package org.mailcluster.constraints;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.config.ConfigSnapshot;

/**
 * The cluster constraints of one node (requirements R23–R25 in docs/REQUIREMENTS.md). A constraint
 * is declared on a registered setting with {@code Setting.Builder.clusterConstraint(value)}: the
 * mail server's profile declares attachment linking, automatic update installation and domain-IP
 * binding off, and a plugin declares its own the same way. When the primary starts (clustering is
 * enabled) it applies every constraint in the same committed revision as its configuration files
 * and reports what changed; afterwards a commit that breaks one fails with {@code
 * CONSTRAINT_VIOLATION} naming the setting.
 *
 * <pre>{@code
 * registry.register(Setting.bool(SettingKey.plugin("archiver", "local-cache"))
 *     .defaultValue(true)
 *     .clusterConstraint(false) // a plugin's own constraint
 *     .build());
 * ...
 * cluster.constraints().applied().ifPresent(r -> r.changes().forEach(System.out::println));
 * }</pre>
 */
public interface ClusterConstraints {
  /**
   * Applies every constraint that the current configuration breaks, as one revision, on the
   * primary. Completes with an empty report if nothing had to change; fails with {@code
   * NOT_PRIMARY} on a secondary.
   */
  CompletableFuture<ConstraintReport> apply();

  /** Returns what the primary changed when clustering was enabled (on start), if it has started. */
  Optional<ConstraintReport> applied();

  /** Returns the changes that {@code state} needs to meet every constraint, in key order. */
  List<ConstraintChange> violations(ConfigSnapshot state);
}
