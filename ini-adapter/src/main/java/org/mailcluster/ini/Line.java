package org.mailcluster.ini;

import java.util.Arrays;

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
    /**
     * Text without {@code =}: no lookup finds it, but {@code GetPrivateProfileSection} lists it.
     */
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

  /** Classifies the content {@code [start, contentEnd)} by the private-profile rules. */
  static Line parse(TextCodec codec, byte[] b, int start, int contentEnd, int end) {
    int[] names = new int[4];
    Kind kind = classify(codec, b, start, contentEnd, names);
    return new Line(codec, b, start, contentEnd, end, kind, names[0], names[1], names[2], names[3]);
  }

  /**
   * Classifies the content {@code [start, contentEnd)} and stores the name and value bounds of a
   * section or key in {@code names} (nameStart, nameEnd, valueStart, valueEnd). The value bounds of
   * a key exclude one pair of matching outer quotes, as {@code GetPrivateProfileString} removes
   * them; {@link #isQuoted} tells whether there were any.
   */
  static Kind classify(TextCodec codec, byte[] b, int start, int contentEnd, int[] names) {
    int w = codec.width();
    names[0] = 0;
    names[1] = 0;
    names[2] = 0;
    names[3] = 0;
    int i = skipBlank(codec, b, start, contentEnd);
    if (i == contentEnd) {
      return Kind.BLANK;
    }
    int first = codec.unit(b, i);
    if (first == ';') {
      return Kind.COMMENT;
    }
    if (first == '[') {
      // Windows ends the name at the first ']' and ignores the rest of the line; a line that
      // never closes the bracket is a header up to its end.
      int j = i + w;
      while (j < contentEnd && codec.unit(b, j) != ']') {
        j += w;
      }
      int ns = skipBlank(codec, b, i + w, j);
      names[0] = ns;
      names[1] = trimEnd(codec, b, ns, j);
      return Kind.SECTION;
    }
    for (int e = i; e < contentEnd; e += w) {
      if (codec.unit(b, e) == '=') {
        int vs = skipBlank(codec, b, e + w, contentEnd);
        int ve = trimEnd(codec, b, vs, contentEnd);
        if (ve - vs >= 2 * w) {
          int q = codec.unit(b, vs);
          if ((q == '"' || q == '\'') && codec.unit(b, ve - w) == q) {
            vs += w;
            ve -= w;
          }
        }
        names[0] = i;
        names[1] = trimEnd(codec, b, i, e);
        names[2] = vs;
        names[3] = ve;
        return Kind.KEY;
      }
    }
    return Kind.OTHER;
  }

  Line(
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

  /** Makes a line from its own bytes. */
  static Line of(TextCodec codec, byte[] content, byte[] terminator) {
    byte[] b = new byte[content.length + terminator.length];
    System.arraycopy(content, 0, b, 0, content.length);
    System.arraycopy(terminator, 0, b, content.length, terminator.length);
    return parse(codec, b, 0, content.length, b.length);
  }

  /** Returns whether {@code unit} is a blank that reading trims: space, tab or vertical tab. */
  static boolean isBlank(int unit) {
    return unit == ' ' || unit == '\t' || unit == 0x0B;
  }

  /**
   * Returns whether the value of a key line whose value starts at {@code valueStart} was written
   * between quotes: the unit before an unquoted value is {@code =} or a blank, before a quoted one
   * the opening quote.
   */
  static boolean isQuoted(TextCodec codec, byte[] b, int valueStart) {
    int u = codec.unit(b, valueStart - codec.width());
    return u == '"' || u == '\'';
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

  /** The section or key name; decoded on each call, so that a large document retains no names. */
  String name() {
    return codec.decode(buf, nameStart, nameEnd);
  }

  /** Returns {@code IniDocument.fold(name()).hashCode()}. */
  int foldedNameHash() {
    return foldedNameHash(codec, buf, nameStart, nameEnd);
  }

  /** Returns whether both names are equal after {@link IniDocument#fold}. */
  boolean sameNameAs(Line other) {
    return sameName(
        codec, buf, nameStart, nameEnd, other.codec, other.buf, other.nameStart, other.nameEnd);
  }

  /**
   * Returns {@code IniDocument.fold(name).hashCode()} of the name {@code [from, to)}, without
   * allocating when it is ASCII in a single-byte or UTF-8 file.
   */
  static int foldedNameHash(TextCodec codec, byte[] buf, int from, int to) {
    if (codec.width() == 1) {
      int h = 0;
      for (int i = from; i < to; i++) {
        int c = buf[i];
        if (c < 0) {
          return IniDocument.fold(codec.decode(buf, from, to)).hashCode();
        }
        h = 31 * h + lower(c);
      }
      return h;
    }
    return IniDocument.fold(codec.decode(buf, from, to)).hashCode();
  }

  /** Returns whether two names are equal after {@link IniDocument#fold}. */
  static boolean sameName(
      TextCodec codec,
      byte[] a,
      int aFrom,
      int aTo,
      TextCodec otherCodec,
      byte[] b,
      int bFrom,
      int bTo) {
    int len = aTo - aFrom;
    if (codec.width() == 1 && otherCodec == codec && len == bTo - bFrom) {
      boolean ascii = true;
      boolean equal = true;
      for (int i = 0; i < len; i++) {
        int x = a[aFrom + i];
        int y = b[bFrom + i];
        if (x < 0 || y < 0) {
          ascii = false;
          break;
        }
        if (x != y && lower(x) != lower(y)) {
          equal = false;
        }
      }
      if (ascii) {
        return equal;
      }
    }
    return IniDocument.fold(codec.decode(a, aFrom, aTo))
        .equals(IniDocument.fold(otherCodec.decode(b, bFrom, bTo)));
  }

  private static int lower(int c) {
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
  }

  /** The value as {@code GetPrivateProfileString} returns it: trimmed, outer quotes removed. */
  String value() {
    return codec.decode(buf, valueStart, valueEnd);
  }

  /** Returns whether this key's value is written between a pair of quotes. */
  boolean isQuoted() {
    return kind == Kind.KEY && isQuoted(codec, buf, valueStart);
  }

  /** The value as written, quotes included, as {@code GetPrivateProfileSection} returns it. */
  String rawValue() {
    int w = isQuoted() ? codec.width() : 0;
    return codec.decode(buf, valueStart - w, valueEnd + w);
  }

  /** The trimmed text of the line. */
  String text() {
    int w = codec.width();
    int from = start;
    while (from < contentEnd && isBlank(codec.unit(buf, from))) {
      from += w;
    }
    return codec.decode(buf, from, trimEnd(codec, buf, from, contentEnd));
  }

  int length() {
    return end - start;
  }

  boolean hasTerminator() {
    return end > contentEnd;
  }

  byte[] terminator() {
    return Arrays.copyOfRange(buf, contentEnd, end);
  }

  /** Returns this line with another terminator, content bytes unchanged. */
  Line withTerminator(byte[] terminator) {
    byte[] content = Arrays.copyOfRange(buf, start, contentEnd);
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
