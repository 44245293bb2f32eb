package org.mailcluster.ini;

/**
 * One physical line of an INI file as a slice of raw bytes: content {@code [start, contentEnd)}
 * followed by its terminator {@code [contentEnd, end)} (CRLF, LF, CR or nothing on a last line
 * without a final newline). The slice is never changed; an edit makes a new line.
 *
 * <p>Offsets of the name and value are byte offsets into {@link #buf}, so an edit can replace the
 * value bytes and keep every other byte of the line.
 */
final class Line {
  enum Kind {
    BLANK,
    COMMENT,
    SECTION,
    KEY,
    /** Text the profile API ignores: no {@code =}, or an empty key name. */
    OTHER
  }

  final byte[] buf;
  final int start;
  final int contentEnd;
  final int end;
  final Kind kind;
  final int nameStart;
  final int nameEnd;
  final int valueStart;
  final int valueEnd;
  private final TextCodec codec;
  private String name;

  private Line(
      TextCodec codec,
      byte[] buf,
      int start,
      int contentEnd,
      int end,
      Kind kind,
      int nameStart,
      int nameEnd,
      int valueStart,
      int valueEnd) {
    this.codec = codec;
    this.buf = buf;
    this.start = start;
    this.contentEnd = contentEnd;
    this.end = end;
    this.kind = kind;
    this.nameStart = nameStart;
    this.nameEnd = nameEnd;
    this.valueStart = valueStart;
    this.valueEnd = valueEnd;
  }

  /** Classifies the content {@code [start, contentEnd)} by the private-profile rules. */
  static Line parse(TextCodec codec, byte[] b, int start, int contentEnd, int end) {
    int w = codec.width();
    int i = skipBlank(codec, b, start, contentEnd);
    if (i == contentEnd) {
      return new Line(codec, b, start, contentEnd, end, Kind.BLANK, 0, 0, 0, 0);
    }
    int first = codec.unit(b, i);
    if (first == ';') {
      return new Line(codec, b, start, contentEnd, end, Kind.COMMENT, 0, 0, 0, 0);
    }
    if (first == '[') {
      // The last ']' closes the name, as in Windows: "[a]b]" is section "a]b".
      for (int j = contentEnd - w; j > i; j -= w) {
        if (codec.unit(b, j) == ']') {
          int ns = skipBlank(codec, b, i + w, j);
          int ne = trimEnd(codec, b, ns, j);
          return new Line(codec, b, start, contentEnd, end, Kind.SECTION, ns, ne, 0, 0);
        }
      }
    }
    for (int e = i; e < contentEnd; e += w) {
      if (codec.unit(b, e) == '=') {
        int ne = trimEnd(codec, b, i, e);
        if (ne == i) {
          break;
        }
        int vs = skipBlank(codec, b, e + w, contentEnd);
        int ve = trimEnd(codec, b, vs, contentEnd);
        return new Line(codec, b, start, contentEnd, end, Kind.KEY, i, ne, vs, ve);
      }
    }
    return new Line(codec, b, start, contentEnd, end, Kind.OTHER, 0, 0, 0, 0);
  }

  /** Makes a line from its own bytes. */
  static Line of(TextCodec codec, byte[] content, byte[] terminator) {
    byte[] b = new byte[content.length + terminator.length];
    System.arraycopy(content, 0, b, 0, content.length);
    System.arraycopy(terminator, 0, b, content.length, terminator.length);
    return parse(codec, b, 0, content.length, b.length);
  }

  static boolean isBlank(int unit) {
    return unit == ' ' || unit == '\t';
  }

  private static int skipBlank(TextCodec codec, byte[] b, int from, int to) {
    int w = codec.width();
    int i = from;
    while (i < to && isBlank(codec.unit(b, i))) {
      i += w;
    }
    return i;
  }

  private static int trimEnd(TextCodec codec, byte[] b, int from, int to) {
    int w = codec.width();
    int j = to;
    while (j > from && isBlank(codec.unit(b, j - w))) {
      j -= w;
    }
    return j;
  }

  /** The section or key name, decoded once. */
  String name() {
    String n = name;
    if (n == null) {
      n = codec.decode(buf, nameStart, nameEnd);
      name = n;
    }
    return n;
  }

  String value() {
    return codec.decode(buf, valueStart, valueEnd);
  }

  int length() {
    return end - start;
  }

  boolean hasTerminator() {
    return end > contentEnd;
  }

  byte[] terminator() {
    return java.util.Arrays.copyOfRange(buf, contentEnd, end);
  }

  /** Returns this line with another terminator, content bytes unchanged. */
  Line withTerminator(byte[] terminator) {
    byte[] content = java.util.Arrays.copyOfRange(buf, start, contentEnd);
    return of(codec, content, terminator);
  }

  /** Returns this key line with the value bytes replaced and every other byte kept. */
  Line withValue(byte[] value) {
    int prefix = valueStart - start;
    int suffix = end - valueEnd;
    byte[] b = new byte[prefix + value.length + suffix];
    System.arraycopy(buf, start, b, 0, prefix);
    System.arraycopy(value, 0, b, prefix, value.length);
    System.arraycopy(buf, valueEnd, b, prefix + value.length, suffix);
    return parse(codec, b, 0, b.length - (end - contentEnd), b.length);
  }

  void copyTo(byte[] out, int at) {
    System.arraycopy(buf, start, out, at, end - start);
  }
}
