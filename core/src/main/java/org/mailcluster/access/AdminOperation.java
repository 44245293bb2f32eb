package org.mailcluster.access;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.mailcluster.config.SettingKey;

/**
 * An operation of the host's remote-administration API, as the write gate sees it: a read, a write,
 * or a write of one setting (whose scope decides where it may be written).
 *
 * <pre>{@code
 * AdminOperation op = AdminOperation.writeSetting("SetDomainSettings", SettingKey.ini("MDaemon.ini", "Domain", "Name"));
 * }</pre>
 *
 * @param name the API call's name, for messages
 * @param write whether it changes state
 * @param setting the one setting it changes, if it changes exactly one
 */
public record AdminOperation(String name, boolean write, Optional<SettingKey> setting) {
  /** Checks the parts. */
  public AdminOperation {
    requireNonNull(name, "name");
    requireNonNull(setting, "setting");
    if (setting.isPresent() && !write) {
      throw new IllegalArgumentException("a read of '" + name + "' cannot name a setting to write");
    }
  }

  /** Returns a read. */
  public static AdminOperation read(String name) {
    return new AdminOperation(name, false, Optional.empty());
  }

  /** Returns a write of cluster state (anything but a single node-local setting). */
  public static AdminOperation write(String name) {
    return new AdminOperation(name, true, Optional.empty());
  }

  /** Returns a write of one setting. */
  public static AdminOperation writeSetting(String name, SettingKey setting) {
    return new AdminOperation(name, true, Optional.of(requireNonNull(setting, "setting")));
  }
}
