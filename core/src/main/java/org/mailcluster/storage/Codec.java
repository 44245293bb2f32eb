package org.mailcluster.storage;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;

/**
 * The byte layouts of the store's files (documented on {@link FileStateStore}): big-endian
 * integers, and strings as a 4-byte byte count followed by WTF-8, which is UTF-8 extended so that
 * an unpaired surrogate (legal in a Java string) is written as its own 3-byte sequence instead of
 * being replaced. Every string therefore round-trips exactly, and a string without unpaired
 * surrogates is plain UTF-8.
 */
final class Codec {
  static final int SEGMENT_MAGIC = 0x4D434C47; // "MCLG"
  static final int SNAPSHOT_MAGIC = 0x4D43534E; // "MCSN"
  static final int METADATA_MAGIC = 0x4D434D44; // "MCMD"
  static final byte FORMAT_VERSION = 1;

  /** magic, version, 3 reserved bytes, generation, previous epoch and sequence, header CRC. */
  static final int SEGMENT_HEADER_BYTES = 4 + 1 + 3 + 8 + 8 + 8 + 4;

  /** Frame header: payload length, then CRC32C over the length bytes and the payload. */
  static final int FRAME_HEADER_BYTES = 8;

  /** Larger payloads are refused on append; on read a larger length marks a corrupt frame. */
  static final int MAX_PAYLOAD_BYTES = 1 << 30;

  private static final int FLAG_OLD = 1;
  private static final int FLAG_NEW = 2;

  private Codec() {}

  /** Thrown when bytes do not decode; recovery turns it into a repair, reads into an error. */
  static final class CorruptException extends Exception {
    private static final long serialVersionUID = 1L;

    CorruptException(String message) {
      super(message);
    }

    CorruptException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A growable big-endian byte buffer. */
  static final class Encoder {
    private byte[] buf;
    private int len;

    Encoder(int initialCapacity) {
      buf = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int more) {
      long need = (long) len + more;
      if (need > buf.length) {
        if (need > Integer.MAX_VALUE - 16) {
          throw new IllegalArgumentException("record of more than " + len + " bytes is too large");
        }
        buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(need, 2L * len)));
      }
    }

    Encoder putByte(int b) {
      ensure(1);
      buf[len++] = (byte) b;
      return this;
    }

    Encoder putInt(int v) {
      ensure(4);
      buf[len++] = (byte) (v >>> 24);
      buf[len++] = (byte) (v >>> 16);
      buf[len++] = (byte) (v >>> 8);
      buf[len++] = (byte) v;
      return this;
    }

    Encoder putLong(long v) {
      putInt((int) (v >>> 32));
      return putInt((int) v);
    }

    Encoder putString(String s) {
      byte[] b = wtf8(s);
      putInt(b.length);
      ensure(b.length);
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
      return this;
    }

    void setInt(int at, int v) {
      buf[at] = (byte) (v >>> 24);
      buf[at + 1] = (byte) (v >>> 16);
      buf[at + 2] = (byte) (v >>> 8);
      buf[at + 3] = (byte) v;
    }

    int length() {
      return len;
    }

