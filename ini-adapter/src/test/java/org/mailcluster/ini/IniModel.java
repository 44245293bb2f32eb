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
 * of {@link IniDocument} states. Written independently of the byte-level code.
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

  static String strip(String s) {
    int a = 0;
    int b = s.length();
    while (a < b && (s.charAt(a) == ' ' || s.charAt(a) == '\t')) {
      a++;
    }
    while (b > a && (s.charAt(b - 1) == ' ' || s.charAt(b - 1) == '\t')) {
      b--;
    }
    return s.substring(a, b);
  }

  /** Section name, or null. */
  static String section(String content) {
    String t = strip(content);
    if (t.startsWith("[") && t.lastIndexOf(']') > 0) {
      return strip(t.substring(1, t.lastIndexOf(']')));
    }
    return null;
  }

  /** Key name, or null. */
  static String key(String content) {
    if (section(content) != null) {
      return null;
    }
    String t = strip(content);
    if (t.startsWith(";")) {
      return null;
    }
    int eq = t.indexOf('=');
    if (eq < 0 || strip(t.substring(0, eq)).isEmpty()) {
      return null;
    }
    return strip(t.substring(0, eq));
  }

  static String value(String content) {
    String t = strip(content);
    return strip(t.substring(t.indexOf('=') + 1));
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
      lines.add(new String[] {key + "=" + value, sep});
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
        while (vs < c.length() && (c.charAt(vs) == ' ' || c.charAt(vs) == '\t')) {
          vs++;
        }
        int ve = c.length();
        while (ve > vs && (c.charAt(ve - 1) == ' ' || c.charAt(ve - 1) == '\t')) {
          ve--;
        }
        lines.get(i)[0] = c.substring(0, vs) + value + c.substring(ve);
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
      int nameStart = c.indexOf(strip(c).charAt(0));
      int eq = c.indexOf('=');
      int nameEnd = eq;
      while (c.charAt(nameEnd - 1) == ' ' || c.charAt(nameEnd - 1) == '\t') {
        nameEnd--;
      }
      int vs = eq + 1;
      while (vs < c.length() && (c.charAt(vs) == ' ' || c.charAt(vs) == '\t')) {
        vs++;
      }
      content = c.substring(0, nameStart) + key + c.substring(nameEnd, vs) + value;
    } else {
      content = key + "=" + value;
    }
    String[] prev = lines.get(after);
    String term = prev[1];
    if (term.isEmpty()) {
      prev[1] = dominant();
      // dominant() was computed with prev still unterminated, as the document does.
    }
    lines.add(after + 1, new String[] {content, term});
  }

  void remove(String section, String key) {
    int h = firstHeader(section);
    if (h < 0) {
      return;
    }
    int end = sectionEnd(h);
    for (int i = end - 1; i > h; i--) {
      String k = key(lines.get(i)[0]);
      if (k != null && same(k, key)) {
        lines.remove(i);
      }
    }
  }

  void removeSection(String section) {
    int i = 0;
    while (i < lines.size()) {
      String s = section(lines.get(i)[0]);
      if (s != null && same(s, section)) {
        int end = sectionEnd(i);
        lines.subList(i, end).clear();
      } else {
        i++;
      }
    }
  }
}
