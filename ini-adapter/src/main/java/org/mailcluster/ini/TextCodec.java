package org.mailcluster.ini;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads and writes the code units of one INI file encoding. The parser works on raw bytes and asks
 * the codec only for unit values (to find ASCII delimiters) and for the text of names and values,
 * so the bytes themselves are never re-encoded unless a line is edited.
 *
 * <p>Every supported encoding keeps ASCII delimiters unambiguous: in UTF-8 and ASCII-compatible
 * single-byte charsets a byte below 0x80 is always that ASCII character, and in UTF-16 a code unit
 * below 0x80 is always that character.
 */
abstract class TextCodec {
  private static final Map<Charset, SingleByte> SINGLE_BYTE = new ConcurrentHashMap<>();

  /** Bytes per code unit: 1 or 2. */
  abstract int width();

  /** Returns the code unit at {@code pos}; {@code pos + width()} must be within the array. */
  abstract int unit(byte[] b, int pos);

  abstract String decode(byte[] b, int from, int to);

  /**
   * Encodes {@code text}.
   *
   * @throws IllegalArgumentException quoting the first character this encoding cannot represent
   */
  abstract byte[] encode(String text);

  abstract Charset charset();

  static TextCodec utf8() {
    return Utf8.INSTANCE;
  }

  static TextCodec utf16(boolean bigEndian) {
    return bigEndian ? Utf16.BE : Utf16.LE;
  }

  /**
   * Returns the codec of an ASCII-compatible single-byte charset.
   *
   * @throws IllegalArgumentException if {@code charset} is not single-byte or not ASCII-compatible
   */
  static TextCodec singleByte(Charset charset) {
    return SINGLE_BYTE.computeIfAbsent(charset, SingleByte::create);
  }

  static IllegalArgumentException unencodable(String text, int index, Charset charset) {
    int cp = text.codePointAt(index);
    return new IllegalArgumentException(
        "'"
            + text
            + "' holds U+"
            + String.format(Locale.ROOT, "%04X", cp)
            + " at index "
            + index
            + ", which "
            + charset.name()
            + " cannot encode: use characters of that charset, or convert the file to UTF-8");
  }

  private static boolean isAscii(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] < 0) {
        return false;
      }
    }
    return true;
  }

  private static final class Utf8 extends TextCodec {
    static final Utf8 INSTANCE = new Utf8();

    @Override
    int width() {
      return 1;
    }

    @Override
    int unit(byte[] b, int pos) {
      return b[pos] & 0xFF;
    }

    @Override
    String decode(byte[] b, int from, int to) {
      return isAscii(b, from, to)
          ? new String(b, from, to - from, StandardCharsets.ISO_8859_1)
          : new String(b, from, to - from, StandardCharsets.UTF_8);
    }

    @Override
    byte[] encode(String text) {
      return strictEncode(text, StandardCharsets.UTF_8);
    }

    @Override
    Charset charset() {
      return StandardCharsets.UTF_8;
    }
  }

  private static final class Utf16 extends TextCodec {
    static final Utf16 LE = new Utf16(false);
    static final Utf16 BE = new Utf16(true);

    private final boolean bigEndian;

    private Utf16(boolean bigEndian) {
      this.bigEndian = bigEndian;
    }

    @Override
    int width() {
      return 2;
    }

    @Override
    int unit(byte[] b, int pos) {
      return bigEndian
          ? ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF)
          : ((b[pos + 1] & 0xFF) << 8) | (b[pos] & 0xFF);
    }

    @Override
    String decode(byte[] b, int from, int to) {
      return new String(b, from, to - from, charset());
    }

    @Override
    byte[] encode(String text) {
      return strictEncode(text, charset());
    }

    @Override
    Charset charset() {
      return bigEndian ? StandardCharsets.UTF_16BE : StandardCharsets.UTF_16LE;
    }
  }

  private static byte[] strictEncode(String text, Charset charset) {
    try {
      ByteBuffer out =
          charset
              .newEncoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .encode(CharBuffer.wrap(text));
      return Arrays.copyOfRange(out.array(), out.arrayOffset(), out.arrayOffset() + out.limit());
    } catch (CharacterCodingException e) {
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)
            && i + 1 < text.length()
            && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
        } else if (Character.isSurrogate(c)) {
          throw unencodable(text, i, charset);
        }
      }
      throw new IllegalArgumentException(
          "'" + text + "' cannot be encoded in " + charset.name() + ": " + e, e);
    }
  }

  /**
   * A table-driven single-byte charset. Bytes the charset leaves undefined (0x81, 0x8D, 0x8F, 0x90
   * and 0x9D in windows-1252) decode to the C1 control with the same number, as Windows' own
   * conversion does, instead of U+FFFD; so decoding is a bijection and any byte can be read, edited
   * around and written back unchanged.
   */
  private static final class SingleByte extends TextCodec {
    private final Charset charset;
    private final char[] decode = new char[256];
    private final byte[] encodeBmp = new byte[65536];
    private final boolean[] encodable = new boolean[65536];
    private final boolean identity;

    private SingleByte(Charset charset) {
      this.charset = charset;
      for (int i = 0; i < 256; i++) {
        char c;
        try {
          CharBuffer cb =
              charset
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT)
                  .decode(ByteBuffer.wrap(new byte[] {(byte) i}));
          if (cb.length() != 1) {
            throw new IllegalArgumentException(
                "fallback charset must map each byte to one character, but "
                    + charset.name()
                    + " does not: use a single-byte charset such as windows-1252");
          }
          c = cb.charAt(0);
        } catch (CharacterCodingException undefined) {
          c = (char) i;
        }
        if (i < 0x80 && c != i) {
          throw new IllegalArgumentException(
              "fallback charset must be ASCII-compatible, but "
                  + charset.name()
                  + " decodes byte 0x"
                  + Integer.toHexString(i)
                  + " as U+"
                  + Integer.toHexString(c)
                  + ": use a charset such as windows-1252 or ISO-8859-1");
        }
        if (encodable[c]) {
          throw new IllegalArgumentException(
              "fallback charset " + charset.name() + " maps two bytes to U+" + (int) c);
        }
        decode[i] = c;
        encodable[c] = true;
        encodeBmp[c] = (byte) i;
      }
      this.identity = isIdentity();
    }

    static SingleByte create(Charset charset) {
      if (charset.newEncoder().maxBytesPerChar() > 1.0f) {
        throw new IllegalArgumentException(
            "fallback charset must be single-byte, but was "
                + charset.name()
                + ": use a charset such as windows-1252 or ISO-8859-1");
      }
      return new SingleByte(charset);
    }

    private boolean isIdentity() {
      for (int i = 0; i < 256; i++) {
        if (decode[i] != i) {
          return false;
        }
      }
      return true;
    }

    @Override
    int width() {
      return 1;
    }

    @Override
    int unit(byte[] b, int pos) {
      return b[pos] & 0xFF;
    }

    @Override
    String decode(byte[] b, int from, int to) {
      if (identity || isAscii(b, from, to)) {
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
      }
      char[] out = new char[to - from];
      for (int i = from; i < to; i++) {
        out[i - from] = decode[b[i] & 0xFF];
      }
      return new String(out);
    }

    @Override
    byte[] encode(String text) {
      byte[] out = new byte[text.length()];
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (!encodable[c]) {
          throw unencodable(text, i, charset);
        }
        out[i] = encodeBmp[c];
      }
      return out;
    }

    @Override
    Charset charset() {
      return charset;
    }
  }
}