    byte[] array() {
      return buf;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, len);
    }
  }

  static int crc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  // ---- log ----

  static byte[] segmentHeader(long generation, Revision prev) {
    Encoder e = new Encoder(SEGMENT_HEADER_BYTES);
    e.putInt(SEGMENT_MAGIC).putByte(FORMAT_VERSION).putByte(0).putByte(0).putByte(0);
    e.putLong(generation).putLong(prev.epoch()).putLong(prev.sequence());
    e.putInt(crc(e.array(), 0, e.length()));
    return e.toByteArray();
  }

  /** The parts of a segment header. */
  record SegmentHeader(long generation, Revision prev) {}

  static SegmentHeader readSegmentHeader(ByteBuffer b) throws CorruptException {
    if (b.remaining() < SEGMENT_HEADER_BYTES) {
      throw new CorruptException(
          "header is torn (" + b.remaining() + " of " + SEGMENT_HEADER_BYTES + " bytes)");
    }
    int start = b.position();
    int magic = b.getInt();
    if (magic != SEGMENT_MAGIC) {
      throw new CorruptException("not a log segment (magic " + Integer.toHexString(magic) + ")");
    }
    byte version = b.get();
    b.position(b.position() + 3);
    long generation = b.getLong();
    long epoch = b.getLong();
    long seq = b.getLong();
    int stored = b.getInt();
    byte[] head = new byte[SEGMENT_HEADER_BYTES - 4];
    b.get(start, head);
    if (crc(head, 0, head.length) != stored) {
      throw new CorruptException("header CRC mismatch");
    }
    if (version != FORMAT_VERSION) {
      throw new CorruptException(
          "format version "
              + version
              + " is not supported (this build reads "
              + FORMAT_VERSION
              + "); run a newer mailcluster");
    }
    try {
      return new SegmentHeader(generation, Revision.of(epoch, seq));
    } catch (IllegalArgumentException e) {
      throw new CorruptException("header holds an impossible revision", e);
    }
  }

  /** Returns the whole frame: length, CRC, payload. */
  static byte[] frame(LogEntry entry) {
    Encoder e = new Encoder(256);
    e.putInt(0).putInt(0);
    Revision r = entry.revision();
    e.putLong(r.epoch()).putLong(r.sequence());
    e.putLong(entry.committedAt().getEpochSecond()).putInt(entry.committedAt().getNano());
    e.putString(entry.origin());
    List<ConfigDiff.Change> changes = entry.diff().changes();
    e.putInt(changes.size());
    for (ConfigDiff.Change c : changes) {
      e.putByte(
          (c.oldValue().isPresent() ? FLAG_OLD : 0) | (c.newValue().isPresent() ? FLAG_NEW : 0));
      e.putString(c.key());
      c.oldValue().ifPresent(e::putString);
      c.newValue().ifPresent(e::putString);
    }
    int payload = e.length() - FRAME_HEADER_BYTES;
    if (payload > MAX_PAYLOAD_BYTES) {
      throw new IllegalArgumentException(
          "log entry "
              + r
              + " encodes to "
              + payload
              + " bytes, more than the limit of "
              + MAX_PAYLOAD_BYTES
              + "; split the change");
    }
    e.setInt(0, payload);
    e.setInt(4, frameCrc(e.array(), 0, payload));
    return e.toByteArray();
  }

  /** CRC32C over the 4 length bytes at {@code frameStart} and the payload after the header. */
  static int frameCrc(byte[] b, int frameStart, int payloadLength) {
    CRC32C c = new CRC32C();
    c.update(b, frameStart, 4);
    c.update(b, frameStart + FRAME_HEADER_BYTES, payloadLength);
    return (int) c.getValue();
  }

  static LogEntry decodeEntry(byte[] b, int off, int len) throws CorruptException {
    ByteBuffer in = ByteBuffer.wrap(b, off, len);
    try {
      Revision r = Revision.of(in.getLong(), in.getLong());
      Instant at = Instant.ofEpochSecond(in.getLong(), in.getInt());
      String origin = getString(in);
      int n = in.getInt();
      if (n < 0 || n > in.remaining()) {
        throw new CorruptException("impossible change count " + n);
      }
      List<ConfigDiff.Change> changes = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int flags = in.get();
        String key = getString(in);
        Optional<String> old =
            (flags & FLAG_OLD) != 0 ? Optional.of(getString(in)) : Optional.empty();
        Optional<String> neu =
            (flags & FLAG_NEW) != 0 ? Optional.of(getString(in)) : Optional.empty();
        changes.add(new ConfigDiff.Change(key, old, neu));
      }
      if (in.hasRemaining()) {
        throw new CorruptException(in.remaining() + " unexpected bytes after the entry");
      }
      return new LogEntry(r, at, origin, ConfigDiff.of(changes));
    } catch (BufferUnderflowException | IllegalArgumentException | DateTimeException e) {
      throw new CorruptException("payload does not decode: " + e, e);
    }
  }

  static String getString(ByteBuffer in) throws CorruptException {
    int n = in.getInt();
    if (n < 0 || n > in.remaining()) {
      throw new CorruptException("impossible string length " + n);
    }
    int at = in.position();
    in.position(at + n);
    return fromWtf8(in.array(), in.arrayOffset() + at, n);
  }

  // ---- snapshots ----

  /** Writes a snapshot file: header, entries in key order, CRC32C over everything before it. */
  static void writeSnapshot(OutputStream sink, long generation, ConfigSnapshot snapshot)
      throws IOException {
    CRC32C crc = new CRC32C();
    DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(new CheckedOutputStream(sink, crc), 1 << 16));
    out.writeInt(SNAPSHOT_MAGIC);
    out.writeByte(FORMAT_VERSION);
    out.write(new byte[3]);
    out.writeLong(generation);
    out.writeLong(snapshot.revision().epoch());
    out.writeLong(snapshot.revision().sequence());
    out.writeInt(snapshot.size());
    IOException[] failed = {null};
    snapshot.forEach(
        (k, v) -> {
          if (failed[0] == null) {
            try {
              writeString(out, k);
              writeString(out, v);
            } catch (IOException e) {
              failed[0] = e;
            }
          }
        });
    if (failed[0] != null) {
      throw failed[0];
    }
    out.flush();
    out.writeInt((int) crc.getValue());
    out.flush();
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = wtf8(s);
    out.writeInt(b.length);
    out.write(b);
  }

  /** The parts of a snapshot file. */
  record StoredSnapshot(long generation, ConfigSnapshot snapshot) {}

  static StoredSnapshot readSnapshot(byte[] b) throws CorruptException {
    if (b.length < 4 + 1 + 3 + 8 + 8 + 8 + 4 + 4) {
      throw new CorruptException("file is too short (" + b.length + " bytes)");
    }
    int stored = ByteBuffer.wrap(b, b.length - 4, 4).getInt();
    if (crc(b, 0, b.length - 4) != stored) {
      throw new CorruptException("CRC mismatch");
    }
    ByteBuffer in = ByteBuffer.wrap(b, 0, b.length - 4);
    try {
      int magic = in.getInt();
      if (magic != SNAPSHOT_MAGIC) {
        throw new CorruptException("not a snapshot (magic " + Integer.toHexString(magic) + ")");
      }
      byte version = in.get();
      if (version != FORMAT_VERSION) {
        throw new CorruptException(
            "format version " + version + " is not supported; run a newer mailcluster");
      }
      in.position(in.position() + 3);
      long generation = in.getLong();
      Revision r = Revision.of(in.getLong(), in.getLong());
      int n = in.getInt();
      if (n < 0 || n > in.remaining() / 8) {
        throw new CorruptException("impossible entry count " + n);
      }
      TreeMap<String, String> map = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        String k = getString(in);
        map.put(k, getString(in));
      }
      if (map.size() != n || in.hasRemaining()) {
        throw new CorruptException("entries do not match the count " + n);
      }
      return new StoredSnapshot(generation, ConfigSnapshot.of(map, r));
    } catch (BufferUnderflowException | IllegalArgumentException | NullPointerException e) {
      throw new CorruptException("content does not decode: " + e, e);
    }
  }

  // ---- metadata ----

  static byte[] metadata(SortedMap<String, String> values) {
    Encoder e = new Encoder(64);
    e.putInt(METADATA_MAGIC).putByte(FORMAT_VERSION).putInt(values.size());
    values.forEach(
        (k, v) -> {
          e.putString(k);
          e.putString(v);
        });
    e.putInt(crc(e.array(), 0, e.length()));
    return e.toByteArray();
  }

  static TreeMap<String, String> readMetadata(byte[] b) throws CorruptException {
    if (b.length < 13 || crc(b, 0, b.length - 4) != ByteBuffer.wrap(b, b.length - 4, 4).getInt()) {
      throw new CorruptException("CRC mismatch or torn file (" + b.length + " bytes)");
    }
    ByteBuffer in = ByteBuffer.wrap(b, 0, b.length - 4);
    try {
      if (in.getInt() != METADATA_MAGIC || in.get() != FORMAT_VERSION) {
        throw new CorruptException("not a metadata file of format version " + FORMAT_VERSION);
      }
      int n = in.getInt();
      TreeMap<String, String> map = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        String k = getString(in);
        map.put(k, getString(in));
      }
      return map;
    } catch (BufferUnderflowException e) {
      throw new CorruptException("content does not decode: " + e, e);
    }
  }

  // ---- WTF-8 ----

  static byte[] wtf8(String s) {
    int n = s.length();
    boolean lone = false;
    for (int i = 0; i < n && !lone; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        lone = true;
      }
    }
    if (!lone) {
      return s.getBytes(UTF_8);
    }
    Encoder e = new Encoder(n * 3);
    for (int i = 0; i < n; ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp < 0x80) {
        e.putByte(cp);
      } else if (cp < 0x800) {
        e.putByte(0xC0 | (cp >> 6)).putByte(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        e.putByte(0xE0 | (cp >> 12)).putByte(0x80 | ((cp >> 6) & 0x3F)).putByte(0x80 | (cp & 0x3F));
      } else {
        e.putByte(0xF0 | (cp >> 18))
            .putByte(0x80 | ((cp >> 12) & 0x3F))
            .putByte(0x80 | ((cp >> 6) & 0x3F))
            .putByte(0x80 | (cp & 0x3F));
      }
    }
    return e.toByteArray();
  }

  static String fromWtf8(byte[] b, int off, int len) throws CorruptException {
    int end = off + len;
    boolean surrogates = false;
    for (int i = off; i < end - 1; i++) {
      if (b[i] == (byte) 0xED && (b[i + 1] & 0xFF) >= 0xA0) {
        surrogates = true;
        break;
      }
    }
    if (!surrogates) {
      return new String(b, off, len, UTF_8);
    }
    StringBuilder sb = new StringBuilder(len);
    int i = off;
    while (i < end) {
      int b0 = b[i] & 0xFF;
      int need = b0 < 0x80 ? 0 : b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : b0 >= 0xC0 ? 1 : -1;
      if (need < 0 || i + need >= end) {
        throw new CorruptException("malformed WTF-8 at byte " + (i - off));
      }
      int cp = need == 0 ? b0 : b0 & (0x3F >> need);
      for (int k = 1; k <= need; k++) {
        int bk = b[i + k] & 0xFF;
        if ((bk & 0xC0) != 0x80) {
          throw new CorruptException("malformed WTF-8 at byte " + (i - off + k));
        }
        cp = (cp << 6) | (bk & 0x3F);
      }
      i += need + 1;
      if (cp > Character.MAX_CODE_POINT) {
        throw new CorruptException("malformed WTF-8: code point " + cp + " is out of range");
      }
      sb.appendCodePoint(cp);
    }
    return sb.toString();
  }
}
