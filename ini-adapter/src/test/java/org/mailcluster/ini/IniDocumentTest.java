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
        Arguments.of(
            "quotes", "[S]\r\na = \" x \" \r\nb='y'\r\nc=\"z'\r\nd=\"\r\n".getBytes(ISO_8859_1)),
        Arguments.of("brackets", "[a]b]\r\n[open\r\n[]\r\n=v\r\n".getBytes(ISO_8859_1)),
        Arguments.of("UTF-8 without BOM", "[S]\r\nk=\u00e9\r\n".getBytes(UTF_8)),
        Arguments.of("1 MB line", oneMegabyteLine));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void unedited_document_round_trips_byte_identical(String name, byte[] input) {
    assertArrayEquals(input, IniDocument.parseLenient(input).toBytes(), name);
    if (!name.contains("odd length") && !name.contains("UTF-16BE")) {
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
    assertFalse(ini.hasByteOrderMark());
    assertTrue(ini.endsWithLineSeparator());
  }

  @Test
  void undefined_windows_1252_bytes_read_as_c1_controls_and_write_back() {
    IniDocument ini = IniDocument.parse(bytes('[', 'S', ']', '\n', 'k', '=', 0x81, 0x9D, 0x80));
    assertEquals(Optional.of("\u0081\u009d\u20ac"), ini.get("S", "k"));
    ini.set("S", "j", "\u0081\u20ac");
    assertArrayEquals(
        bytes('[', 'S', ']', '\n', 'k', '=', 0x81, 0x9D, 0x80, '\n', 'j', '=', 0x81, 0x80, '\n'),
        ini.toBytes());
  }

  // --- Encodings. Sources: Microsoft, "WritePrivateProfileStringA function (winbase.h)"
  // ("If the file was created using Unicode characters, the function writes Unicode characters
  // to the file. Otherwise, the function writes ANSI characters."), and the tests that
  // WelliSolutions/IniFileFormatReverseEngineering ran against Windows 10
  // (source/tests/IniFileFormatTests/Tests/UTF8_Tests.cs, UTF16LE_Tests.cs, UTF16BE_Tests.cs;
  // summary in documentation/GetPrivateProfileString.md, lpFileName). ---

  @Test
  void encoding_without_bom_is_ansi_even_when_the_bytes_are_valid_utf8() {
    // Windows reads a file without a byte order mark in the ANSI code page: C3 A9 is "Ã©".
    IniDocument ini = IniDocument.parse("[a]\r\nk=\u00e9\r\n".getBytes(UTF_8));
    assertEquals(CP1252, ini.charset());
    assertEquals(Optional.of("\u00c3\u00a9"), ini.get("a", "k"));
    assertEquals(CP1252, IniDocument.parse("[a]\r\nk=v\r\n".getBytes(UTF_8)).charset());
    assertEquals(CP1252, IniDocument.parse(bytes('k', '=', 0xE9)).charset());
    assertEquals(ISO_8859_1, IniDocument.parse(bytes('k', '=', 0xE9), ISO_8859_1).charset());
  }

  @Test
  void encoding_utf16le_bom_is_unicode() {
    IniDocument ini = IniDocument.parse(utf16le("[S]\r\nk = v\u00e4lue \u20ac\r\n"));
    assertEquals(UTF_16LE, ini.charset());
    assertEquals(Optional.of("v\u00e4lue \u20ac"), ini.get("S", "k"));
    assertTrue(ini.hasByteOrderMark());
  }

  @Test
  void encoding_utf16be_bom_is_refused_as_windows_cannot_read_it() {
    // Windows 10 takes FE FF for ANSI bytes and finds no section; strict parsing says so instead
    // of reading a file the mail server never sees. The lenient parser reads it for repair.
    byte[] be = utf16be("[S]\nk=v\u20ac\n");
    IniSyntaxException e = assertThrows(IniSyntaxException.class, () -> IniDocument.parse(be));
    assertEquals(1, e.line());
    assertTrue(e.getMessage().contains("UTF-16 big-endian"), e.getMessage());
    assertTrue(e.getMessage().contains("little-endian"), e.getMessage());
    IniDocument lenient = IniDocument.parseLenient(be);
    assertEquals(UTF_16BE, lenient.charset());
    assertEquals(Optional.of("v\u20ac"), lenient.get("s", "K"));
    assertArrayEquals(be, lenient.toBytes());
  }

  @Test
  void encoding_utf8_bom_is_honoured_a_deliberate_difference() {
    // Windows 10 reads this file as ANSI and does not find [\u00dcn\u00ef] on the BOM's line; the
    // adapter reads it as the UTF-8 its author saved (see the IniDocument class description).
    IniDocument ini = IniDocument.parse(utf8Bom("[\u00dcn\u00ef]\r\nkey=v\u00e4lue \u20ac\r\n"));
    assertEquals(UTF_8, ini.charset());
    assertTrue(ini.hasByteOrderMark());
    assertEquals(Optional.of("v\u00e4lue \u20ac"), ini.get("\u00fcN\u00cf", "KEY"));
    assertEquals(
        Optional.of("v\u00e4lue \u20ac"),
        IniDocument.parse(utf8Bom("[S]\nk=v\u00e4lue \u20ac")).get("S", "k"));
  }

  @Test
  void edit_of_a_windows_1252_file_that_makes_its_bytes_valid_utf8_is_written() {
    // Detection no longer looks at the bytes, so no edit can change how the file is read.
    byte[] ascii = "[S]\r\nk=v\r\n".getBytes(ISO_8859_1);
    IniDocument ini = IniDocument.parse(ascii);
    assertTrue(ini.set("S", "k", "\u00c3\u00a9"));
    assertArrayEquals(bytes('[', 'S', ']', 13, 10, 'k', '=', 0xC3, 0xA9, 13, 10), ini.toBytes());
    IniDocument reread = IniDocument.parse(ini.toBytes());
    assertEquals(CP1252, reread.charset());
    assertEquals(Optional.of("\u00c3\u00a9"), reread.get("S", "k"));
  }

  // --- Windows private-profile reading rules, one test each, with the source of the rule ---

  /**
   * Sources: Microsoft, "GetPrivateProfileString function (winbase.h)" ("not case-sensitive");
   * Wine, dlls/kernel32/tests/profile.c (wine-mirror/wine), test_GetPrivateProfileString: "case
   * does not match" reads NaMe1.
   */
  @Test
  void rule1_section_and_key_names_are_case_insensitive() {
    IniDocument ini = IniDocument.parse("[Directories]\r\nLockFiles=L\r\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("L"), ini.get("directories", "LOCKFILES"));
    assertEquals(Optional.of("L"), ini.get("DIRECTORIES", "lockfiles"));
  }

  /**
   * Source: WelliSolutions/IniFileFormatReverseEngineering,
   * documentation/GetPrivateProfileString.md (lpKeyName: "If the section occurs twice within an INI
   * file, values in the second occurrence are ignored"), from its Reading_Tests run against Windows
   * 10.
   */
  @Test
  void rule2_first_section_of_a_name_is_the_one_searched() {
    IniDocument ini = IniDocument.parse("[A]\nx=1\n[B]\n[a]\nx=2\ny=3\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("1"), ini.get("A", "x"));
    assertEquals(Optional.empty(), ini.get("A", "y"));
    assertEquals(List.of("A", "B"), ini.sections());
    assertEquals(List.of("x"), ini.keys("a"));
  }

  /**
   * Source: WelliSolutions/IniFileFormatReverseEngineering,
   * documentation/GetPrivateProfileString.md (lpKeyName: "If the key occurs twice within a section,
   * the first occurrence is returned").
   */
  @Test
  void rule3_first_key_of_a_name_wins() {
    IniDocument ini = IniDocument.parse("[s]\nx=1\nX=2\nx=3\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("1"), ini.get("s", "x"));
    assertEquals(List.of("x"), ini.keys("s"));
    assertEquals(List.of(new IniDocument.Entry("s", "x", "1")), ini.entries());
  }

  /**
   * Source: WelliSolutions/IniFileFormatReverseEngineering, Semicolon_Tests.cs
   * (Given_AnIniFileWithSpacesBeforeTheSemicolon_When_TheContentIsAccessed_Then_ItsStillAComment,
   * Given_AnIniFileWrittenWithSemicolonInValue_When_TheValueIsRead_Then_WeGetTheSemicolon) and
   * Hashtag_Tests.cs; documentation/Comments.md.
   */
  @Test
  void rule4_semicolon_is_a_comment_only_at_line_start() {
    IniDocument ini =
        IniDocument.parse(
            "[SSL]\n  ; Users=D:\\\n\u000b;x=1\nPorts=465;993\n#h=1\nv=;not a comment\n"
                .getBytes(ISO_8859_1));
    assertEquals(Optional.empty(), ini.get("SSL", "Users"));
    assertEquals(Optional.empty(), ini.get("SSL", ";x"));
    assertEquals(Optional.empty(), ini.get("SSL", "x"));
    assertEquals(Optional.of("465;993"), ini.get("SSL", "Ports"));
    assertEquals(Optional.of("1"), ini.get("SSL", "#h"));
    assertEquals(Optional.of(";not a comment"), ini.get("SSL", "v"));
  }

  /**
   * Source: WelliSolutions/IniFileFormatReverseEngineering, WhiteSpace_Tests.cs
   * (Given_AValueWithWhitespace_When_TheValueIsRead_Then_WhitespaceIsStripped: space, tab and
   * vertical tab;
   * Given_AKeyWithSpacesBeforeAndAfter_When_TheValueIsRead_Then_TheWhitespacesAreStripped;
   * Given_ASectionNameWithWhitespacesWithinTheBracket_When_TheValueIsRead_Then_TheWhitespaceIsIgnored).
   */
  @Test
  void rule5_blanks_around_names_and_values_are_trimmed() {
    IniDocument ini =
        IniDocument.parse(
            "[ S\u000b]\n \t Users  =  C:\\Mail \t\n\u000bv\u000b=\u000bx\u000b\ne=\n"
                .getBytes(ISO_8859_1));
    assertEquals(Optional.of("C:\\Mail"), ini.get("S", "Users"));
    assertEquals(Optional.of("x"), ini.get("S", "v"));
    assertEquals(Optional.of(""), ini.get("S", "e"));
    assertEquals(List.of("S"), ini.sections());
  }

  /**
   * Sources: Microsoft, "GetPrivateProfileString function (winbase.h)", Remarks ("If the string
   * associated with lpKeyName is enclosed in single or double quotation marks, the marks are
   * discarded"); Wine, dlls/kernel32/tests/profile.c (wine-mirror/wine),
   * test_GetPrivateProfileString ("key value has quotation marks which are stripped": name2="val2"
   * reads val2); WelliSolutions/IniFileFormatReverseEngineering, Quotes_Tests.cs (blanks outside
   * the quotes trimmed, inside kept; only the outermost pair; marks that do not match are kept).
   */
  @Test
  void rule5_one_pair_of_matching_quotes_around_a_value_is_removed() {
    IniDocument ini =
        IniDocument.parse(
            ("[S]\nname2=\"val2\"\nd=  \"   v   \"  \ns=' v '\nin=\"'v'\"\nio='\"v\"'\n"
                    + "mixed=\"v'\nwrong='\"v'\"\none=\"\nempty=\"\"\ndoubled=\"\"q\"\"\n"
                    + "inner=a \"b\" c\n")
                .getBytes(ISO_8859_1));
    assertEquals(Optional.of("val2"), ini.get("S", "name2"));
    assertEquals(Optional.of("   v   "), ini.get("S", "d"));
    assertEquals(Optional.of(" v "), ini.get("S", "s"));
    assertEquals(Optional.of("'v'"), ini.get("S", "in"));
    assertEquals(Optional.of("\"v\""), ini.get("S", "io"));
    assertEquals(Optional.of("\"v'"), ini.get("S", "mixed"));
    assertEquals(Optional.of("'\"v'\""), ini.get("S", "wrong"));
    assertEquals(Optional.of("\""), ini.get("S", "one"));
    assertEquals(Optional.of(""), ini.get("S", "empty"));
    assertEquals(Optional.of("\"q\""), ini.get("S", "doubled"));
    assertEquals(Optional.of("a \"b\" c"), ini.get("S", "inner"));
    assertTrue(ini.entries().contains(new IniDocument.Entry("S", "d", "   v   ")));
  }

  /**
   * Source: Wine, dlls/kernel32/tests/profile.c (wine-mirror/wine), test_profile_string ("lines
   * without an '=' will not be enumerated": name3 is not a key) and test_profile_sections.
   */
  @Test
  void rule6_split_at_first_equals_and_lines_without_equals_are_not_keys() {
    IniDocument ini = IniDocument.parse("[s]\na=b=c\nname3\nno key here\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("b=c"), ini.get("s", "a"));
    assertEquals(Optional.empty(), ini.get("s", "name3"));
    assertEquals(List.of("a"), ini.keys("s"));
  }

  /**
   * Source: Wine, dlls/kernel32/tests/profile.c (wine-mirror/wine), test_profile_string
   * (GetPrivateProfileStringW(s, "") reads "=val_no_key" as val_no_key) and test_profile_sections
   * (GetPrivateProfileSection lists "=val5").
   */
  @Test
  void rule6_a_line_with_nothing_before_the_equals_is_a_key_with_an_empty_name() {
    IniDocument ini =
        IniDocument.parse("[s]\r\n=val_no_key\r\n[section3]\r\n  = val5 \r\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("val_no_key"), ini.get("s", ""));
    assertEquals(Optional.of("val5"), ini.get("section3", ""));
    assertEquals(List.of("=val5"), ini.sectionLines("section3"));
    assertEquals(List.of(""), ini.keyNames("s"));
  }

  /**
   * Sources: WelliSolutions/IniFileFormatReverseEngineering, SquareBracket_Tests.cs
   * (Given_ASectionNameWithClosingBracket_When_TheContentIsAccessed_Then_WeDontGetTheValue: "read
   * parsing stops at first ]";
   * Given_KeyValueBehindClosingSquareBracket_When_WeTryToAccessTheValue_Then_WeDontGetTheValue:
   * text after the ] is ignored); Wine, dlls/kernel32/tests/profile.c (wine-mirror/wine),
   * test_profile_sections_names ("[ section1 ]" is listed as section1). Wine's own parser ends the
   * name at the last ']' instead; Windows is followed.
   */
  @Test
  void rule7_a_section_name_ends_at_the_first_closing_bracket() {
    IniDocument ini =
        IniDocument.parse(
            "[sec]whoops]\nk=1\n[ section1 ]\n[Paths] ; c\n[Sec2]key=value\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("1"), ini.get("sec", "k"));
    assertEquals(Optional.empty(), ini.get("sec]whoops", "k"));
    assertEquals(Optional.empty(), ini.get("Sec2", "key"));
    assertEquals(List.of("sec", "section1", "Paths", "Sec2"), ini.sections());
  }

  /**
   * Source: WelliSolutions/IniFileFormatReverseEngineering, SquareBracket_Tests.cs
   * (Given_ASectionNameWithMissingClosingBracket_When_WeAccessAKey_Then_WeGetTheValue: "the closing
   * square bracket is not needed"). Wine's parser (dlls/kernel32/profile.c, PROFILE_Load) warns and
   * reads such a line as a key instead; Windows is followed.
   */
  @Test
  void rule7_a_header_that_never_closes_runs_to_the_end_of_the_line() {
    IniDocument ini = IniDocument.parse("[sec   \r\nk=v\r\n[x=1\r\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("v"), ini.get("sec", "k"));
    assertEquals(List.of("sec", "x=1"), ini.sections());
    assertEquals(List.of(), ini.keys("sec").stream().filter(k -> k.startsWith("[")).toList());
  }

  /**
   * Sources: WelliSolutions/IniFileFormatReverseEngineering, EdgeCases_Tests.cs
   * (Given_ASectionWithNoName_When_UsingEmptyString_Then_WeGetTheValue); Wine,
   * dlls/kernel32/tests/profile.c (wine-mirror/wine), test_profile_string (an empty section name
   * reads val_e_section from "[]", not val_no_section from before the first header).
   */
  @Test
  void rule7_brackets_with_nothing_inside_are_a_section_with_an_empty_name() {
    IniDocument ini =
        IniDocument.parse(
            "\r\nkey=val_no_section\r\n[]\r\nkey=val_e_section\r\n".getBytes(ISO_8859_1));
    assertEquals(Optional.of("val_e_section"), ini.get("", "key"));
    assertEquals(List.of(""), ini.sectionNames());
  }

  /**
   * Sources: WelliSolutions/IniFileFormatReverseEngineering, SquareBracket_Tests.cs
   * (Given_AValueWithoutAnySection_When_WeTryToAccessIt_Then_WeDontGetTheValue); Wine,
   * dlls/kernel32/tests/profile.c (wine-mirror/wine), test_profile_string.
   */
  @Test
  void rule8_keys_before_the_first_section_are_not_reachable() {
    IniDocument ini = IniDocument.parse("x=1\n[s]\ny=2\n".getBytes(ISO_8859_1));
    assertEquals(Optional.empty(), ini.get("", "x"));
    assertEquals(Optional.empty(), ini.get(" ", "x"));
    assertEquals(List.of(new IniDocument.Entry("s", "y", "2")), ini.entries());
  }

  /**
   * Source: Wine, dlls/kernel32/tests/profile.c (wine-mirror/wine), START_TEST runs
   * test_GetPrivateProfileString on "CR+LF" and "CR only" content alike.
   */
  @Test
  void lines_end_at_crlf_lf_or_cr() {
    IniDocument ini =
        IniDocument.parse(
            "[section1]\rname1=val1\rname2=\"val2\"\n[s2]\r\nk=v".getBytes(ISO_8859_1));
    assertEquals(Optional.of("val1"), ini.get("section1", "name1"));
    assertEquals(Optional.of("val2"), ini.get("section1", "name2"));
    assertEquals(Optional.of("v"), ini.get("s2", "k"));
  }

  // --- Listing as the enumerating calls do ---

  /**
   * Sources: Microsoft, "GetPrivateProfileSectionNames function (winbase.h)";
   * WelliSolutions/IniFileFormatReverseEngineering, Reading_Tests.cs
   * (Given_AnIniFileWithDuplicateSections_When_NullIsUsedForSectionName_Then_WeGetDuplicateSectionsAsWell);
   * Wine, dlls/kernel32/tests/profile.c (wine-mirror/wine), test_profile_sections_names.
   */
  @Test
  void section_names_are_listed_with_duplicates() {
    IniDocument ini =
        IniDocument.parse("k=0\n[ section1 ]\n[section2]\nx=1\n[SECTION1]\n".getBytes(ISO_8859_1));
    assertEquals(List.of("section1", "section2", "SECTION1"), ini.sectionNames());
    assertEquals(List.of("section1", "section2"), ini.sections());
  }

  /**
   * Sources: Microsoft, "GetPrivateProfileString function (winbase.h)" (lpKeyName NULL); Wine,
   * dlls/kernel32/tests/profile.c (wine-mirror/wine), test_profile_string ("name1,name2,name4":
   * name3 has no '='); WelliSolutions/IniFileFormatReverseEngineering, Reading_Tests.cs
   * (Given_AnIniFileWithDuplicateKeys_When_NullIsUsedAsTheKey_Then_WeGetDuplicateKeysAsWell) and
   * Semicolon_Tests.cs
   * (Given_AnIniFileWithASemicolonAtBeginOfKey_When_AllKeysAreRetrieved_Then_WeDontGetTheComment).
   */
  @Test
  void key_names_are_listed_with_duplicates_without_comments_or_lines_lacking_equals() {
    IniDocument ini =
        IniDocument.parse(
            "[s]\r\nname1=val1\r\nname2=\r\nname3\r\n;c=1\r\nname4=val4\r\nNAME1=x\r\n[S]\r\nz=1\r\n"
                .getBytes(ISO_8859_1));
    assertEquals(List.of("name1", "name2", "name4", "NAME1"), ini.keyNames("S"));
    assertEquals(List.of("name1", "name2", "name4"), ini.keys("s"));
    assertEquals(List.of(), ini.keyNames("missing"));
  }

  /**
   * Sources: Microsoft, "GetPrivateProfileSection function (winbase.h)" ("key=string"); Wine,
   * dlls/kernel32/tests/profile.c (wine-mirror/wine), test_profile_sections
   * ("name1=val1,name2=,name3,name4=val4"; an existing section without keys gives nothing).
   */
  @Test
  void section_lines_are_listed_as_get_private_profile_section_returns_them() {
    IniDocument ini =
        IniDocument.parse(
            ("[section1]\r\nname1 = val1\r\nname2=\r\n; comment\r\n\r\nname3\r\nname4=\"val4\"\r\n"
                    + "name1=dup\r\n[section2]\r\n[section1]\r\nlater=1\r\n")
                .getBytes(ISO_8859_1));
    assertEquals(
        List.of("name1=val1", "name2=", "name3", "name4=\"val4\"", "name1=dup"),
        ini.sectionLines("SECTION1"));
    assertEquals(List.of(), ini.sectionLines("section2"));
    assertEquals(List.of(), ini.sectionLines("missing"));
  }

  @Test
  void whether_the_file_ends_with_a_line_ending() {
    assertTrue(IniDocument.parse("[a]\r\nb=c\r\n".getBytes(ISO_8859_1)).endsWithLineSeparator());
    assertTrue(IniDocument.parse("[a]\rb=c\r".getBytes(ISO_8859_1)).endsWithLineSeparator());
    assertFalse(IniDocument.parse("[a]\r\nb=c".getBytes(ISO_8859_1)).endsWithLineSeparator());
    assertFalse(IniDocument.parse("[a]".getBytes(ISO_8859_1)).endsWithLineSeparator());
    assertFalse(IniDocument.parse(new byte[0]).endsWithLineSeparator());
    assertFalse(IniDocument.parse(bytes(0xEF, 0xBB, 0xBF)).endsWithLineSeparator());
    assertTrue(IniDocument.parse(utf16le("[a]\r\n")).endsWithLineSeparator());
    assertFalse(
        IniDocument.parseLenient(concat(utf16le("[a]\r\n"), bytes(0x41))).endsWithLineSeparator());
    IniDocument edited = IniDocument.parse("[a]\nb=c".getBytes(ISO_8859_1));
    edited.set("a", "d", "e");
    assertTrue(edited.endsWithLineSeparator());
  }

  @Test
  void whether_the_file_has_a_byte_order_mark() {
    assertTrue(IniDocument.parse(utf8Bom("[a]\r\n")).hasByteOrderMark());
    assertTrue(IniDocument.parse(utf16le("[a]\r\n")).hasByteOrderMark());
    assertTrue(IniDocument.parseLenient(utf16be("[a]\r\n")).hasByteOrderMark());
    assertFalse(IniDocument.parse("[a]\r\n".getBytes(ISO_8859_1)).hasByteOrderMark());
    assertFalse(IniDocument.parse(new byte[0]).hasByteOrderMark());
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
  void set_of_a_value_written_between_quotes_keeps_the_quotes() {
    IniDocument ini =
        IniDocument.parse(
            "[Directories]\r\nPublicFolders = \"C:\\MDaemon\\Public Folders\\\" \r\nS='x'\r\n"
                .getBytes(ISO_8859_1));
    assertEquals(
        Optional.of("C:\\MDaemon\\Public Folders\\"), ini.get("Directories", "PublicFolders"));
    assertTrue(ini.set("Directories", "PublicFolders", "\\\\nas01\\mail\\Public Folders\\"));
    assertTrue(ini.set("Directories", "S", "y z"));
    assertEquals(
        "[Directories]\r\nPublicFolders = \"\\\\nas01\\mail\\Public Folders\\\" \r\nS='y z'\r\n",
        asText(ini.toBytes()));
    assertEquals(
        Optional.of("\\\\nas01\\mail\\Public Folders\\"), ini.get("Directories", "PublicFolders"));
    assertFalse(ini.set("Directories", "S", "y z"), "the value read is compared, not the quotes");
    assertTrue(ini.set("Directories", "S", ""));
    assertEquals(Optional.of(""), ini.get("Directories", "S"));
    assertTrue(asText(ini.toBytes()).endsWith("S=''\r\n"));
  }

  /**
   * A deliberate difference: WelliSolutions/IniFileFormatReverseEngineering, WhiteSpace_Tests.cs
   * (Given_AValueWithWhitespaces_When_TheValueIsWritten_Then_NothingIsEscaped) shows that
   * WritePrivateProfileString writes blanks as given, and they are trimmed when read; the adapter
   * writes such a value between quotes, which reading removes (rule 5), so it reads back exactly.
   */
  @Test
  void set_quotes_a_value_that_reading_would_change() {
    IniDocument ini = IniDocument.parse("[S]\r\nk=v\r\n".getBytes(ISO_8859_1));
    ini.set("S", "k", " padded ");
    ini.set("S", "q", "\"quoted\"");
    ini.set("S", "s", "'x'");
    ini.set("S", "t", "tab\t");
    ini.set("S", "one", "\"");
    ini.set("S", "inner", "a \"b\" c");
    assertEquals(
        "[S]\r\nk=\" padded \"\r\nq=\"\"quoted\"\"\r\ns=\"'x'\"\r\nt=\"tab\t\"\r\none=\"\r\n"
            + "inner=a \"b\" c\r\n",
        asText(ini.toBytes()));
    IniDocument reread = IniDocument.parse(ini.toBytes());
    assertEquals(Optional.of(" padded "), reread.get("S", "k"));
    assertEquals(Optional.of("\"quoted\""), reread.get("S", "q"));
    assertEquals(Optional.of("'x'"), reread.get("S", "s"));
    assertEquals(Optional.of("tab\t"), reread.get("S", "t"));
    assertEquals(Optional.of("\""), reread.get("S", "one"));
    assertEquals(Optional.of("a \"b\" c"), reread.get("S", "inner"));
    IniDocument fresh = IniDocument.parse(new byte[0]);
    fresh.set("New", "k", " x");
    assertEquals("[New]\r\nk=\" x\"\r\n", asText(fresh.toBytes()));
  }

  /**
   * Sources: WelliSolutions/IniFileFormatReverseEngineering, Writing_Tests.cs
   * (Given_AnIniFile_When_WritingKeys_Then_TheyAreWrittenInChronologicalOrder: new keys after the
   * existing ones) and Semicolon_Tests.cs
   * (Given_AnIniFileWithExistingComments_When_Writing_Then_TheyAreKeptInOrder).
   */
  @Test
  void new_key_goes_after_last_key_of_first_section_with_its_style() {
    IniDocument ini =
        IniDocument.parse("[S]\n  a = 1\r\n; c\n\n[T]\nx=1\n[s]\nb=2\n".getBytes(ISO_8859_1));
    ini.set("S", "new", "v");
    assertEquals("[S]\n  a = 1\r\n  new = v\r\n; c\n\n[T]\nx=1\n[s]\nb=2\n", asText(ini.toBytes()));
    IniDocument quoted = IniDocument.parse("[S]\na = \"1\"\n".getBytes(ISO_8859_1));
    quoted.set("S", "b", "2");
    assertEquals("[S]\na = \"1\"\nb = 2\n", asText(quoted.toBytes()));
  }

  @Test
  void new_key_in_section_without_keys_goes_after_header() {
    IniDocument ini = IniDocument.parse("[S]\r\n; only a comment\r\n".getBytes(ISO_8859_1));
    ini.set("S", "k", "v");
    assertEquals("[S]\r\nk=v\r\n; only a comment\r\n", asText(ini.toBytes()));
  }

  /**
   * Source: Wine, dlls/kernel32/tests/profile.c (wine-mirror/wine), test_WritePrivateProfileString
   * ("NULLs in file before first section"): Windows ends a last line that had no line ending before
   * it writes after it, and ends what it writes; WelliSolutions/IniFileFormatReverseEngineering,
   * Writing_Tests.cs
   * (Given_AnExistingEmptyFile_When_AValueIsWritten_Then_TheFileContainsSectionKeyAndValue: "The
   * file has an empty line at the end").
   */
  @Test
  void new_key_after_a_last_line_without_line_ending_ends_both_lines() {
    IniDocument ini = IniDocument.parse("[S]\nk=v".getBytes(ISO_8859_1));
    assertFalse(ini.endsWithLineSeparator());
    ini.set("S", "j", "w");
    assertEquals("[S]\nk=v\nj=w\n", asText(ini.toBytes()));
    IniDocument headerOnly = IniDocument.parse("[S]".getBytes(ISO_8859_1));
    headerOnly.set("S", "j", "w");
    assertEquals("[S]\r\nj=w\r\n", asText(headerOnly.toBytes()));
    IniDocument crlf = IniDocument.parse("[S]\r\nk=v\r\n[T]\r\nx=1".getBytes(ISO_8859_1));
    crlf.set("T", "y", "2");
    assertEquals("[S]\r\nk=v\r\n[T]\r\nx=1\r\ny=2\r\n", asText(crlf.toBytes()));
  }

  /**
   * Source: Wine, dlls/kernel32/tests/profile.c (wine-mirror/wine), test_WritePrivateProfileString
   * ("NULLs in file before first section": "Data ... section" without a line ending becomes
   * "...section\r\n[section1]\r\nkey1=string1\r\n").
   */
  @Test
  void new_section_is_appended_with_dominant_line_ending() {
    IniDocument ini = IniDocument.parse("[A]\nx=1\r\ny=2\nz=3".getBytes(ISO_8859_1));
    assertEquals("\n", ini.lineSeparator());
    ini.set("B", "k", "v");
    assertEquals("[A]\nx=1\r\ny=2\nz=3\n[B]\nk=v\n", asText(ini.toBytes()));
    IniDocument empty = IniDocument.parse(new byte[0]);
    empty.set("S", "k", "\u00e0");
    assertArrayEquals(bytes('[', 'S', ']', 13, 10, 'k', '=', 0xE0, 13, 10), empty.toBytes());
    IniDocument before = IniDocument.parse("Data before first section".getBytes(ISO_8859_1));
    before.set("section1", "key1", "string1");
    assertEquals(
        "Data before first section\r\n[section1]\r\nkey1=string1\r\n", asText(before.toBytes()));
  }

  @Test
  void edits_in_utf16_keep_the_encoding() {
    IniDocument ini = IniDocument.parse(utf16le("[S]\r\nk=v\r\n"));
    ini.set("S", "k", "\u20ac");
    ini.set("S", "n", "x");
    ini.set("T", "a", " b");
    assertArrayEquals(utf16le("[S]\r\nk=\u20ac\r\nn=x\r\n[T]\r\na=\" b\"\r\n"), ini.toBytes());
  }

  /**
   * Source: WelliSolutions/IniFileFormatReverseEngineering, Semicolon_Tests.cs
   * (Given_AnIniFile_When_ACommentIsWrittenViaTheValueAndAnEmptyKey_Then_ItsNotAComment: an empty
   * key is written as "=;comment" and read back).
   */
  @Test
  void an_empty_key_name_is_written_as_a_line_starting_with_equals() {
    IniDocument ini = IniDocument.parse("[sectionname]\r\n".getBytes(ISO_8859_1));
    ini.set("sectionname", "", ";comment");
    assertEquals("[sectionname]\r\n=;comment\r\n", asText(ini.toBytes()));
    assertEquals(Optional.of(";comment"), IniDocument.parse(ini.toBytes()).get("sectionname", ""));
    assertTrue(ini.remove("sectionname", ""));
    assertEquals("[sectionname]\r\n", asText(ini.toBytes()));
  }

  /**
   * Sources: Microsoft, "WritePrivateProfileStringA function (winbase.h)" (lpString NULL deletes
   * the key); Wine, dlls/kernel32/tests/profile.c (wine-mirror/wine),
   * test_WritePrivateProfileString (key2 deleted, "leave just the section": the header stays).
   * Windows deletes one entry (Wine's dlls/kernel32/profile.c, PROFILE_DeleteKey), the first, which
   * get reads.
   */
  @Test
  void remove_takes_the_first_line_of_the_key_in_the_first_section_only() {
    IniDocument ini = IniDocument.parse("[S]\nx=1\ny=2\nX=3\n[s]\nx=4\n".getBytes(ISO_8859_1));
    assertTrue(ini.remove("s", "x"));
    assertEquals("[S]\ny=2\nX=3\n[s]\nx=4\n", asText(ini.toBytes()));
    assertEquals(Optional.of("3"), ini.get("S", "x"), "the duplicate is now the one read");
    assertTrue(ini.remove("S", "x"));
    assertEquals("[S]\ny=2\n[s]\nx=4\n", asText(ini.toBytes()));
    assertEquals(Optional.empty(), ini.get("S", "x"));
    assertFalse(ini.remove("S", "x"));
    assertFalse(ini.remove("nope", "x"));
    assertTrue(ini.remove("S", "y"));
    assertEquals("[S]\n[s]\nx=4\n", asText(ini.toBytes()), "the header stays, as in Windows");
  }

  /**
   * Sources: Microsoft, "WritePrivateProfileStringA function (winbase.h)" (lpKeyName NULL deletes
   * the section); WelliSolutions/IniFileFormatReverseEngineering, Semicolon_Tests.cs
   * (Given_AnIniFileWithExistingComments_When_DeletingASection_Then_TheyAreNotDeleted: ";comment0
   * [sec] ;comment1 [sec2] ;comment2" becomes ";comment0 ;comment1 ;comment2"); Wine,
   * dlls/kernel32/profile.c (PROFILE_DeleteSection) deletes the first section of the name only.
   */
  @Test
  void remove_section_takes_the_first_section_and_keeps_its_comments() {
    IniDocument windows =
        IniDocument.parse(
            ";comment0\r\n[sectionname]\r\n;comment1\r\n[sectionname2]\r\n;comment2\r\n"
                .getBytes(ISO_8859_1));
    assertTrue(windows.removeSection("sectionname"));
    assertTrue(windows.removeSection("sectionname2"));
    assertEquals(";comment0\r\n;comment1\r\n;comment2\r\n", asText(windows.toBytes()));

    IniDocument ini =
        IniDocument.parse(
            "; top\n[A]\nx=1\n; about x\nno key\n\n[B]\ny=2\n[a]\nz=3\n".getBytes(ISO_8859_1));
    assertTrue(ini.removeSection("A"));
    assertEquals("; top\n; about x\n\n[B]\ny=2\n[a]\nz=3\n", asText(ini.toBytes()));
    assertEquals(Optional.of("3"), ini.get("A", "z"), "the duplicate section is now the one read");
    assertTrue(ini.removeSection("A"));
    assertEquals("; top\n; about x\n\n[B]\ny=2\n", asText(ini.toBytes()));
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
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", "[k", "v"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", " k", "v"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("", "k", "v"));
    IllegalArgumentException bracket =
        assertThrows(IllegalArgumentException.class, () -> ini.set("a]b", "k", "v"));
    assertTrue(bracket.getMessage().contains("first ']'"), bracket.getMessage());
    IllegalArgumentException unencodable =
        assertThrows(IllegalArgumentException.class, () -> ini.set("S", "k", "\u4e2d"));
    assertTrue(unencodable.getMessage().contains("U+4E2D"), unencodable.getMessage());
    assertArrayEquals(before, ini.toBytes());
  }

  @Test
  void a_refused_edit_after_a_last_line_without_line_ending_changes_nothing() {
    byte[] input = "[S]\nk=v".getBytes(ISO_8859_1);
    IniDocument ini = IniDocument.parse(input);
    assertThrows(IllegalArgumentException.class, () -> ini.set("S", "j", "\u4e2d"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("T]x", "j", "w"));
    assertThrows(IllegalArgumentException.class, () -> ini.set("\u4e2d", "j", "w"));
    assertArrayEquals(input, ini.toBytes());
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
