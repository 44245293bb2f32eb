package org.mailcluster.ini;

import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.Objects;

/** Splits bytes into classified lines and decides the encoding (see {@link IniDocument}). */
final class IniParser {
  private static final byte[] NONE = new byte[0];

  private IniParser() {}

  static IniDocument parse(byte[] input, Charset fallback, boolean strict) {
    Objects.requireNonNull(input, "bytes");
    Objects.requireNonNull(fallback, "fallback");
    TextCodec fallbackCodec = TextCodec.singleByte(fallback);
    // The document keeps slices of the array, so it must not see later changes by the caller.
    byte[] b = input.clone();
    int n = b.length;
    TextCodec codec;
    int bomLength;
    if (n >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF) {
      codec = TextCodec.utf8();
      bomLength = 3;
      int bad = Utf8Validator.firstInvalid(b, 3);
      if (strict && bad >= 0) {
        throw syntaxError(
            b,
            3,
            1,
            bad,
            "byte 0x"
                + hex(b[bad])
                + " is not valid UTF-8 although the file starts with a UTF-8 byte order mark:"
                + " save the file as UTF-8, or remove the byte order mark if it is windows-1252");
      }
    } else if (n >= 2 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xFE) {
      codec = TextCodec.utf16(false);
      bomLength = 2;
    } else if (n >= 2 && (b[0] & 0xFF) == 0xFE && (b[1] & 0xFF) == 0xFF) {
      if (strict) {
        throw new IniSyntaxException(
            null,
            1,
            1,
            "the file starts with a UTF-16 big-endian byte order mark (FE FF), which the Windows"
                + " profile functions cannot read: they take its bytes for ANSI text and find no"
                + " section. Save the file as UTF-16 little-endian (\"Unicode\") or as ANSI");
      }
      codec = TextCodec.utf16(true);
      bomLength = 2;
    } else {
      // Without a byte order mark Windows reads the ANSI code page, whatever the bytes look like.
      codec = fallbackCodec;
      bomLength = 0;
    }
    int w = codec.width();
    int limit = n - ((n - bomLength) % w);
    if (strict) {
      checkText(b, bomLength, limit, codec);
    }
    LineTable lines = new LineTable(codec, b, (limit - bomLength) / 24);
    int pos = bomLength;
    if (w == 1) {
      while (pos < limit) {
        int p = pos;
        byte c = 0;
        while (p < limit) {
          c = b[p];
          if (c == '\n' || c == '\r') {
            break;
          }
          p++;
        }
        int end = p;
        if (p < limit) {
          end = (c == '\r' && p + 1 < limit && b[p + 1] == '\n') ? p + 2 : p + 1;
        }
        lines.add(pos, p, end);
        pos = end;
      }
    } else {
      while (pos < limit) {
        int p = pos;
        int c = 0;
        while (p < limit) {
          c = codec.unit(b, p);
          if (c == '\n' || c == '\r') {
            break;
          }
          p += w;
        }
        int end = p;
        if (p < limit) {
          end = (c == '\r' && p + w < limit && codec.unit(b, p + w) == '\n') ? p + 2 * w : p + w;
        }
        lines.add(pos, p, end);
        pos = end;
      }
    }
    byte[] bom = bomLength == 0 ? NONE : Arrays.copyOf(b, bomLength);
    byte[] trailer = limit == n ? NONE : Arrays.copyOfRange(b, limit, n);
    return IniDocument.assemble(codec, bom, trailer, lines);
  }

  private static void checkText(byte[] b, int from, int limit, TextCodec codec) {
    int w = codec.width();
    if (w == 2) {
      if ((b.length - from) % 2 != 0) {
        throw syntaxError(
            b,
            from,
            2,
            b.length - 1,
            "the file starts with a UTF-16 byte order mark but has an odd number of bytes:"
                + " it is truncated or not UTF-16; restore it from a backup");
      }
      for (int i = from; i < limit; i += 2) {
        int u = codec.unit(b, i);
        if (u == 0) {
          throw nul(b, from, 2, i);
        }
        if (Character.isHighSurrogate((char) u)) {
          if (i + 2 < limit && Character.isLowSurrogate((char) codec.unit(b, i + 2))) {
            i += 2;
            continue;
          }
          throw syntaxError(
              b, from, 2, i, "unpaired UTF-16 surrogate: the file is damaged; restore it");
        }
        if (Character.isLowSurrogate((char) u)) {
          throw syntaxError(
              b, from, 2, i, "unpaired UTF-16 surrogate: the file is damaged; restore it");
        }
      }
    } else {
      for (int i = from; i < limit; i++) {
        if (b[i] == 0) {
          throw nul(b, from, 1, i);
        }
      }
    }
  }

  private static IniSyntaxException nul(byte[] b, int from, int width, int at) {
    return syntaxError(
        b,
        from,
        width,
        at,
        "NUL character: this is a binary file, not a text INI file; restore the INI file or"
            + " move this file out of the managed directory");
  }

  /** Builds an error at byte {@code at}, counting lines and columns in code units. */
  private static IniSyntaxException syntaxError(
      byte[] b, int from, int width, int at, String problem) {
    int line = 1;
    int lineStart = from;
    for (int i = from; i + width <= at; i += width) {
      int u = width == 1 ? b[i] & 0xFF : unitAt(b, i, from);
      if (u == '\n' || (u == '\r' && !nextIsLf(b, i + width, at, width, from))) {
        line++;
        lineStart = i + width;
      }
    }
    int column = (at - lineStart) / width + 1;
    return new IniSyntaxException(null, line, column, problem);
  }

  private static boolean nextIsLf(byte[] b, int i, int at, int width, int from) {
    if (i + width > at) {
      return false;
    }
    return (width == 1 ? b[i] & 0xFF : unitAt(b, i, from)) == '\n';
  }

  private static int unitAt(byte[] b, int i, int from) {
    boolean bigEndian = from == 2 && (b[0] & 0xFF) == 0xFE;
    return bigEndian
        ? ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF)
        : ((b[i + 1] & 0xFF) << 8) | (b[i] & 0xFF);
  }

  private static String hex(byte value) {
    return String.format("%02X", value & 0xFF);
  }
}
