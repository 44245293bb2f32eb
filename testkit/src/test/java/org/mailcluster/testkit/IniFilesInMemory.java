package org.mailcluster.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.ini.IniDocument;
import org.mailcluster.spi.ConfigSource;

/**
 * A node's INI files as real {@link IniDocument}s held in memory: the bytes the adapter would
 * write, without a file watcher whose timing depends on the operating system. {@link #edit} plays a
 * person editing a file behind the library's back.
 */
final class IniFilesInMemory implements ConfigSource {
  private final Map<String, IniDocument> files = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  private Listener listener;

  IniFilesInMemory(String name, byte[] initial) {
    files.put(name, IniDocument.parse(initial));
  }

  @Override
  public ConfigSnapshot load() {
    ConfigSnapshot all = ConfigSnapshot.empty();
    for (Map.Entry<String, IniDocument> f : files.entrySet()) {
      for (Map.Entry<String, String> e :
          IniConfigSource.entriesOf(f.getKey(), f.getValue()).asMap().entrySet()) {
        all = all.with(e.getKey(), e.getValue());
      }
    }
    return all;
  }

  @Override
  public void apply(ConfigDiff diff) {
    List<ConfigDiff.Change> sets = new ArrayList<>();
    for (ConfigDiff.Change c : diff.changes()) {
      if (!c.key().startsWith(SettingKey.CONFIG_NAMESPACE + "/")) {
        continue;
      }
      if (c.newValue().isEmpty()) {
        SettingKey k = SettingKey.parse(c.key());
        IniDocument doc = files.get(k.iniFile().orElseThrow());
        if (doc != null) {
          // Every line of the key, as IniConfigSource removes them: remove() takes the first.
          while (doc.remove(k.iniSection().orElseThrow(), k.iniKey().orElseThrow())) {
            // until none is left
          }
        }
      } else {
        sets.add(c);
      }
    }
    for (ConfigDiff.Change c : sets) {
      SettingKey k = SettingKey.parse(c.key());
      files
          .computeIfAbsent(k.iniFile().orElseThrow(), n -> IniDocument.parse(new byte[0]))
          .set(k.iniSection().orElseThrow(), k.iniKey().orElseThrow(), c.newValue().orElseThrow());
    }
  }

  @Override
  public void watch(Listener l) {
    this.listener = l;
  }

  @Override
  public void close() {}

  /** Edits a file as a person would and tells the node, as a file watcher would. */
  void edit(String file, String section, String key, String value) {
    ConfigSnapshot before = load();
    files.get(file).set(section, key, value);
    if (listener != null) {
      listener.externalEdit(ConfigDiff.between(before, load()));
    }
  }

  /** Returns every file's bytes, by name. */
  Map<String, byte[]> bytes() {
    Map<String, byte[]> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    files.forEach((name, doc) -> out.put(name, doc.toBytes()));
    return out;
  }
}
