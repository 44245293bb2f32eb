package org.mailcluster.ini;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deliberately simple reference for {@link IniDocument} on ISO-8859-1 text: a list of (content,
 * terminator) lines, classified with string operations, edited by the rules the class description
 * of {@link IniDocument} states (the Windows rules that {@link IniDocumentTest} checks one by one,
 * with their sources). Written independently of the byte-level code.
 */
final class IniModel {
  private static final Pattern LINE = Pattern.compile("([^\r\n]*)(\r\n|\n|\r|$)");

  final List<String[]> lines = new ArrayList<>();

  static IniModel of(String text) {
    IniModel m = new IniModel();
    Matcher matcher = LINE.matcher(text);
    int pos = 0;
    while (pos < text.length() && matcher.find(pos)) {
      m.lines.add(new String[] {matcher.group(1), matcher.group(2)});
      pos = matcher.end();
    }
    return m;
  }

  String text() {
    StringBuilder sb = new StringBuilder();
    for (String[] l : lines) {
      sb.append(l[0]).append(l[1]);
    }
    return sb.toString();
  }

  byte[] bytes() {
    return text().getBytes(ISO_8859_1);
  }

  static boolean blank(char c) {
    return c == ' ' || c == '\t' || c == '\u000b';
  }

  static String strip(String s) {
    int a = 0;
    int b = s.length();
    while (a < b && blank(s.charAt(a))) {
      a++;
    }
    while (b > a && blank(s.charAt(b - 1))) {
      b--;
    }
    return s.substring(a, b);
  }

  /** Section name, or null: a header runs from '[' to the first ']', or to the end of the line. */
  static String section(String content) {
    String t = strip(content);
    if (!t.startsWith("[")) {
      return null;
    }
    int close = t.indexOf(']');
    return strip(t.substring(1, close < 0 ? t.length() : close));
  }

  /** Key name (possibly empty), or null. */
  static String key(String content) {
    if (section(content) != null) {
      return null;
    }
    String t = strip(content);
    if (t.startsWith(";")) {
      return null;
    }
    int eq = t.indexOf('=');
    return eq < 0 ? null : strip(t.substring(0, eq));
  }

  static boolean quoted(String raw) {
    return raw.length() >= 2
        && (raw.charAt(0) == '"' || raw.charAt(0) == '\'')
        && raw.charAt(raw.length() - 1) == raw.charAt(0);
  }

  static String rawValue(String content) {
    return strip(content.substring(content.indexOf('=') + 1));
  }

  static String value(String content) {
    String raw = rawValue(content);
    return quoted(raw) ? raw.substring(1, raw.length() - 1) : raw;
  }

  static String quoteIfNeeded(String value) {
    boolean needed =
        !value.isEmpty()
            && (blank(value.charAt(0)) || blank(value.charAt(value.length() - 1)) || quoted(value));
    return needed ? '"' + value + '"' : value;
  }

  static boolean same(String a, String b) {
    return a.toLowerCase(Locale.ROOT).equals(b.toLowerCase(Locale.ROOT));
  }

  int firstHeader(String section) {
    for (int i = 0; i < lines.size(); i++) {
      String s = section(lines.get(i)[0]);
      if (s != null && same(s, section)) {
        return i;
      }
    }
    return -1;
  }

  int sectionEnd(int header) {
    int i = header + 1;
    while (i < lines.size() && section(lines.get(i)[0]) == null) {
      i++;
    }
    return i;
  }

  Optional<String> get(String section, String key) {
    int h = firstHeader(section);
    if (h < 0) {
      return Optional.empty();
    }
    for (int i = h + 1; i < sectionEnd(h); i++) {
      String k = key(lines.get(i)[0]);
      if (k != null && same(k, key)) {
        return Optional.of(value(lines.get(i)[0]));
      }
    }
    return Optional.empty();
  }

