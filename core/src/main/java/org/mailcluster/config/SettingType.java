package org.mailcluster.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Function;

/**
 * How a setting's value is read from and written to its raw string form (the form it has in an INI
 * file and in the replicated state).
 *
 * <p>{@link #decode} refuses malformed text with an {@link IllegalArgumentException} whose message
 * quotes the text and says what was expected; {@link Setting#decode} turns that into a {@link
 * org.mailcluster.ClusterException} that also names the setting. Implementations must be immutable
 * and thread-safe, and {@code decode(encode(v))} must equal {@code v}.
 *
 * <pre>{@code
 * SettingType<List<Integer>> ports = SettingType.list(SettingType.integer(), ';');
 * ports.decode("465;993;995");        // [465, 993, 995]
 * SettingType.bool().decode(" yes "); // true
 * SettingType.bool().encode(false);   // "No"
 * }</pre>
 *
 * @param <T> the value's Java type
 */
public interface SettingType<T> {
  /**
   * Reads a raw value.
   *
   * @throws IllegalArgumentException if {@code raw} is not a value of this type; the message quotes
   *     it
   */
  T decode(String raw);

  /**
   * Writes a value in its raw form.
   *
   * @throws IllegalArgumentException if the value cannot be written in this type's form
   */
  String encode(T value);

  /**
   * Returns a short description for messages, such as {@code integer} or {@code boolean (Yes/No)}.
   */
  String description();

  /** Any text, kept exactly as written. */
  static SettingType<String> string() {
    return SettingTypes.STRING;
  }

  /** A 32-bit signed decimal integer; surrounding spaces are ignored. */
  static SettingType<Integer> integer() {
    return SettingTypes.INTEGER;
  }

  /** A 64-bit signed decimal integer; surrounding spaces are ignored. */
  static SettingType<Long> longInteger() {
    return SettingTypes.LONG;
  }

  /** A boolean that reads every common spelling and writes {@code Yes}/{@code No}. */
  static SettingType<Boolean> bool() {
    return bool(BooleanStyle.YES_NO);
  }

  /** A boolean that reads every common spelling and writes in {@code style}. */
  static SettingType<Boolean> bool(BooleanStyle style) {
    return SettingTypes.bool(style);
  }

  /**
   * A duration written as a whole number of {@code unit}s, as mail-server INI files write them
   * ({@code BlockMinutes=60}). Reading also accepts ISO-8601 ({@code PT1H}) and a number with a
   * suffix ({@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}). Negative durations are
   * refused.
   */
  static SettingType<Duration> duration(ChronoUnit unit) {
    return SettingTypes.duration(unit);
  }

  /**
   * A file-system path kept exactly as spelled: drive paths ({@code C:\MDaemon\}), UNC paths
   * ({@code \\nas01\mail\}) and POSIX paths alike. It is never resolved against this machine's file
   * system; control characters are refused.
   */
  static SettingType<String> path() {
    return SettingTypes.PATH;
  }

  /**
   * A list whose items are separated by {@code separator} ({@code 465;993;995}). Spaces around
   * items are ignored, and so are empty items; an item whose raw form holds the separator cannot be
   * written.
   */
  static <E> SettingType<List<E>> list(SettingType<E> element, char separator) {
    return SettingTypes.list(element, separator);
  }

  /** An enum constant, read by name ignoring case and written as {@link Enum#name()}. */
  static <E extends Enum<E>> SettingType<E> enumeration(Class<E> type) {
    return SettingTypes.enumeration(type, Enum::name);
  }

  /**
   * An enum constant written as {@code spelling} gives it (for example {@code Primary}), and read
   * by that spelling or by name, ignoring case.
   */
  static <E extends Enum<E>> SettingType<E> enumeration(
      Class<E> type, Function<? super E, String> spelling) {
    return SettingTypes.enumeration(type, spelling);
  }

  /**
   * A value written as one line of JSON, for structured plugin settings; {@code type} is typically
   * a record. Its package must be open to Jackson ({@code tools.jackson.databind}) when the host
   * runs on the module path.
   */
  static <T> SettingType<T> json(Class<T> type) {
    return SettingTypes.json(type);
  }
}
