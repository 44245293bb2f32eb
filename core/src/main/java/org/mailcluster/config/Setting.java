package org.mailcluster.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;

/**
 * A typed, registered configuration entry: its {@link SettingKey}, how its value is read and
 * written ({@link SettingType}), its default, its {@link Scope}, an optional validator, and an
 * optional <em>cluster constraint</em>: the value it must have while clustering is on (requirements
 * R23–R25 in docs/REQUIREMENTS.md).
 *
 * <p>Settings are immutable and built with a builder that checks each input at once, refuses being
 * given the same property twice, and refuses a default (or a constraint) that fails the setting's
 * own validator.
 *
 * <pre>{@code
 * Setting<Integer> blockMinutes =
 *     Setting.integer(SettingKey.ini("MDaemon.ini", "DynamicScreening", "BlockMinutes"))
 *         .defaultValue(60)
 *         .validator(m -> m > 0 && m <= 10_080, "must be between 1 and 10080 minutes")
 *         .description("How long a blocked address stays blocked")
 *         .build();
 *
 * Setting<Boolean> attachmentLinking =
 *     Setting.bool(SettingKey.ini("MDaemon.ini", "Special", "AttachmentLinking"))
 *         .defaultValue(false)
 *         .clusterConstraint(false) // cannot be used in a cluster
 *         .build();
 * }</pre>
 *
 * @param <T> the value's Java type
 */
public final class Setting<T> {
  private final SettingKey key;
  private final SettingType<T> type;
  private final T defaultValue;
  private final Scope scope;
  private final Predicate<? super T> validator;
  private final String requirement;
  private final T clusterConstraint;
  private final String description;

  private Setting(Builder<T> b) {
    this.key = b.key;
    this.type = b.type;
    this.defaultValue = b.defaultValue;
    this.scope = b.scope == null ? Scope.REPLICATED : b.scope;
    this.validator = b.validator;
    this.requirement = b.requirement;
    this.clusterConstraint = b.clusterConstraint;
    this.description = b.description == null ? "" : b.description;
  }

  /** Starts a setting of any {@link SettingType}. */
  public static <T> Builder<T> of(SettingKey key, SettingType<T> type) {
    return new Builder<>(key, type);
  }

  /** Starts a text setting. */
  public static Builder<String> string(SettingKey key) {
    return of(key, SettingType.string());
  }

  /** Starts an integer setting. */
  public static Builder<Integer> integer(SettingKey key) {
    return of(key, SettingType.integer());
  }

  /** Starts a boolean setting written as {@code Yes}/{@code No}. */
  public static Builder<Boolean> bool(SettingKey key) {
    return of(key, SettingType.bool());
  }

  /** Starts a path setting (kept exactly as spelled, Windows and UNC paths included). */
  public static Builder<String> path(SettingKey key) {
    return of(key, SettingType.path());
  }

  /** Starts a duration setting written as a whole number of {@code unit}s. */
  public static Builder<Duration> duration(SettingKey key, ChronoUnit unit) {
    return of(key, SettingType.duration(unit));
  }

  /** Starts a list setting. */
  public static <E> Builder<List<E>> list(SettingKey key, SettingType<E> element, char separator) {
    return of(key, SettingType.list(element, separator));
  }

  /** Returns the key. */
  public SettingKey key() {
    return key;
  }

  /** Returns the type. */
  public SettingType<T> type() {
    return type;
  }

  /** Returns the value used when the configuration holds none. */
  public T defaultValue() {
    return defaultValue;
  }

  /** Returns where the value lives and travels. */
  public Scope scope() {
    return scope;
  }

  /** Returns the value this setting must have while clustering is on, if any. */
  public Optional<T> clusterConstraint() {
    return Optional.ofNullable(clusterConstraint);
  }

  /** Returns the description for people (empty if none was given). */
  public String description() {
    return description;
  }

  /** Returns the raw form of the default value. */
  public String encodedDefault() {
    return type.encode(defaultValue);
  }

  /** Returns the raw form of the cluster constraint, if any. */
  public Optional<String> encodedClusterConstraint() {
    return clusterConstraint().map(type::encode);
  }

