package org.mailcluster.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.testing.PropertyRuns;
import org.quicktheories.core.Gen;

/** The string and record encodings round-trip every value, including unpaired surrogates. */
class CodecProperties {

  private static Gen<String> anyChars() {
    return PropertyRuns.anyStrings(0, 40);
  }

  @Test
  void everyJavaStringRoundTripsThroughWtf8() {
    PropertyRuns.check(
        500,
        theory ->
            theory
                .forAll(anyChars())
                .checkAssert(
                    s -> {
                      byte[] b = Codec.wtf8(s);
                      assertEquals(s, decode(b));
                    }));
  }

  @Test
  void wellFormedTextIsPlainUtf8() {
    PropertyRuns.check(
        300,
        theory ->
            theory
                .forAll(anyChars())
                .checkAssert(
                    s -> {
                      String wellFormed = new String(s.getBytes(UTF_8), UTF_8);
                      assertArrayEquals(wellFormed.getBytes(UTF_8), Codec.wtf8(wellFormed));
                    }));
  }

  /** The text fields of a log record. */
  record Texts(String origin, String key, String value) {}

  @Test
  void logRecordsRoundTrip() {
    Gen<Texts> texts = anyChars().zip(anyChars(), anyChars(), Texts::new);
    PropertyRuns.check(
        300,
        theory ->
            theory
                .forAll(texts, longs().all(), integers().all())
                .checkAssert(
                    (t, seconds, nanos) -> {
                      Instant at =
                          Instant.ofEpochSecond(
                              Math.floorMod(seconds, 1L << 40),
                              Math.floorMod(nanos, 1_000_000_000));
                      LogEntry e =
                          new LogEntry(
                              Revision.of(3, 7),
                              at,
                              "api:" + t.origin(),
                              ConfigDiff.of(
                                  List.of(
                                      ConfigDiff.Change.added("k" + t.key(), t.value()),
                                      ConfigDiff.Change.removed("r" + t.key(), t.value()),
                                      ConfigDiff.Change.changed(
                                          "c" + t.key(), t.value(), t.value() + "!"))));
                      byte[] frame = Codec.frame(e);
                      assertEquals(e, decodeEntry(frame));
                    }));
  }

  private static String decode(byte[] b) {
    try {
      return Codec.fromWtf8(b, 0, b.length);
    } catch (Exception e) {
      throw new AssertionError("could not decode " + java.util.Arrays.toString(b), e);
    }
  }

  private static LogEntry decodeEntry(byte[] frame) {
    try {
      return Codec.decodeEntry(
          frame, Codec.FRAME_HEADER_BYTES, frame.length - Codec.FRAME_HEADER_BYTES);
    } catch (Exception e) {
      throw new AssertionError("could not decode the frame of " + frame.length + " bytes", e);
    }
  }
}
