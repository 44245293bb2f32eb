package org.mailcluster.admin;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;

/**
 * The shared network paths page (requirements R12–R17 and R32 in docs/REQUIREMENTS.md): each folder
 * the cluster needs on shared storage, the INI key that holds it, its current value, and whether
 * that value is a network path.
 *
 * <pre>{@code
 * Map<String, SettingKey> folders = new LinkedHashMap<>();
 * MailServerProfile.mdaemon().folders().forEach((f, key) -> folders.put(f.name(), key));
 * SharedPaths view = SharedPaths.of(cluster.configuration(), folders);
 * }</pre>
 *
 * @param paths one entry per folder, in the order given
 */
public record SharedPaths(List<SharedPath> paths) {
  /** Copies the list. */
  public SharedPaths {
    paths = List.copyOf(paths);
  }

  /**
   * Reads each folder's value from {@code state}.
   *
   * @param state the configuration to read
   * @param folders the folder names and the keys that hold them, in display order
   */
  public static SharedPaths of(ConfigSnapshot state, Map<String, SettingKey> folders) {
    requireNonNull(state, "state");
    List<SharedPath> out = new ArrayList<>();
    folders.forEach(
        (name, key) -> {
          Optional<String> value = state.get(key.stateKey());
          out.add(
              new SharedPath(
                  name,
                  key.stateKey(),
                  value,
                  value.map(SharedPaths::isNetworkPath).orElse(false)));
        });
    return new SharedPaths(out);
  }

  /** A UNC path ({@code \\server\share}) or its forward-slash form ({@code //server/share}). */
  static boolean isNetworkPath(String path) {
    String p = path.trim();
    return (p.startsWith("\\\\") || p.startsWith("//")) && p.length() > 2;
  }

  /**
   * One shared folder.
   *
   * @param folder its name, e.g. {@code LOCK_FILES}
   * @param key the state key that holds its path
   * @param value its path, if set
   * @param networkPath whether the path names a network share
   */
  public record SharedPath(String folder, String key, Optional<String> value, boolean networkPath) {
    /** Checks the parts. */
    public SharedPath {
      requireNonNull(folder, "folder");
      requireNonNull(key, "key");
      requireNonNull(value, "value");
    }
  }
}
