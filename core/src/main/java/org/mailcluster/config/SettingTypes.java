package org.mailcluster.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;

/** The built-in {@link SettingType}s. */
final class SettingTypes {
  private SettingTypes() {}

  /** A type described by lambdas; every built-in type is one. */
  private record Simple<T>(
      String description, Function<String, T> decoder, Function<T, String> encoder)
      implements SettingType<T> {
    @Override
    public T decode(String raw) {
      return decoder.apply(requireNonNull(raw, "raw"));
    }

    @Override
    public String encode(T value) {
      return encoder.apply(requireNonNull(value, "value"));
    }

    @Override
    public String toString() {
      return description;
    }
  }

  static final SettingType<String> STRING = new Simple<>("string", s -> s, s -> s);

  static final SettingType<Integer> INTEGER =
      new Simple<>(
          "integer", raw -> parseNumber(raw, "an integer", Integer::valueOf), String::valueOf);

  static final SettingType<Long> LONG =
      new Simple<>(
          "long integer", raw -> parseNumber(raw, "an integer", Long::valueOf), String::valueOf);

  static final SettingType<String> PATH =
      new Simple<>("path", SettingTypes::checkPath, SettingTypes::checkPath);

  static SettingType<Boolean> bool(BooleanStyle style) {
    requireNonNull(style, "style");
    return new Simple<>(
        "boolean (" + style.write(true) + "/" + style.write(false) + ")",
        SettingTypes::parseBoolean,
        style::write);
  }

  static SettingType<Duration> duration(ChronoUnit unit) {
    requireNonNull(unit, "unit");
    if (unit.getDuration().isZero() || unit.isDurationEstimated()) {
      throw new IllegalArgumentException(
          "duration unit must be exact (NANOS to DAYS) but was " + unit);
    }
    String name = unit.name().toLowerCase(Locale.ROOT);
    return new Simple<>(
        "duration in " + name,
        raw -> parseDuration(raw, unit),
        d -> {
          if (d.isNegative()) {
            throw new IllegalArgumentException("duration must not be negative but was " + d);
          }
          Duration unitLength = unit.getDuration();
          long whole = d.dividedBy(unitLength);
          if (!unitLength.multipliedBy(whole).equals(d)) {
            throw new IllegalArgumentException(
                "duration " + d + " cannot be written as a whole number of " + name);
          }
          return Long.toString(whole);
        });
  }

  static <E> SettingType<List<E>> list(SettingType<E> element, char separator) {
    requireNonNull(element, "element");
    String sep = String.valueOf(separator);
    if (Character.isWhitespace(separator) || Character.isISOControl(separator)) {
      throw new IllegalArgumentException(
          "list separator must be visible but was U+"
              + String.format(Locale.ROOT, "%04X", (int) separator));
    }
    return new Simple<>(
        "list of " + element.description() + " separated by '" + sep + "'",
        raw -> {
          List<E> out = new ArrayList<>();
          for (String item : raw.split(Pattern.quote(sep), -1)) {
            String trimmed = item.strip();
            if (!trimmed.isEmpty()) {
              out.add(element.decode(trimmed));
            }
          }
          return List.copyOf(out);
        },
        values -> {
          StringBuilder sb = new StringBuilder();
          for (E v : values) {
            String encoded = element.encode(v);
            if (encoded.contains(sep)) {
              throw new IllegalArgumentException(
                  "list item '" + encoded + "' contains the separator '" + sep + "'");
            }
            if (encoded.isBlank()) {
              throw new IllegalArgumentException(
                  "list item '" + encoded + "' is blank and would be lost when read back");
            }
            if (sb.length() > 0) {
              sb.append(separator);
            }
            sb.append(encoded);
          }
          return sb.toString();
        });
  }