  /**
   * Reads and validates a raw value.
   *
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} naming the setting, the value and
   *     what was expected
   */
  public T decode(String raw) {
    requireNonNull(raw, "raw");
    T value;
    try {
      value = requireNonNull(type.decode(raw), () -> type + " decoded '" + raw + "' to null");
    } catch (IllegalArgumentException e) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE,
          "setting " + key.displayName() + " " + e.getMessage() + " (expected " + type + ")",
          e);
    }
    checkValid(value);
    return value;
  }

  /**
   * Validates a value and returns its raw form.
   *
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if the validator refuses it or it
   *     cannot be written in the type's form
   */
  public String encode(T value) {
    requireNonNull(value, "value");
    checkValid(value);
    try {
      return type.encode(value);
    } catch (IllegalArgumentException e) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE, "setting " + key.displayName() + ": " + e.getMessage(), e);
    }
  }

  /** Returns what is wrong with {@code value}, or empty if the validator accepts it. */
  public Optional<String> problemWith(T value) {
    requireNonNull(value, "value");
    if (validator == null || validator.test(value)) {
      return Optional.empty();
    }
    return Optional.of(
        "setting " + key.displayName() + " " + requirement + " but was '" + render(value) + "'");
  }

  /**
   * Returns this setting's value in {@code snapshot}, or the default if the snapshot holds none.
   *
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if the stored value is malformed
   */
  public T read(ConfigSnapshot snapshot) {
    return snapshot.get(key.stateKey()).map(this::decode).orElse(defaultValue);
  }

  @Override
  public String toString() {
    return "Setting{"
        + key
        + ", "
        + type
        + ", "
        + scope
        + ", default="
        + render(defaultValue)
        + "}";
  }

  private void checkValid(T value) {
    Optional<String> problem = problemWith(value);
    if (problem.isPresent()) {
      throw new ClusterException(ErrorCode.INVALID_VALUE, problem.get());
    }
  }

  private String render(T value) {
    try {
      return type.encode(value);
    } catch (IllegalArgumentException e) {
      return String.valueOf(value);
    }
  }

  /**
   * Builds a {@link Setting}. Each property may be set once; {@link #defaultValue} is required.
   *
   * @param <T> the value's Java type
   */
  public static final class Builder<T> {
    private final SettingKey key;
    private final SettingType<T> type;
    private T defaultValue;
    private Scope scope;
    private Predicate<? super T> validator;
    private String requirement;
    private T clusterConstraint;
    private String description;

    private Builder(SettingKey key, SettingType<T> type) {
      this.key = requireNonNull(key, "key");
      this.type = requireNonNull(type, "type");
    }

    /** Sets the value used when the configuration holds none (required). */
    public Builder<T> defaultValue(T value) {
      requireNonNull(value, "defaultValue");
      checkUnset(defaultValue, "default value");
      this.defaultValue = value;
      return this;
    }

    /** Sets the scope; {@link Scope#REPLICATED} if never set. */
    public Builder<T> scope(Scope value) {
      requireNonNull(value, "scope");
      checkUnset(scope, "scope");
      this.scope = value;
      return this;
    }

    /**
     * Sets a validator and the requirement it checks, worded to follow the setting's name in a
     * message: {@code "must be between 1 and 65535"}.
     */
    public Builder<T> validator(Predicate<? super T> test, String requirement) {
      requireNonNull(test, "test");
      requireNonNull(requirement, "requirement");
      checkUnset(this.requirement, "validator");
      if (requirement.isBlank()) {
        throw new IllegalArgumentException("validator of " + key + " needs a requirement text");
      }
      this.validator = test;
      this.requirement = requirement;
      return this;
    }

    /** Sets the value this setting must have while clustering is on. */
    public Builder<T> clusterConstraint(T value) {
      requireNonNull(value, "clusterConstraint");
      checkUnset(clusterConstraint, "cluster constraint");
      this.clusterConstraint = value;
      return this;
    }

    /** Sets a description for people. */
    public Builder<T> description(String value) {
      requireNonNull(value, "description");
      checkUnset(description, "description");
      this.description = value;
      return this;
    }

    /**
     * Builds the setting.
     *
     * @throws IllegalStateException if no default was set
     * @throws IllegalArgumentException if the default or the constraint fails the validator or
     *     cannot be written in the type's form
     */
    public Setting<T> build() {
      if (defaultValue == null) {
        throw new IllegalStateException("setting " + key + " needs a default value");
      }
      Setting<T> setting = new Setting<>(this);
      checkAcceptable(setting, defaultValue, "default");
      if (clusterConstraint != null) {
        checkAcceptable(setting, clusterConstraint, "cluster constraint");
      }
      return setting;
    }

    private static <T> void checkAcceptable(Setting<T> setting, T value, String what) {
      try {
        setting.type.decode(setting.type.encode(value));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            what + " of " + setting.key + " cannot be written: " + e.getMessage(), e);
      }
      setting
          .problemWith(value)
          .ifPresent(
              problem -> {
                throw new IllegalArgumentException(what + " fails its own validator: " + problem);
              });
    }

    private void checkUnset(Object current, String property) {
      if (current != null) {
        throw new IllegalStateException(
            property + " of " + key + " was already set to '" + current + "'");
      }
    }
  }
}