  List<IniDocument.Entry> entries() {
    List<IniDocument.Entry> out = new ArrayList<>();
    java.util.Set<String> seenSections = new java.util.HashSet<>();
    for (int h = 0; h < lines.size(); h++) {
      String s = section(lines.get(h)[0]);
      if (s == null || !seenSections.add(s.toLowerCase(Locale.ROOT))) {
        continue;
      }
      java.util.Set<String> seenKeys = new java.util.HashSet<>();
      for (int i = h + 1; i < sectionEnd(h); i++) {
        String k = key(lines.get(i)[0]);
        if (k != null && seenKeys.add(k.toLowerCase(Locale.ROOT))) {
          out.add(new IniDocument.Entry(s, k, value(lines.get(i)[0])));
        }
      }
    }
    return out;
  }

  String dominant() {
    int crlf = 0;
    int lf = 0;
    int cr = 0;
    for (String[] l : lines) {
      switch (l[1]) {
        case "\r\n" -> crlf++;
        case "\n" -> lf++;
        case "\r" -> cr++;
        default -> {}
      }
    }
    if (lf > crlf && lf >= cr) {
      return "\n";
    }
    if (cr > crlf && cr > lf) {
      return "\r";
    }
    return "\r\n";
  }

  void set(String section, String key, String value) {
    int h = firstHeader(section);
    if (h < 0) {
      String sep = dominant();
      if (!lines.isEmpty() && lines.get(lines.size() - 1)[1].isEmpty()) {
        lines.get(lines.size() - 1)[1] = sep;
      }
      lines.add(new String[] {"[" + section + "]", sep});
      lines.add(new String[] {key + "=" + quoteIfNeeded(value), sep});
      return;
    }
    int end = sectionEnd(h);
    int lastKey = -1;
    for (int i = h + 1; i < end; i++) {
      String k = key(lines.get(i)[0]);
      if (k != null && same(k, key)) {
        if (value(lines.get(i)[0]).equals(value)) {
          return;
        }
        String c = lines.get(i)[0];
        int eq = c.indexOf('=');
        int vs = eq + 1;
        while (vs < c.length() && blank(c.charAt(vs))) {
          vs++;
        }
        int ve = c.length();
        while (ve > vs && blank(c.charAt(ve - 1))) {
          ve--;
        }
        if (quoted(c.substring(vs, ve))) {
          // Quotes around the old value stay around the new one.
          lines.get(i)[0] = c.substring(0, vs + 1) + value + c.substring(ve - 1);
        } else {
          lines.get(i)[0] = c.substring(0, vs) + quoteIfNeeded(value) + c.substring(ve);
        }
        return;
      }
      if (k != null) {
        lastKey = i;
      }
    }
    int after = lastKey >= 0 ? lastKey : h;
    String content;
    if (lastKey >= 0) {
      String c = lines.get(lastKey)[0];
      int nameStart = 0;
      while (blank(c.charAt(nameStart))) {
        nameStart++;
      }
      int eq = c.indexOf('=');
      int nameEnd = eq;
      while (nameEnd > nameStart && blank(c.charAt(nameEnd - 1))) {
        nameEnd--;
      }
      int vs = eq + 1;
      while (vs < c.length() && blank(c.charAt(vs))) {
        vs++;
      }
      content = c.substring(0, nameStart) + key + c.substring(nameEnd, vs) + quoteIfNeeded(value);
    } else {
      content = key + "=" + quoteIfNeeded(value);
    }
    String[] prev = lines.get(after);
    String term = prev[1];
    if (term.isEmpty()) {
      // dominant() is computed with prev still unterminated, as the document does; the previous
      // line and the new one both end with it.
      term = dominant();
      prev[1] = term;
    }
    lines.add(after + 1, new String[] {content, term});
  }

  void remove(String section, String key) {
    int h = firstHeader(section);
    if (h < 0) {
      return;
    }
    int end = sectionEnd(h);
    for (int i = h + 1; i < end; i++) {
      String k = key(lines.get(i)[0]);
      if (k != null && same(k, key)) {
        lines.remove(i);
        return;
      }
    }
  }

  /** Removes the first section of that name; its comments and blank lines stay. */
  void removeSection(String section) {
    int h = firstHeader(section);
    if (h < 0) {
      return;
    }
    int end = sectionEnd(h);
    for (int i = end - 1; i > h; i--) {
      String t = strip(lines.get(i)[0]);
      if (!t.isEmpty() && !t.startsWith(";")) {
        lines.remove(i);
      }
    }
    lines.remove(h);
  }
}
