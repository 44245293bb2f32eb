package org.mailcluster.ini;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.mailcluster.testing.PropertyRuns;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Fuzz target for the parser and editor: byte soup built from INI fragments, BOMs, line endings,
 * multi-byte sequences and random bytes. Every input must either be refused with {@link
 * IniSyntaxException}, or round-trip exactly, read consistently, and survive an edit that re-reads
 * as intended with every other entry unchanged.
 *
 * <p>Runs {@code mailcluster.tries} inputs (1000 in the normal build) and prints its seed and how
 * many inputs ended each way. Long mode:
 *
 * <pre>
 * ./mvnw -B -pl ini-adapter -am test -Dtest=IniFuzzProperties -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dmailcluster.tries=100000
 * </pre>
 */
class IniFuzzProperties {

  @Test
  void parse_never_fails_unexpectedly_and_edits_stay_consistent() {
    Map<String, Integer> outcomes = new TreeMap<>();
    PropertyRuns.check(
        theory ->
            theory
                .forAll(soup(), values())
                .checkAssert((input, value) -> fuzzOnce(input, value, outcomes)));
    System.out.println("IniFuzzProperties: " + outcomes);
    assertTrue(outcomes.containsKey("refused by the strict parse"), outcomes.toString());
    assertTrue(outcomes.containsKey("parsed, edited"), outcomes.toString());
  }

  private static void fuzzOnce(byte[] input, String value, Map<String, Integer> outcomes) {
    assertArrayEquals(input, IniDocument.parseLenient(input).toBytes());
    IniDocument doc;
    try {
      doc = IniDocument.parse(input);
    } catch (IniSyntaxException refused) {
      outcomes.merge("refused by the strict parse", 1, Integer::sum);
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
      outcomes.merge("parsed, edit refused", 1, Integer::sum);
      assertArrayEquals(input, doc.toBytes(), "a refused edit must change nothing");
      return;
    }
    outcomes.merge(
        entries.isEmpty() ? "parsed without entries, edited" : "parsed, edited", 1, Integer::sum);
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

  static Gen<String> values() {
    return Generate.oneOf(
        Generate.pick(
            List.of("", "x", "\u00e0", "\u20ac", "a;b", "=", "[x]", "\u4e2d", "\ud83d\ude00")),
        PropertyRuns.strings(latin1(), 0, 12));
  }

  private static String latin1() {
    StringBuilder b = new StringBuilder();
    for (char c = ' '; c <= '\u00ff'; c++) {
      b.append(c);
    }
    return b.toString();
  }

  static Gen<byte[]> soup() {
    Gen<byte[]> lines =
        Generate.pick(
                List.of(
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
                    "[x]y]\r\n"))
            .map(s -> s.getBytes(ISO_8859_1));
    Gen<byte[]> tokens =
        Generate.pick(
                List.of(
                    "[", "]", "=", ";", " ", "\t", "\r", "\n", "\r\n", "[Sec]", "key", "KEY",
                    "=value", "#"))
            .map(s -> s.getBytes(ISO_8859_1));
    Gen<byte[]> special =
        Generate.pick(
            List.of(
                new byte[] {(byte) 0xE0},
                new byte[] {(byte) 0x80},
                new byte[] {(byte) 0x81},
                new byte[] {(byte) 0xC3, (byte) 0xA0},
                new byte[] {(byte) 0xE2, (byte) 0x82, (byte) 0xAC},
                new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80},
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}));
    Gen<byte[]> binary =
        Generate.pick(
            List.of(
                new byte[] {(byte) 0x00},
                new byte[] {(byte) 0x00, '['},
                new byte[] {0x00, (byte) 0xD8}));
    Gen<byte[]> randomBytes =
        Generate.byteArrays(
            integers().between(0, 8), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
    Gen<byte[]> fragment =
        Generate.frequency(
            Pair.of(60, lines),
            Pair.of(30, tokens),
            Pair.of(10, special),
            Pair.of(1, binary),
            Pair.of(3, randomBytes));
    // Modes: 0-1 no BOM, 2 UTF-8 BOM, 3-4 UTF-16 LE/BE BOM over raw bytes, 5-6 the same with
    // every byte widened to a UTF-16 unit, so that real UTF-16 INI structure is hit too.
    Gen<Integer> mode =
        Generate.frequency(
            Pair.of(8, Generate.pick(List.of(0, 1))),
            Pair.of(2, Generate.constant(2)),
            Pair.of(1, Generate.pick(List.of(3, 4))),
            Pair.of(3, Generate.pick(List.of(5, 6))));
    return mode.zip(lists().of(fragment).ofSizeBetween(0, 40), IniFuzzProperties::assemble)
        .describedAs(Arrays::toString);
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