  static <E extends Enum<E>> SettingType<E> enumeration(
      Class<E> type, Function<? super E, String> spelling) {
    requireNonNull(type, "type");
    requireNonNull(spelling, "spelling");
    Map<E, String> written = new EnumMap<>(type);
    Map<String, E> byText = new HashMap<>();
    for (E constant : type.getEnumConstants()) {
      String text = requireNonNull(spelling.apply(constant), () -> "spelling of " + constant);
      written.put(constant, text);
      byText.put(constant.name().toLowerCase(Locale.ROOT), constant);
      E clash = byText.putIfAbsent(text.toLowerCase(Locale.ROOT), constant);
      if (clash != null && clash != constant) {
        throw new IllegalArgumentException(
            "spelling '" + text + "' of " + constant + " is also " + clash);
      }
    }
    List<String> accepted = List.copyOf(written.values());
    return new Simple<>(
        "one of " + accepted,
        raw -> {
          E value = byText.get(raw.strip().toLowerCase(Locale.ROOT));
          if (value == null) {
            throw new IllegalArgumentException("'" + raw + "' is not one of " + accepted);
          }
          return value;
        },
        written::get);
  }

  static <T> SettingType<T> json(Class<T> type) {
    requireNonNull(type, "type");
    return new Simple<>(
        "JSON " + type.getSimpleName(),
        raw -> {
          try {
            T value = ConfigJson.MAPPER.readValue(raw, type);
            if (value == null) {
              throw new IllegalArgumentException(
                  "'null' is not a JSON " + type.getSimpleName() + " object");
            }
            return value;
          } catch (JacksonException e) {
            throw new IllegalArgumentException(
                "'"
                    + abbreviate(raw)
                    + "' is not a JSON "
                    + type.getSimpleName()
                    + ": "
                    + e.getOriginalMessage(),
                e);
          }
        },
        value -> ConfigJson.MAPPER.writeValueAsString(value));
  }

  private static <N> N parseNumber(String raw, String what, Function<String, N> parser) {
    String s = raw.strip();
    // Long.valueOf accepts a leading '+', and so do Windows programs; nothing else is allowed.
    try {
      return parser.apply(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + raw + "' is not " + what + " in range", e);
    }
  }

  private static Boolean parseBoolean(String raw) {
    switch (raw.strip().toLowerCase(Locale.ROOT)) {
      case "yes", "1", "true", "on":
        return Boolean.TRUE;
      case "no", "0", "false", "off":
        return Boolean.FALSE;
      default:
        throw new IllegalArgumentException(
            "'" + raw + "' is not a boolean: use Yes/No, 1/0, true/false or on/off");
    }
  }

  private static final Pattern SUFFIXED = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private static Duration parseDuration(String raw, ChronoUnit unit) {
    String s = raw.strip();
    try {
      Duration d;
      if (!s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
        d = unit.getDuration().multipliedBy(Long.parseLong(s));
      } else if (s.startsWith("P") || s.startsWith("p")) {
        d = Duration.parse(s);
      } else {
        Matcher m = SUFFIXED.matcher(s.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
          throw new IllegalArgumentException(
              "'"
                  + raw
                  + "' is not a duration: write a whole number of "
                  + unit.name().toLowerCase(Locale.ROOT)
                  + ", or e.g. 30s, 5m, 2h, PT1H");
        }
        long n = Long.parseLong(m.group(1));
        d =
            switch (m.group(2)) {
              case "ms" -> Duration.ofMillis(n);
              case "s" -> Duration.ofSeconds(n);
              case "m" -> Duration.ofMinutes(n);
              case "h" -> Duration.ofHours(n);
              default -> Duration.ofDays(n);
            };
      }
      if (d.isNegative()) {
        throw new IllegalArgumentException("'" + raw + "' is a negative duration");
      }
      return d;
    } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
      throw new IllegalArgumentException("'" + raw + "' is not a duration in range", e);
    }
  }

  private static String checkPath(String raw) {
    for (int i = 0; i < raw.length(); i++) {
      if (Character.isISOControl(raw.charAt(i))) {
        throw new IllegalArgumentException(
            "path '"
                + raw.replaceAll("\\p{Cntrl}", "?")
                + "' holds control character U+"
                + String.format(Locale.ROOT, "%04X", (int) raw.charAt(i)));
      }
    }
    return raw;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "…";
  }
}
