package org.mailcluster;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;

/**
 * A set of configuration changes to commit as one revision on the primary: typed values for
 * registered settings, raw values for any key, and removals. The origin names who or what made the
 * change, for history and the cluster log.
 *
 * <pre>{@code
 * cluster.update(
 *     ConfigUpdate.builder("api:admin@console")
 *         .set(blockMinutes, 120)
 *         .setRaw(SettingKey.ini("MDaemon.ini", "Special", "Signature"), "Sent from mx cluster")
 *         .remove(SettingKey.ini("MDaemon.ini", "Special", "Obsolete"))
 *         .build());
 * }</pre>
 *
 * @param origin who or what made the change, e.g. {@code api:admin@console} or {@code
 *     file:MDaemon.ini}
 * @param changes the new raw value per state key, or empty to remove it, in the order given
 */
public record ConfigUpdate(String origin, Map<String, Optional<String>> changes) {
  /** Copies the changes and checks there is at least one. */
  public ConfigUpdate {
    requireNonNull(origin, "origin");
    if (origin.isBlank()) {
      throw new IllegalArgumentException("a configuration update needs an origin");
    }
    changes = Collections.unmodifiableMap(new LinkedHashMap<>(changes));
    if (changes.isEmpty()) {
      throw new IllegalArgumentException("a configuration update needs at least one change");
    }
  }

  /** Starts an update made by {@code origin}. */
  public static Builder builder(String origin) {
    return new Builder(origin);
  }

  /** Collects the changes of one update; the last change of a key wins. */
  public static final class Builder {
    private final String origin;
    private final Map<String, Optional<String>> changes = new LinkedHashMap<>();

    private Builder(String origin) {
      this.origin = requireNonNull(origin, "origin");
    }

    /**
     * Sets a registered setting to a typed value.
     *
     * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if the validator refuses it
     */
    public <T> Builder set(Setting<T> setting, T value) {
      changes.put(setting.key().stateKey(), Optional.of(setting.encode(value)));
      return this;
    }

    /** Sets any key to a raw value; registered settings are validated at commit. */
    public Builder setRaw(SettingKey key, String rawValue) {
      requireNonNull(rawValue, "rawValue");
      changes.put(key.stateKey(), Optional.of(rawValue));
      return this;
    }

    /** Removes a key. */
    public Builder remove(SettingKey key) {
      changes.put(key.stateKey(), Optional.empty());
      return this;
    }

    /** Returns the update. */
    public ConfigUpdate build() {
      return new ConfigUpdate(origin, changes);
    }
  }
}
