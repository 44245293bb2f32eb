package org.mailcluster.internal.services;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.ClusterException;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.constraints.ClusterConstraints;
import org.mailcluster.constraints.ConstraintChange;
import org.mailcluster.constraints.ConstraintReport;
import org.mailcluster.internal.node.NodeSettings;

/**
 * Cluster constraints (requirements R23–R25 in docs/REQUIREMENTS.md) from the registry's
 * constrained settings. The primary applies them in its startup revision (see the primary); commits
 * that break one are refused by the node's commit check.
 */
public final class ConstraintService implements ClusterConstraints {
  private final NodeContext node;
  private final NodeSettings settings;
  private volatile Optional<ConstraintReport> applied = Optional.empty();

  ConstraintService(NodeContext node, NodeSettings settings) {
    this.node = node;
    this.settings = settings;
  }

  @Override
  public CompletableFuture<ConstraintReport> apply() {
    List<ConstraintChange> changes = violations(node.configuration());
    if (changes.isEmpty()) {
      return CompletableFuture.completedFuture(new ConstraintReport(Optional.empty(), List.of()));
    }
    ConfigUpdate.Builder update = ConfigUpdate.builder("cluster:constraints");
    changes.forEach(c -> update.setRaw(SettingKey.parse(c.key()), c.after()));
    return node.update(update.build())
        .thenApply(revision -> new ConstraintReport(Optional.of(revision), changes));
  }

  @Override
  public Optional<ConstraintReport> applied() {
    return applied;
  }

  public void recordApplied(ConstraintReport report) {
    applied = Optional.of(report);
    for (ConstraintChange c : report.changes()) {
      node.warn(
          "clustering requires "
              + c.setting()
              + " = '"
              + c.after()
              + "': changed from '"
              + c.before().orElse("(unset)")
              + "'"
              + report.revision().map(r -> " in revision " + r).orElse(""));
    }
  }

  @Override
  public List<ConstraintChange> violations(ConfigSnapshot state) {
    List<ConstraintChange> out = new ArrayList<>();
    for (Setting<?> s : settings.registry().constrained()) {
      String required = s.encodedClusterConstraint().orElseThrow();
      String key = s.key().stateKey();
      Optional<String> raw = state.get(key);
      if (!satisfied(s, raw, required)) {
        out.add(new ConstraintChange(s.key().displayName(), key, raw, required));
      }
    }
    return out;
  }

  /**
   * Refuses a commit of {@code value} to {@code key} if it breaks the key's cluster constraint.
   *
   * @throws ClusterException with {@code CONSTRAINT_VIOLATION}, naming the setting and the value it
   *     must have
   */
  public static void check(SettingsRegistry registry, String key, String value) {
    Optional<Setting<?>> setting = registry.find(key);
    if (setting.isEmpty()) {
      return;
    }
    Optional<String> required = setting.get().encodedClusterConstraint();
    if (required.isPresent() && !satisfied(setting.get(), Optional.of(value), required.get())) {
      throw new ClusterException(
          ErrorCode.CONSTRAINT_VIOLATION,
          "setting "
              + setting.get().key().displayName()
              + " must be '"
              + required.get()
              + "' while clustering is on, not '"
              + value
              + "'");
    }
  }

  private static boolean satisfied(Setting<?> s, Optional<String> raw, String required) {
    try {
      Object current = raw.isPresent() ? s.decode(raw.get()) : s.defaultValue();
      return Objects.equals(current, s.decode(required));
    } catch (ClusterException e) {
      return false; // a malformed value breaks the constraint too
    }
  }
}
