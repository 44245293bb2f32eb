package org.mailcluster.ini;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_16BE;
import static java.nio.charset.StandardCharsets.UTF_16LE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IniDocumentTest {
  static final Charset CP1252 = Charset.forName("windows-1252");

  static byte[] sample() {
    try (InputStream in = IniDocumentTest.class.getResourceAsStream("/MDaemon.ini")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static byte[] utf8Bom(String text) {
    return concat(bytes(0xEF, 0xBB, 0xBF), text.getBytes(UTF_8));
  }

  static byte[] utf16le(String text) {
    return concat(bytes(0xFF, 0xFE), text.getBytes(UTF_16LE));
  }

  static byte[] utf16be(String text) {
    return concat(bytes(0xFE, 0xFF), text.getBytes(UTF_16BE));
  }

  static String asText(byte[] b) {
    return new String(b, ISO_8859_1);
  }

  static Stream<Arguments> corpus() {
    String mixed = "[A]\r\nx=1\ny=2\rz=3\r\n\n\r[B]\r\n";
    byte[] oneMegabyteLine = new byte[1 << 20];
    Arrays.fill(oneMegabyteLine, (byte) 'v');
    System.arraycopy("[Big]\r\nk=".getBytes(ISO_8859_1), 0, oneMegabyteLine, 0, 9);
    return Stream.of(
        Arguments.of("sample MDaemon.ini", sample()),
        Arguments.of("empty", new byte[0]),
        Arguments.of("UTF-8 BOM only", bytes(0xEF, 0xBB, 0xBF)),
        Arguments.of("UTF-8 BOM", utf8Bom("[Ünï]\r\nkey=välue €\r\n")),
        Arguments.of("UTF-16LE BOM", utf16le("[Sec]\r\nkey = välue\r\n; c\r\n")),
        Arguments.of("UTF-16BE BOM", utf16be("[Sec]\nkey=v\u20ac\n")),
        Arguments.of("UTF-16LE odd length", concat(utf16le("[S]\r\nk=v"), bytes(0x41))),
        Arguments.of("CRLF", "[a]\r\nb=c\r\n".getBytes(ISO_8859_1)),
        Arguments.of("LF", "[a]\nb=c\n".getBytes(ISO_8859_1)),
        Arguments.of("CR", "[a]\rb=c\r".getBytes(ISO_8859_1)),
        Arguments.of("mixed endings", mixed.getBytes(ISO_8859_1)),
        Arguments.of("no final newline", "[a]\r\nb=c".getBytes(ISO_8859_1)),
        Arguments.of("lone CR at end", "[a]\r\nb=c\r".getBytes(ISO_8859_1)),
        Arguments.of(
            "duplicates", "[A]\r\nx=1\r\nX=2\r\n[a]\r\nx=3\r\ny=4\r\n".getBytes(ISO_8859_1)),
        Arguments.of(
            "comments and odd lines",
            "; head\r\n  ;indented\r\n#x=1\r\nnot a key\r\n[s\r\n=v\r\n[S]\r\n"
                .getBytes(ISO_8859_1)),
        Arguments.of("semicolon in value", "[SSL]\r\nPorts=465;993;995\r\n".getBytes(ISO_8859_1)),
        Arguments.of(
            "windows-1252 incl. undefined bytes",
            concat(
                "[Special]\r\nOrganization=Societ".getBytes(ISO_8859_1),
                bytes(0xE0, 0x80, 0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x0D, 0x0A))),
        Arguments.of("spacing", "  [ S ]  \r\n\t key \t=\t value \t\r\n".getBytes(ISO_8859_1)),
        Arguments.of("1 MB line", oneMegabyteLine));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void unedited_document_round_trips_byte_identical(String name, byte[] input) {
    assertArrayEquals(input, IniDocument.parseLenient(input).toBytes(), name);
    if (!name.contains("odd length")) {
      assertArrayEquals(input, IniDocument.parse(input).toBytes(), name);
    }
  }

  @Test
  void sample_is_read_in_windows_1252_with_its_values() {
    IniDocument ini = IniDocument.parse(sample());
    assertEquals(CP1252, ini.charset());
    assertEquals("\r\n", ini.lineSeparator());
    assertEquals(Optional.of("Societ\u00e0 Esempio S.p.A."), ini.get("Special", "Organization"));
    assertEquals(Optional.of("C:\\MDaemon\\LockFiles\\"), ini.get("Directories", "LockFiles"));
    assertEquals(
        List.of(
            "Directories",
            "NewAccountTemplate",
            "Special",
            "Updates",
            "SSL",
            "DynamicScreening",
            "Time",
            "Cluster"),
        ini.sections());
  }

  @Test
  void encoding_follows_bom_then_utf8_validity_then_fallback() {
    assertEquals(UTF_8, IniDocument.parse(utf8Bom("[a]\r\n")).charset());
    assertEquals(UTF_16LE, IniDocument.parse(utf16le("[a]\r\n")).charset());
    assertEquals(UTF_16BE, IniDocument.parse(utf16be("[a]\r\n")).charset());
    assertEquals(UTF_8, IniDocument.parse("[a]\r\nk=\u00e9\r\n".getBytes(UTF_8)).charset());
    assertEquals(CP1252, IniDocument.parse("[a]\r\nk=v\r\n".getBytes(UTF_8)).charset());
    assertEquals(CP1252, IniDocument.parse(bytes('k', '=', 0xE9)).charset());
    assertEquals(ISO_8859_1, IniDocument.parse(bytes('k', '=', 0xE9), ISO_8859_1).charset());
  }

  @Test
  void values_decode_in_each_encoding() {
    assertEquals(
        Optional.of("v\u20ac"), IniDocument.parse(utf16be("[S]\nk=v\u20ac\n")).get("s", "K"));
    assertEquals(
        Optional.of("välue"), IniDocument.parse(utf16le("[S]\r\nk = välue\r\n")).get("S", "k"));
    assertEquals(
        Optional.of("välue €"), IniDocument.parse(utf8Bom("[S]\nk=välue €")).get("S", "k"));
  }

  @Test
  void undefined_windows_1252_bytes_read_as_c1_controls_and_write_back() {
    IniDocument ini = IniDocument.parse(bytes('[', 'S', ']', '\n', 'k', '=', 0x81, 0x9D, 0x80));
    assertEquals(Optional.of("\u0081\u009d\u20ac"), ini.get("S", "k"));
    ini.set("S", "j", "\u0081\u20ac");
    assertArrayEquals(
        bytes('[', 'S', ']', '\n', 'k', '=', 0x81, 0x9D, 0x80, '\n', 'j', '=', 0x81, 0x80),
        ini.toBytes());
  }

  // --- Windows private-profile reading rules, one test each ---

  @Test
  void rule1_section_and_key_names_are_case_insensitive() {
    IniDocument ini = IniDocument.parse("[Directories]\r\nLockFiles=L\r\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("L"), ini.get("directories", "LOCKFILES"));
    assertEquals(Optional.of("L"), ini.get("DIRECTORIES", "lockfiles"));
  }

  @Test
  void rule2_first_section_of_a_name_is_the_one_searched() {
    IniDocument ini = IniDocument.parse("[A]\nx=1\n[B]\n[a]\nx=2\ny=3\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("1"), ini.get("A", "x"));
    assertEquals(Optional.empty(), ini.get("A", "y"));
    assertEquals(List.of("A", "B"), ini.sections());
    assertEquals(List.of("x"), ini.keys("a"));
  }

  @Test
  void rule3_first_key_of_a_name_wins() {
    IniDocument ini = IniDocument.parse("[s]\nx=1\nX=2\nx=3\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("1"), ini.get("s", "x"));
    assertEquals(List.of("x"), ini.keys("s"));
    assertEquals(List.of(new IniDocument.Entry("s", "x", "1")), ini.entries());
  }

  @Test
  void rule4_semicolon_is_a_comment_only_at_line_start() {
    IniDocument ini =
        IniDocument.parse(
            "[SSL]\n  ; Users=D:\\\n;x=1\nPorts=465;993\n#h=1\n".getBytes(ISO_8859_1));
    assertEquals(Optional.empty(), ini.get("SSL", "Users"));
    assertEquals(Optional.empty(), ini.get("SSL", ";x"));
    assertEquals(Optional.of("465;993"), ini.get("SSL", "Ports"));
    assertEquals(Optional.of("1"), ini.get("SSL", "#h"));
  }

  @Test
  void rule5_blanks_around_names_and_values_are_trimmed_quotes_kept() {
    IniDocument ini =
        IniDocument.parse("[ S ]\n \t Users  =  C:\\Mail \t\nq=\"a\"\ne=\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("C:\\Mail"), ini.get("S", "Users"));
    assertEquals(Optional.of("\"a\""), ini.get("S", "q"));
    assertEquals(Optional.of(""), ini.get("S", "e"));
    assertEquals(List.of("S"), ini.sections());
  }

  @Test
  void rule6_split_at_first_equals_and_lines_without_key_are_ignored() {
    IniDocument ini = IniDocument.parse("[s]\na=b=c\nno key here\n=v\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("b=c"), ini.get("s", "a"));
    assertEquals(List.of("a"), ini.keys("s"));
    assertEquals(Optional.empty(), ini.get("s", ""));
  }

  @Test
  void rule7_section_header_runs_to_the_last_bracket() {
    IniDocument ini = IniDocument.parse("[a]b]\nk=1\n[x=2\n[ Paths ] ; c\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("1"), ini.get("a]b", "k"));
    assertEquals(Optional.of("2"), ini.get("a]b", "[x"));
    assertEquals(List.of("a]b", "Paths"), ini.sections());
  }

  @Test
  void rule8_keys_before_the_first_section_are_not_reachable() {
    IniDocument ini = IniDocument.parse("x=1\n[s]\ny=2\n".getBytes(ISO_8859_1));
    assertEquals(Optional.empty(), ini.get("", "x"));
    assertEquals(List.of(new IniDocument.Entry("s", "y", "2")), ini.entries());
  }

  // --- strict parsing ---

  @Test
  void nul_byte_is_refused_with_position() {
    IniSyntaxException e =
        assertThrows(
            IniSyntaxException.class,
            () -> IniDocument.parse("[a]\r\nkey=v\0x\r\n".getBytes(ISO_8859_1)));
    assertEquals(2, e.line());
    assertEquals(6, e.column());
    assertTrue(e.getMessage().contains("binary file"), e.getMessage());
    assertEquals(Optional.empty(), e.file());
  }

  @Test
  void malformed_utf16_and_utf8_after_bom_are_refused() {
    assertThrows(
        IniSyntaxException.class, () -> IniDocument.parse(concat(utf16le("[a]"), bytes(0x41))));
    IniSyntaxException surrogate =
        assertThrows(
            IniSyntaxException.class,
            () -> IniDocument.parse(concat(utf16le("[a]\nk="), bytes(0x00, 0xD8))));
    assertEquals(2, surrogate.line());
    assertEquals(3, surrogate.column());
    assertThrows(
        IniSyntaxException.class,
        () -> IniDocument.parse(concat(utf8Bom("k="), bytes(0xC3, 0x28))));
  }

  @Test
  void lenient_parse_keeps_what_strict_refuses() {
    byte[] garbage = bytes(0xEF, 0xBB, 0xBF, 0x00, 0xFF, '=', 0x0D);
    assertArrayEquals(garbage, IniDocument.parseLenient(garbage).toBytes());
  }

  @Test
  void multi_byte_or_non_ascii_fallback_charset_is_refused() {
    assertThrows(IllegalArgumentException.class, () -> IniDocument.parse(new byte[0], UTF_16LE));
    assertThrows(
        IllegalArgumentException.class,
        () -> IniDocument.parse(new byte[0], Charset.forName("IBM037")));
  }

  // --- editing: exact bytes before and after ---

  @Test
  void set_existing_key_changes_only_the_value_bytes() {
    IniDocument ini = IniDocument.parse("[S]\r\n  Key  =  old  \r\nz=1\n".getBytes(ISO_8859_1));
    assertTrue(ini.set("s", "KEY", "new value"));
    assertEquals("[S]\r\n  Key  =  new value  \r\nz=1\n", asText(ini.toBytes()));
    assertFalse(ini.set("S", "Key", "new value"));
  }

  @Test
  void set_in_sample_changes_only_that_value() {
    byte[] before = sample();
    IniDocument ini = IniDocument.parse(before);
    ini.set("Directories", "LockFiles", "\\\\nas\\mail\\LockFiles\\");
    String expected =
        asText(before)
            .replace(
                "LockFiles=C:\\MDaemon\\LockFiles\\\r\n",
                "LockFiles=\\\\nas\\mail\\LockFiles\\\r\n");
    assertEquals(expected, asText(ini.toBytes()));
  }

  @Test
  void new_key_goes_after_last_key_of_first_section_with_its_style() {
    IniDocument ini =
        IniDocument.parse("[S]\n  a = 1\r\n; c\n\n[T]\nx=1\n[s]\nb=2\n".getBytes(ISO_8859_1));
    ini.set("S", "new", "v");
    assertEquals("[S]\n  a = 1\r\n  new = v\r\n; c\n\n[T]\nx=1\n[s]\nb=2\n", asText(ini.toBytes()));
  }

  @Test
  void new_key_in_section_without_keys_goes_after_header() {
    IniDocument ini = IniDocument.parse("[S]\r\n; only a comment\r\n".getBytes(ISO_8859_1));
    ini.set("S", "k", "v");
    assertEquals("[S]\r\nk=v\r\n; only a comment\r\n", asText(ini.toBytes()));
  }

  @Test
  void new_key_after_last_line_without_newline() {
    IniDocument ini = IniDocument.parse("[S]\nk=v".getBytes(ISO_8859_1));
    ini.set("S", "j", "w");
    assertEquals("[S]\nk=v\nj=w", asText(ini.toBytes()));
    IniDocument headerOnly = IniDocument.parse("[S]".getBytes(ISO_8859_1));
    headerOnly.set("S", "j", "w");
    assertEquals("[S]\r\nj=w", asText(headerOnly.toBytes()));
  }

  @Test
  void new_section_is_appended_with_dominant_line_ending() {
    IniDocument ini = IniDocument.parse("[A]\nx=1\r\ny=2\nz=3".getBytes(ISO_8859_1));
    assertEquals("\n", ini.lineSeparator());
    ini.set("B", "k", "v");
    assertEquals("[A]\nx=1\r\ny=2\nz=3\n[B]\nk=v\n", asText(ini.toBytes()));
    IniDocument empty = IniDocument.parse(new byte[0]);
    empty.set("S", "k", "à");
    assertArrayEquals(bytes('[', 'S', ']', 13, 10, 'k', '=', 0xE0, 13, 10), empty.toBytes());
  }

  @Test
  void edits_in_utf16_keep_the_encoding() {
    IniDocument ini = IniDocument.parse(utf16le("[S]\r\nk=v\r\n"));
    ini.set("S", "k", "€");
    ini.set("S", "n", "x");
    ini.set("T", "a", "b");
    assertArrayEquals(utf16le("[S]\r\nk=€\r\nn=x\r\n[T]\r\na=b\r\n"), ini.toBytes());
  }

  @Test
  void remove_takes_every_duplicate_of_the_key_in_the_first_section_only() {
    IniDocument ini = IniDocument.parse("[S]\nx=1\ny=2\nX=3\n[s]\nx=4\n".getBytes(ISO_8859_1));
    assertTrue(ini.remove("s", "x"));
    assertEquals("[S]\ny=2\n[s]\nx=4\n", asText(ini.toBytes()));
    assertEquals(Optional.empty(), ini.get("S", "x"));
    assertFalse(ini.remove("S", "x"));
    assertFalse(ini.remove("nope", "x"));
  }

  @Test
  void remove_section_takes_every_duplicate() {
    IniDocument ini =
        IniDocument.parse("; top\n[A]\nx=1\n; c\n[B]\ny=2\n[a]\nz=3\n".getBytes(ISO_8859_1));
    assertTrue(ini.removeSection("A"));
    assertEquals("; top\n[B]\ny=2\n", asText(ini.toBytes()));
    assertFalse(ini.removeSection("A"));
  }

  @Test
  void values_and_names_that_would_not_read_back_are_refused() {
    IniDocument ini = IniDocument.parse("[S]\nk=v\n".getBytes(ISO_8859_1));
    byte[] before = ini.toBytes();
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", "k", "a\r\nb"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", "k", "a\nb"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", "k\r", "v"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("S\n", "k", "v"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", "a=b", "v"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", ";k", "v"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", " k", "v"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", "k", " v"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("", "k", "v"));
    IllegalArgumentException unencodable =
        assertThrows(IllegalArgumentException.class, () -> ini.set("S", "k", "\u4e2d"));
    assertTrue(unencodable.getMessage().contains("U+4E2D"), unencodable.getMessage());
    assertArrayEquals(before, ini.toBytes());
  }

  @Test
  void edit_that_would_make_a_windows_1252_file_read_as_utf8_is_refused_and_undone() {
    byte[] ascii = "[S]\r\nk=v\r\n".getBytes(ISO_8859_1);
    IniDocument ini = IniDocument.parse(ascii);
    // "\u00c3\u00a9" in windows-1252 is C3 A9, the UTF-8 spelling of "\u00e9".
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ini.set("S", "k", "\u00c3\u00a9"));
    assertTrue(e.getMessage().contains("read as UTF-8"), e.getMessage());
    assertArrayEquals(ascii, ini.toBytes());
    // A lone E0 keeps the file invalid as UTF-8, so the same value is fine next to it.
    IniDocument sample = IniDocument.parse(sample());
    assertTrue(sample.set("S", "k", "\u00c3\u00a9"));
    assertEquals(Optional.of("\u00c3\u00a9"), IniDocument.parse(sample.toBytes()).get("S", "k"));
    // ...but removing the only byte that is not UTF-8 is refused too.
    IniDocument two =
        IniDocument.parse(bytes('[', 'S', ']', '\n', 'a', '=', 0xC3, 0xA9, '\n', 'b', '=', 0xE0));
    assertThrows(IllegalArgumentException.class, () -> two.remove("S", "b"));
    assertEquals(Optional.of("\u00e0"), two.get("S", "b"));
  }

  @Test
  void utf8_document_encodes_anything_but_lone_surrogates() {
    IniDocument ini = IniDocument.parse(utf8Bom("[S]\nk=v\n"));
    ini.set("S", "k", "\u4e2d\ud83d\ude00");
    assertEquals(Optional.of("\u4e2d\ud83d\ude00"), ini.get("S", "k"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", "k", "\ud83d"));
  }

  @Test
  void parse_does_not_see_later_changes_to_the_input_array() {
    byte[] input = "[S]\nk=v\n".getBytes(ISO_8859_1);
    IniDocument ini = IniDocument.parse(input);
    input[6] = 'X';
    assertEquals(Optional.of("v"), ini.get("S", "k"));
  }
}
