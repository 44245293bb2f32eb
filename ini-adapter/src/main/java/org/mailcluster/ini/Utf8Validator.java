package org.mailcluster.ini;

/** Checks UTF-8 well-formedness (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
final class Utf8Validator {
  private Utf8Validator() {}

  /** Returns the index of the first byte at or after {@code from} that starts no valid sequence. */
  static int firstInvalid(byte[] b, int from) {
    int n = b.length;
    int i = from;
    while (i < n) {
      int c = b[i];
      if (c >= 0) {
        i++;
        continue;
      }
      c &= 0xFF;
      if (c < 0xC2) {
        return i;
      } else if (c < 0xE0) {
        if (i + 1 >= n || !continuation(b[i + 1])) {
          return i;
        }
        i += 2;
      } else if (c < 0xF0) {
        if (i + 2 >= n) {
          return i;
        }
        int c1 = b[i + 1] & 0xFF;
        if (!continuation(b[i + 1])
            || (c == 0xE0 && c1 < 0xA0)
            || (c == 0xED && c1 >= 0xA0)
            || !continuation(b[i + 2])) {
          return i;
        }
        i += 3;
      } else if (c < 0xF5) {
        if (i + 3 >= n) {
          return i;
        }
        int c1 = b[i + 1] & 0xFF;
        if (!continuation(b[i + 1])
            || (c == 0xF0 && c1 < 0x90)
            || (c == 0xF4 && c1 >= 0x90)
            || !continuation(b[i + 2])
            || !continuation(b[i + 3])) {
          return i;
        }
        i += 4;
      } else {
        return i;
      }
    }
    return -1;
  }

  private static boolean continuation(byte b) {
    return (b & 0xC0) == 0x80;
  }
}
