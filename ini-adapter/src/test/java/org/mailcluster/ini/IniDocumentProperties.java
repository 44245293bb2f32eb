package org.mailcluster.ini;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Round-trip and editing properties of {@link IniDocument}. Tries follow {@code
 * jqwik.tries.default} (1000 in the build); jqwik prints the seed of any failure.
 */
class IniDocumentProperties {
  static final String[] NAMES = {"a", "A", "Sec", "sec", "SEC", "x y", "k", "K", "Dir", "[q"};

  @Property
  void any_bytes_round_trip_through_the_lenient_parser(@ForAll("anyBytes") byte[] bytes) {
    assertArrayEquals(bytes, IniDocument.parseLenient(bytes).toBytes());
  }

  @Property
  void strict_parser_refuses_or_round_trips(@ForAll("anyBytes") byte[] bytes) {
    IniDocument doc;
    try {
      doc = IniDocument.parse(bytes);
    } catch (IniSyntaxException refused) {
      return;
    }
    assertArrayEquals(bytes, doc.toBytes());
  }

  @Property
  void ini_like_text_round_trips_and_reads_like_the_model(@ForAll("iniText") String text) {
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

  @Property
  void edits_change_exactly_what_the_model_changes(
      @ForAll("iniText") String text, @ForAll("edits") List<Edit> edits) {
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

  /** One editing step, printed readably when jqwik shrinks a failure. */
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

  @Provide
  Arbitrary<List<Edit>> edits() {
    Arbitrary<String> names = Arbitraries.of("a", "A", "Sec", "sec", "x y", "k", "K", "Dir");
    Arbitrary<String> values = Arbitraries.of("", "1", "v;w", "a=b", "\u00e0", "x y", "[z]");
    Arbitrary<Edit> edit =
        Combinators.combine(
                Arbitraries.of("set", "set", "set", "remove", "removeSection"),
                names,
                names,
                values)
            .as(Edit::new);
    return edit.list().ofMaxSize(8);
  }

  @Provide
  Arbitrary<byte[]> anyBytes() {
    Arbitrary<Byte> interesting =
        Arbitraries.of(
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
    Arbitrary<Byte> any =
        Arbitraries.frequencyOf(Tuple.of(3, interesting), Tuple.of(1, Arbitraries.bytes()));
    Arbitrary<byte[]> body = any.array(byte[].class).ofMaxSize(300);
    Arbitrary<byte[]> prefix =
        Arbitraries.of(
            new byte[0],
            new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
            new byte[] {(byte) 0xFF, (byte) 0xFE},
            new byte[] {(byte) 0xFE, (byte) 0xFF});
    return Combinators.combine(prefix, body)
        .as(
            (p, b) -> {
              byte[] out = new byte[p.length + b.length];
              System.arraycopy(p, 0, out, 0, p.length);
              System.arraycopy(b, 0, out, p.length, b.length);
              return out;
            });
  }

  @Provide
  Arbitrary<String> iniText() {
    Arbitrary<String> name = Arbitraries.of(NAMES);
    Arbitrary<String> blank = Arbitraries.of("", "", " ", "\t", "  ");
    Arbitrary<String> value =
        Arbitraries.of("", "1", "C:\\Mail\\", "465;993", "a=b", "\u00e0 x", "\"q\"");
    Arbitrary<String> header =
        Combinators.combine(blank, name, blank, Arbitraries.of("", " ; c", "]"))
            .as((b, n, b2, tail) -> b + "[" + b2 + n + b2 + "]" + tail);
    Arbitrary<String> key =
        Combinators.combine(blank, name, blank, blank, value, blank)
            .as((b1, n, b2, b3, v, b4) -> b1 + n + b2 + "=" + b3 + v + b4);
    Arbitrary<String> other =
        Arbitraries.of("", "; comment", "  ;x=1", "#k=1", "no key", "=v", "[open", "[k=2", " ");
    Arbitrary<String> line =
        Arbitraries.frequencyOf(Tuple.of(2, header), Tuple.of(5, key), Tuple.of(2, other));
    Arbitrary<String> terminator = Arbitraries.of("\r\n", "\r\n", "\n", "\r");
    return Combinators.combine(
            Combinators.combine(line, terminator).as((l, t) -> l + t).list().ofMaxSize(20),
            line,
            Arbitraries.of(true, false))
        .as(
            (lines, last, unterminated) -> {
              List<String> all = new ArrayList<>(lines);
              if (unterminated) {
                all.add(last);
              }
              return String.join("", all);
            });
  }
}
