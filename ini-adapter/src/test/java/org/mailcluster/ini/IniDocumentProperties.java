package org.mailcluster.ini;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailcluster.testing.PropertyRuns;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Round-trip and editing properties of {@link IniDocument}. Each property makes {@code
 * mailcluster.tries} tries (1000 in the build) and prints its seed.
 */
class IniDocumentProperties {
  static final String[] NAMES = {"a", "A", "Sec", "sec", "SEC", "x y", "k", "K", "Dir", "[q"};

  @Test
  void any_bytes_round_trip_through_the_lenient_parser() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(anyBytes())
                .checkAssert(
                    bytes -> assertArrayEquals(bytes, IniDocument.parseLenient(bytes).toBytes())));
  }

  @Test
  void strict_parser_refuses_or_round_trips() {
    PropertyRuns.check(
        theory ->
            theory.forAll(anyBytes()).checkAssert(IniDocumentProperties::refusedOrRoundTrips));
  }

  private static void refusedOrRoundTrips(byte[] bytes) {
    IniDocument doc;
    try {
      doc = IniDocument.parse(bytes);
    } catch (IniSyntaxException refused) {
      return;
    }
    assertArrayEquals(bytes, doc.toBytes());
  }

  @Test
  void ini_like_text_round_trips_and_reads_like_the_model() {
    PropertyRuns.check(
        theory -> theory.forAll(iniText()).checkAssert(IniDocumentProperties::readsLikeTheModel));
  }

  private static void readsLikeTheModel(String text) {
    byte[] bytes = text.getBytes(ISO_8859_1);
    IniDocument doc = IniDocument.parse(bytes, ISO_8859_1);
    assertArrayEquals(bytes, doc.toBytes());
    IniModel model = IniModel.of(text);
    assertEquals(model.entries(), doc.entries());
    for (String s : NAMES) {
      for (String k : NAMES) {
        assertEquals(model.get(s, k), doc.get(s, k), "[" + s + "] " + k);
      }
    }
  }

  @Test
  void edits_change_exactly_what_the_model_changes() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(iniText(), edits())
                .checkAssert(IniDocumentProperties::editsLikeTheModel));
  }

  private static void editsLikeTheModel(String text, List<Edit> edits) {
    IniDocument doc = IniDocument.parse(text.getBytes(ISO_8859_1), ISO_8859_1);
    IniModel model = IniModel.of(text);
    for (Edit edit : edits) {
      edit.applyTo(doc);
      edit.applyTo(model);
      assertEquals(model.text(), new String(doc.toBytes(), ISO_8859_1), "after " + edit);
      assertEquals(model.entries(), doc.entries(), "after " + edit);
      for (String s : NAMES) {
        for (String k : NAMES) {
          assertEquals(model.get(s, k), doc.get(s, k), "after " + edit + ": [" + s + "] " + k);
        }
      }
    }
  }

  /** One editing step, printed readably in a shrunk failure. */
  record Edit(String op, String section, String key, String value) {
    void applyTo(IniDocument doc) {
      switch (op) {
        case "set" -> doc.set(section, key, value);
        case "remove" -> doc.remove(section, key);
        default -> doc.removeSection(section);
      }
    }

    void applyTo(IniModel model) {
      switch (op) {
        case "set" -> model.set(section, key, value);
        case "remove" -> model.remove(section, key);
        default -> model.removeSection(section);
      }
    }

    @Override
    public String toString() {
      return switch (op) {
        case "set" -> "set [" + section + "] " + key + "=" + value;
        case "remove" -> "remove [" + section + "] " + key;
        default -> "removeSection [" + section + "]";
      };
    }
  }

  static Gen<List<Edit>> edits() {
    Gen<String> names = Generate.pick(List.of("a", "A", "Sec", "sec", "x y", "k", "K", "Dir"));
    Gen<String> values = Generate.pick(List.of("", "1", "v;w", "a=b", "\u00e0", "x y", "[z]"));
    Gen<Edit> edit =
        Generate.pick(List.of("set", "set", "set", "remove", "removeSection"))
            .zip(names, names, values, Edit::new);
    return lists().of(edit).ofSizeBetween(0, 8);
  }

  static Gen<byte[]> anyBytes() {
    List<Byte> interesting =
        List.of(
            (byte) '\r',
            (byte) '\n',
            (byte) '[',
            (byte) ']',
            (byte) '=',
            (byte) ';',
            (byte) ' ',
            (byte) '\t',
            (byte) 0,
            (byte) 0xEF,
            (byte) 0xBB,
            (byte) 0xBF,
            (byte) 0xFF,
            (byte) 0xFE,
            (byte) 0xC3,
            (byte) 0xA9,
            (byte) 0x81,
            (byte) 'a');
    Gen<Byte> any =
        Generate.frequency(
            Pair.of(3, Generate.pick(interesting)),
            Pair.of(1, Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0)));
    Gen<byte[]> body = Generate.byteArrays(integers().between(0, 300), any);
    Gen<byte[]> prefix =
        Generate.pick(
            List.of(
                new byte[0],
                new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
                new byte[] {(byte) 0xFF, (byte) 0xFE},
                new byte[] {(byte) 0xFE, (byte) 0xFF}));
    return prefix
        .zip(
            body,
            (p, b) -> {
              byte[] out = new byte[p.length + b.length];
              System.arraycopy(p, 0, out, 0, p.length);
              System.arraycopy(b, 0, out, p.length, b.length);
              return out;
            })
        .describedAs(Arrays::toString);
  }

  static Gen<String> iniText() {
    Gen<String> name = Generate.pick(List.of(NAMES));
    Gen<String> blank = Generate.pick(List.of("", "", " ", "\t", "  "));
    Gen<String> value =
        Generate.pick(List.of("", "1", "C:\\Mail\\", "465;993", "a=b", "\u00e0 x", "\"q\""));
    Gen<String> header =
        blank.zip(
            name,
            blank,
            Generate.pick(List.of("", " ; c", "]")),
            (b, n, b2, tail) -> b + "[" + b2 + n + b2 + "]" + tail);
    Gen<String> key =
        blank.zip(
            name,
            blank,
            blank.zip(value, blank, (b3, v, b4) -> b3 + v + b4),
            (b1, n, b2, rest) -> b1 + n + b2 + "=" + rest);
    Gen<String> other =
        Generate.pick(
            List.of("", "; comment", "  ;x=1", "#k=1", "no key", "=v", "[open", "[k=2", " "));
    Gen<String> line = Generate.frequency(Pair.of(2, header), Pair.of(5, key), Pair.of(2, other));
    Gen<String> terminator = Generate.pick(List.of("\r\n", "\r\n", "\n", "\r"));
    return lists()
        .of(line.zip(terminator, (l, t) -> l + t))
        .ofSizeBetween(0, 20)
        .zip(
            line,
            booleans().all(),
            (lines, last, unterminated) -> {
              List<String> all = new ArrayList<>(lines);
              if (unterminated) {
                all.add(last);
              }
              return String.join("", all);
            })
        .describedAs(PropertyRuns::quoted);
  }
}
