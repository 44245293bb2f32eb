package org.mailcluster.ini;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Fuzz target for the parser and editor: byte soup built from INI fragments, BOMs, line endings,
 * multi-byte sequences and random bytes. Every input must either be refused with {@link
 * IniSyntaxException}, or round-trip exactly, read consistently, and survive an edit that re-reads
 * as intended with every other entry unchanged.
 *
 * <p>Runs {@code jqwik.tries.default} inputs (1000 in the normal build). Long mode:
 *
 * <pre>
 * ./mvnw -B -pl ini-adapter -am test -Dtest=IniFuzzProperties -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Djqwik.tries.default=100000
 * </pre>
 */
class IniFuzzProperties {

  @Property
  void parse_never_fails_unexpectedly_and_edits_stay_consistent(
      @ForAll("soup") byte[] input, @ForAll("values") String value) {
    assertArrayEquals(input, IniDocument.parseLenient(input).toBytes());
    IniDocument doc;
    try {
      doc = IniDocument.parse(input);
    } catch (IniSyntaxException refused) {
      Statistics.collect("refused by strict parse");
      assertTrue(refused.line() >= 1 && refused.column() >= 1, refused.getMessage());
      return;
    }
    assertArrayEquals(input, doc.toBytes());
    List<IniDocument.Entry> entries = doc.entries();
    for (IniDocument.Entry e : entries) {
      assertEquals(Optional.of(e.value()), doc.get(e.section(), e.key()), e.toString());
    }
    String section = entries.isEmpty() ? "Fuzz" : entries.get(entries.size() / 2).section();
    String key = entries.isEmpty() ? "Key" : entries.get(entries.size() / 3).key();
    boolean written;
    try {
      written = doc.set(section, key, value);
    } catch (IllegalArgumentException refused) {
      Statistics.collect("parsed, edit refused");
      assertArrayEquals(input, doc.toBytes(), "a refused edit must change nothing");
      return;
    }
    Statistics.collect(entries.isEmpty() ? "parsed, no entries, edited" : "parsed, edited");
    IniDocument reread = IniDocument.parse(doc.toBytes());
    assertEquals(Optional.of(value), reread.get(section, key));
    for (IniDocument.Entry e : entries) {
      boolean edited = e.section().equalsIgnoreCase(section) && e.key().equalsIgnoreCase(key);
      if (!edited) {
        assertEquals(Optional.of(e.value()), reread.get(e.section(), e.key()), e.toString());
      }
    }
    if (!written) {
      assertArrayEquals(input, doc.toBytes());
    }
  }

  @Provide
  Arbitrary<String> values() {
    return Arbitraries.oneOf(
        Arbitraries.of("", "x", "\u00e0", "\u20ac", "a;b", "=", "[x]", "\u4e2d", "\ud83d\ude00"),
        Arbitraries.strings().withCharRange(' ', '\u00ff').ofMaxLength(12));
  }

  @Provide
  Arbitrary<byte[]> soup() {
    Arbitrary<byte[]> lines =
        Arbitraries.of(
                "[Sec]\r\n",
                "[sec]\n",
                " [ Other ] \r\n",
                "key=value\r\n",
                "KEY = v;x\n",
                "k2=\r\n",
                "; comment\r\n",
                "#k=1\n",
                "a=b=c\r",
                "\r\n",
                "[x]y]\r\n")
            .map(s -> s.getBytes(ISO_8859_1));
    Arbitrary<byte[]> tokens =
        Arbitraries.of(
                "[", "]", "=", ";", " ", "\t", "\r", "\n", "\r\n", "[Sec]", "key", "KEY", "=value",
                "#")
            .map(s -> s.getBytes(ISO_8859_1));
    Arbitrary<byte[]> special =
        Arbitraries.of(
            new byte[] {(byte) 0xE0},
            new byte[] {(byte) 0x80},
            new byte[] {(byte) 0x81},
            new byte[] {(byte) 0xC3, (byte) 0xA0},
            new byte[] {(byte) 0xE2, (byte) 0x82, (byte) 0xAC},
            new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80},
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80});
    Arbitrary<byte[]> binary =
        Arbitraries.of(
            new byte[] {(byte) 0x00},
            new byte[] {(byte) 0x00, '['},
            new byte[] {0x00, (byte) 0xD8});
    Arbitrary<byte[]> fragment =
        Arbitraries.frequencyOf(
            Tuple.of(60, lines),
            Tuple.of(30, tokens),
            Tuple.of(10, special),
            Tuple.of(1, binary),
            Tuple.of(3, Arbitraries.bytes().array(byte[].class).ofMaxSize(8)));
    // Modes: 0-1 no BOM, 2 UTF-8 BOM, 3-4 UTF-16 LE/BE BOM over raw bytes, 5-6 the same with
    // every byte widened to a UTF-16 unit, so that real UTF-16 INI structure is hit too.
    Arbitrary<Integer> mode =
        Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.of(0, 1)),
            Tuple.of(2, Arbitraries.just(2)),
            Tuple.of(1, Arbitraries.of(3, 4)),
            Tuple.of(3, Arbitraries.of(5, 6)));
    return Combinators.combine(mode, fragment.list().ofMaxSize(40)).as(IniFuzzProperties::assemble);
  }

  private static byte[] assemble(int mode, List<byte[]> parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    switch (mode) {
      case 2 -> out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
      case 3, 5 -> out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xFE});
      case 4, 6 -> out.writeBytes(new byte[] {(byte) 0xFE, (byte) 0xFF});
      default -> {}
    }
    for (byte[] part : parts) {
      for (byte b : part) {
        if (mode == 5) {
          out.write(b);
          out.write(0);
        } else if (mode == 6) {
          out.write(0);
          out.write(b);
        } else {
          out.write(b);
        }
      }
    }
    return out.toByteArray();
  }
}
