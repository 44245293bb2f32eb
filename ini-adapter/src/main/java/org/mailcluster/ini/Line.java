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

  /** Classifies the content {@code [start, contentEnd)} by the private-profile rules. */
  static Line parse(TextCodec codec, byte[] b, int start, int contentEnd, int end) {
    int[] names = new int[4];
    Kind kind = classify(codec, b, start, contentEnd, names);
    return new Line(codec, b, start, contentEnd, end, kind, names[0], names[1], names[2], names[3]);
  }

  /**
   * Classifies the content {@code [start, contentEnd)} and stores the name and value bounds of a
   * section or key in {@code names} (nameStart, nameEnd, valueStart, valueEnd).
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
      // The last ']' closes the name, as in Windows: "[a]b]" is section "a]b".
      for (int j = contentEnd - w; j > i; j -= w) {
        if (codec.unit(b, j) == ']') {
          int ns = skipBlank(codec, b, i + w, j);
          names[0] = ns;
          names[1] = trimEnd(codec, b, ns, j);
          return Kind.SECTION;
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
        names[0] = i;
        names[1] = ne;
        names[2] = vs;
        names[3] = trimEnd(codec, b, vs, contentEnd);
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
