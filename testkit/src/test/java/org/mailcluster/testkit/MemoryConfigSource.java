package org.mailcluster.testkit;

import java.util.ArrayList;
import java.util.List;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.spi.ConfigSource;

/** Host files held in memory; {@link #editBehindTheLibrarysBack} plays a person editing them. */
final class MemoryConfigSource implements ConfigSource {
  ConfigSnapshot files;
  Listener listener;
  final List<ConfigDiff> applied = new ArrayList<>();

  MemoryConfigSource(ConfigSnapshot initial) {
    this.files = initial;
  }

  @Override
  public ConfigSnapshot load() {
    return files;
  }

  @Override
  public void apply(ConfigDiff diff) {
    List<ConfigDiff.Change> mine = new ArrayList<>();
    for (ConfigDiff.Change c : diff.changes()) {
      if (c.key().startsWith("config/")) {
        mine.add(c);
      }
    }
    ConfigDiff d = ConfigDiff.of(mine);
    files = d.apply(files);
    applied.add(d);
  }

  @Override
  public void watch(Listener l) {
    this.listener = l;
  }

  @Override
  public void close() {}

  void editBehindTheLibrarysBack(String key, String value) {
    ConfigSnapshot before = files;
    files = files.with(key, value);
    listener.externalEdit(ConfigDiff.between(before, files));
  }
}
