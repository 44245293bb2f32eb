package org.mailcluster.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;

/**
 * The settings a host and its plugins declared: their types, defaults, scopes, validators and
 * cluster constraints. Thread-safe; plugins may register while the node runs.
 *
 * <p><b>Unregistered keys are replicated too.</b> A mail server's INI files hold far more keys than
 * anyone will ever declare, and all of them must reach every node unchanged. So a key that nobody
 * registered is treated as a {@link Scope#REPLICATED} raw string: it is replicated, it is read-only
 * on secondaries, and no validation applies. Registering a setting adds typing, validation and a
 * scope to a key; it is never what makes a key replicate.
 *
 * <pre>{@code
 * SettingsRegistry registry = SettingsRegistry.create();
 * Setting<Integer> threshold = registry.register(
 *     Setting.integer(SettingKey.plugin("antispam", "threshold")).defaultValue(5).build());
 *
 * registry.editability(threshold.key(), Role.SECONDARY); // READ_ONLY: change it on the primary
 * registry.validate(threshold.key().stateKey(), "abc");   // throws INVALID_VALUE
 * }</pre>
 */
public final class SettingsRegistry {
  private final ConcurrentMap<SettingKey, Setting<?>> settings = new ConcurrentHashMap<>();

  private SettingsRegistry() {}

  /** Returns an empty registry. */
  public static SettingsRegistry create() {
    return new SettingsRegistry();
  }

  /**
   * Registers a setting and returns it.
   *
   * @throws IllegalArgumentException if a setting with an equal key is already registered (INI keys
   *     are compared ignoring case)
   */
  public <T> Setting<T> register(Setting<T> setting) {
    requireNonNull(setting, "setting");
    Setting<?> existing = settings.putIfAbsent(setting.key(), setting);
    if (existing != null) {
      throw new IllegalArgumentException(
          "setting '"
              + setting.key()
              + "' is already registered as "
              + existing
              + "; choose another name or namespace");
    }
    return setting;
  }

  /** Returns the setting registered under {@code key}, if any. */
  public Optional<Setting<?>> find(SettingKey key) {
    return Optional.ofNullable(settings.get(requireNonNull(key, "key")));
  }

  /**
   * Returns the setting registered under a state key, if any (also if the text is no valid key).
   */
  public Optional<Setting<?>> find(String stateKey) {
    requireNonNull(stateKey, "stateKey");
    try {
      return find(SettingKey.parse(stateKey));
    } catch (IllegalArgumentException notAKey) {
      return Optional.empty();
    }
  }

  /**
   * Returns the setting registered under {@code key} with the given type.
   *
   * @throws IllegalArgumentException if nothing is registered there, or with another type
   */
  @SuppressWarnings("unchecked") // checked against the registered type just before
  public <T> Setting<T> get(SettingKey key, SettingType<T> type) {
    Setting<?> s =
        find(key)
            .orElseThrow(
                () -> new IllegalArgumentException("no setting registered as '" + key + "'"));
    if (!s.type().equals(type)) {
      throw new IllegalArgumentException(
          "setting '" + key + "' has type " + s.type() + ", not " + type);
    }
    return (Setting<T>) s;
  }

  /** Returns every registered setting, in key order. */
  public List<Setting<?>> settings() {
    List<Setting<?>> all = new ArrayList<>(settings.values());
    all.sort(Comparator.comparing(Setting::key));
    return List.copyOf(all);
  }

  /** Returns the settings that declare a cluster constraint, in key order. */
  public List<Setting<?>> constrained() {
    return settings().stream().filter(s -> s.clusterConstraint().isPresent()).toList();
  }

  /**
   * Returns the scope of a state key: its setting's, or {@link Scope#REPLICATED} if unregistered.
   */
  public Scope scopeOf(String stateKey) {
    return find(stateKey).map(Setting::scope).orElse(Scope.REPLICATED);
  }

  /**
   * Tells a host's user interface whether a setting may be edited on a node in {@code role}
   * (requirement R4 in docs/REQUIREMENTS.md). Unregistered keys answer as replicated ones.
   */
  public Editability editability(SettingKey key, Role role) {
    requireNonNull(role, "role");
    Optional<Setting<?>> setting = find(key);
    if (setting.flatMap(Setting::clusterConstraint).isPresent()) {
      return Editability.FIXED_BY_CLUSTER;
    }
    Scope scope = setting.map(Setting::scope).orElse(Scope.REPLICATED);
    return switch (scope) {
      case NODE_LOCAL -> Editability.EDITABLE;
      case REPLICATED -> role == Role.PRIMARY ? Editability.EDITABLE : Editability.READ_ONLY;
      case PRIMARY_ONLY -> role == Role.PRIMARY ? Editability.EDITABLE : Editability.HIDDEN;
    };
  }

  /**
   * Checks a raw value for a state key against its registered setting; unregistered keys accept any
   * value.
   *
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} naming the setting and the value
   */
  public void validate(String stateKey, String rawValue) {
    requireNonNull(rawValue, "rawValue");
    find(stateKey).ifPresent(s -> s.decode(rawValue));
  }
}
