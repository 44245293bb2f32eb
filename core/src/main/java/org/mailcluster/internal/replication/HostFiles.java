package org.mailcluster.internal.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Scope;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.spi.ConfigSource;

/**
 * The host's files (a {@link ConfigSource}, e.g. a directory of INI files) as the node sees them:
 * which of their keys replicate, writing replicated changes into them, and writing the primary's
 * values over local edits. Node-local settings stay as each node has them.
 */
public final class HostFiles {
  private final Optional<ConfigSource> source;
  private final SettingsRegistry registry;

  /** Binds the node's config source, if any. */
  public HostFiles(Optional<ConfigSource> source, SettingsRegistry registry) {
    this.source = source;
    this.registry = registry;
  }

  /** The node's config source, if it has one. */
  public Optional<ConfigSource> source() {
    return source;
  }

  /** Whether {@code key} is a host-file key that replicates. */
  public boolean isReplicable(String key) {
    return key.startsWith(SettingKey.CONFIG_NAMESPACE + "/")
        && registry.scopeOf(key) != Scope.NODE_LOCAL;
  }

  /** The changes that turn {@code from} into {@code to}, limited to keys that replicate. */
  public ConfigDiff replicableDiff(ConfigSnapshot from, ConfigSnapshot to) {
    return replicable(ConfigDiff.between(from, to));
  }

  private ConfigDiff replicable(ConfigDiff diff) {
    List<ConfigDiff.Change> out = new ArrayList<>();
    for (ConfigDiff.Change c : diff.changes()) {
      if (isReplicable(c.key())) {
        out.add(c);
      }
    }
    return ConfigDiff.of(out);
  }

  /**
   * Writes the replicating part of {@code diff} into the files, if there are any.
   *
   * @throws ClusterException if they could not be written (they keep what they had)
   */
  public void apply(ConfigDiff diff) {
    if (source.isPresent()) {
      ConfigDiff mine = replicable(diff);
      if (!mine.isEmpty()) {
        source.get().apply(mine);
      }
    }
  }

  /**
   * Writes {@code state}'s values over whatever the files hold now, and returns the changes made
   * (empty if the files agreed).
   */
  ConfigDiff overwrite(ConfigSnapshot state) {
    ConfigSource files = source.orElseThrow();
    ConfigDiff overwrite = replicableDiff(files.load(), state);
    if (!overwrite.isEmpty()) {
      files.apply(overwrite);
    }
    return overwrite;
  }
}
