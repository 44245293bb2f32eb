package org.mailcluster.testkit;

import java.util.ArrayList;
import java.util.List;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.spi.ConfigSource;

/** Host files held in memory; {@link #editBehindTheLibrarysBack} plays a person editing them. */
final class MemoryConfigSource implements ConfigSource {
  ConfigSnapshot files;
  Listener listener;
  final List<ConfigDiff> applied = new ArrayList<>();
  // While set, every write fails with this reason, as a read-only or full disk makes it fail.
  String refusal;
  int refusedWrites;

  MemoryConfigSource(ConfigSnapshot initial) {
    this.files = initial;
  }

  @Override
  public ConfigSnapshot load() {
    return files;
  }

  @Override
  public void apply(ConfigDiff diff) {
    if (refusal != null) {
      refusedWrites++;
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "cannot replace MDaemon.ini: " + refusal + "; the file keeps its old content");
    }
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
