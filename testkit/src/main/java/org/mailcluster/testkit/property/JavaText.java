package org.mailcluster.testkit.property;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;

/** Renders steps as Java source: a record as its constructor call, a value as its literal. */
final class JavaText {
  private JavaText() {}

  /** Returns {@code steps} as the arguments of {@code List.of(...)}, one per line. */
  static String list(List<?> steps, java.util.function.Function<Object, String> render) {
    if (steps.isEmpty()) {
      return "List.of()";
    }
    List<String> lines = new ArrayList<>();
    for (Object s : steps) {
      lines.add("    " + render.apply(s));
    }
    return "List.of(\n" + String.join(",\n", lines) + ")";
  }

  /**
   * Returns a value as Java source: {@code new Outer.Inner(0, 2, 1)} for a record whose components
   * can be read, a literal for a primitive, string, character or enum constant, and {@code
   * toString()} for anything else.
   */
  static String of(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String s) {
      return quote(s, '"');
    }
    if (value instanceof Character c) {
      return quote(String.valueOf(c), '\'');
    }
    if (value instanceof Long l) {
      return l + "L";
    }
    if (value instanceof Float f) {
      return f + "f";
    }
    if (value instanceof Integer || value instanceof Boolean || value instanceof Double) {
      return value.toString();
    }
    if (value instanceof Short || value instanceof Byte) {
      return "("
          + value.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)
          + ") "
          + value;
    }
    if (value instanceof Enum<?> e) {
      return typeName(e.getDeclaringClass()) + "." + e.name();
    }
    Class<?> type = value.getClass();
    if (type.isRecord()) {
      List<String> args = new ArrayList<>();
      try {
        for (RecordComponent c : type.getRecordComponents()) {
          args.add(of(c.getAccessor().invoke(value)));
        }
      } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
        return value.toString(); // a record this module may not read
      }
      return "new " + typeName(type) + "(" + String.join(", ", args) + ")";
    }
    return value.toString();
  }

  /** The name of a type as code in another package writes it: enclosing types, no package. */
  private static String typeName(Class<?> type) {
    String canonical = type.getCanonicalName();
    if (canonical == null) {
      return type.getName();
    }
    String pkg = type.getPackageName();
    return pkg.isEmpty() ? canonical : canonical.substring(pkg.length() + 1);
  }

  private static String quote(String s, char quote) {
    StringBuilder b = new StringBuilder().append(quote);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c == quote) {
            b.append('\\').append(c);
          } else if (c < 0x20 || c > 0x7E) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append(quote).toString();
  }
}
