package org.mailcluster.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;

/** The string and record encodings round-trip every value, including unpaired surrogates. */
class CodecProperties {

  @Provide
  Arbitrary<String> anyChars() {
    return Arbitraries.strings().all().ofMaxLength(40);
  }

  @Property(tries = 500)
  void everyJavaStringRoundTripsThroughWtf8(@ForAll("anyChars") String s) throws Exception {
    byte[] b = Codec.wtf8(s);
    assertEquals(s, Codec.fromWtf8(b, 0, b.length));
  }

  @Property(tries = 300)
  void wellFormedTextIsPlainUtf8(@ForAll("anyChars") String s) {
    String wellFormed = new String(s.getBytes(UTF_8), UTF_8);
    assertArrayEquals(wellFormed.getBytes(UTF_8), Codec.wtf8(wellFormed));
  }

  @Property(tries = 300)
  void logRecordsRoundTrip(
      @ForAll("anyChars") String origin,
      @ForAll("anyChars") String key,
      @ForAll("anyChars") String value,
      @ForAll long seconds,
      @ForAll int nanos)
      throws Exception {
    Instant at =
        Instant.ofEpochSecond(
            Math.floorMod(seconds, 1L << 40), Math.floorMod(nanos, 1_000_000_000));
    LogEntry e =
        new LogEntry(
            Revision.of(3, 7),
            at,
            "api:" + origin,
            ConfigDiff.of(
                List.of(
                    ConfigDiff.Change.added("k" + key, value),
                    ConfigDiff.Change.removed("r" + key, value),
                    ConfigDiff.Change.changed("c" + key, value, value + "!"))));
    byte[] frame = Codec.frame(e);
    assertEquals(
        e,
        Codec.decodeEntry(
            frame, Codec.FRAME_HEADER_BYTES, frame.length - Codec.FRAME_HEADER_BYTES));
  }
}
