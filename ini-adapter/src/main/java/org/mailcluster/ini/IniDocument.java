package org.mailcluster.ini;

import static java.util.Objects.requireNonNull;

import java.nio.charset.Charset;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.RandomAccess;

/**
 * An INI file that keeps every byte it was read from, reads like the Windows private-profile
 * functions ({@code GetPrivateProfileString}, {@code GetPrivateProfileSection}, {@code
 * GetPrivateProfileSectionNames}) and edits like {@code WritePrivateProfileString}, changing as few
 * bytes as possible.
 *
 * <h2>Lossless</h2>
 *
 * <p>{@link #toBytes()} of a document that was not edited returns exactly the bytes it was parsed
 * from: byte order mark, encoding, line endings (CRLF, LF, CR, mixed), comments, blank lines,
 * spacing around {@code =}, quotes, order, duplicate sections and keys, lines that are neither, a
 * missing final newline, even bytes that are not valid in the encoding. Each line keeps its raw
 * bytes; only lines that are edited are written anew.
 *
 * <h2>Encoding</h2>
 *
 * <ul>
 *   <li>{@code FF FE} starts a UTF-16LE file, which Windows reads and writes as Unicode.
 *   <li>A file without a byte order mark is read in the fallback charset (windows-1252 unless told
 *       otherwise), whatever its bytes: Windows reads it in the ANSI code page even when the bytes
 *       happen to be valid UTF-8. A value with {@code à} is written as the single byte {@code E0},
 *       as the mail server expects.
 *   <li>Bytes the fallback charset leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D in windows-1252)
 *       read as the C1 control of the same number, as Windows converts them, so they survive being
 *       read and written.
 *   <li><b>Deliberate difference:</b> {@code EF BB BF} is honoured, the file is read and written as
 *       UTF-8. Windows 10 does not know this byte order mark: it reads the file as ANSI, and the
 *       three bytes become part of the first line, so a section header on that line is not
 *       recognised and its keys are out of the mail server's reach. A file that starts with it was
 *       saved as UTF-8 on purpose; read as ANSI, every non-ASCII name and value would replicate as
 *       other characters. Start such a file with a comment or a blank line if the mail server must
 *       find its first section too.
 *   <li><b>Deliberate difference:</b> {@code FE FF} (UTF-16 big-endian), which Windows 10 cannot
 *       read either (it takes the bytes for ANSI text and finds no section), is refused by {@link
 *       #parse} with an {@link IniSyntaxException} saying how to save the file, instead of being
 *       read as something the mail server never sees. {@link #parseLenient} reads it as UTF-16BE,
 *       so that a repair tool can convert it.
 * </ul>
 *
 * <h2>Reading rules</h2>
 *
 * <p>Lines end at CRLF, LF or CR. "Blank" below means space, tab or vertical tab.
 *
 * <ol>
 *   <li><b>Names are case-insensitive.</b> {@code get("directories", "LOCKFILES")} finds {@code
 *       LockFiles=} under {@code [Directories]}.
 *   <li><b>The first section of a name is the one searched.</b> With {@code [A] x=1 ... [a] x=2
 *       y=3}, {@code get("A","x")} is {@code 1} and {@code get("A","y")} is empty: keys of a later
 *       duplicate section are not reachable.
 *   <li><b>The first key of a name wins.</b> With {@code x=1} then {@code X=2} in one section,
 *       {@code get(s, "x")} is {@code 1}.
 *   <li><b>{@code ;} starts a comment only at the start of a line</b> (after optional blanks):
 *       {@code ; Users=D:\} is a comment, but in {@code Ports=465;993} the value is {@code
 *       465;993}. {@code #} is not a comment character: {@code #x=1} is the key {@code #x}.
 *   <li><b>Blanks around names and values are trimmed, then one pair of quotes around the value is
 *       removed.</b> {@code Users = C:\Mail } is key {@code Users} with value {@code C:\Mail};
 *       {@code x = " a b " } is {@code " a b "} without its quotes, blanks inside kept; {@code
 *       x='q'} is {@code q}; {@code x=""q""} is {@code "q"}; {@code x="q'} keeps both marks, which
 *       do not match. The quotes stay in the file: only the value read loses them.
 *   <li><b>A key line is split at its first {@code =}.</b> {@code a=b=c} is key {@code a} with
 *       value {@code b=c}. Nothing before the {@code =} is a key with an empty name: {@code =x} is
 *       read by {@code get(section, "")}. A line without {@code =} is not a key: no lookup finds
 *       it, but {@link #sectionLines} lists it.
 *   <li><b>A line whose first non-blank is {@code [} is a section header, and the name ends at the
 *       first {@code ]}.</b> {@code [ Paths ]} is {@code Paths}; in {@code [a]b]} the name is
 *       {@code a} and the rest of the line is ignored; a header that never closes runs to the end
 *       of the line ({@code [x=1} is section {@code x=1}, not a key). {@code []} is a section with
 *       an empty name, which {@code get("", key)} reads.
 *   <li><b>Keys before the first section header belong to no section</b>: no lookup reaches them,
 *       not even one with an empty section name.
 * </ol>
 *
 * <h2>Listing</h2>
 *
 * <ul>
 *   <li>{@link #sectionNames()} lists every section header in file order, duplicates included, as
 *       {@code GetPrivateProfileSectionNames} does; {@link #sections()} lists each name once.
 *   <li>{@link #keyNames(String)} lists every key of the first section of that name, duplicates
 *       included, without comments or lines lacking {@code =}, as {@code GetPrivateProfileString}
 *       with a {@code NULL} key does; {@link #keys(String)} lists each name once.
 *   <li>{@link #sectionLines(String)} returns the section as {@code GetPrivateProfileSection} does:
 *       {@code key=value} for every key, the value as written (quotes included), and the text of
 *       lines without {@code =}.
 *   <li>{@link #entries()} returns what lookups reach: the first key of each name in the first
 *       section of each name, with its value as {@link #get} returns it.
 * </ul>
 *
 * <h2>Strict and lenient parsing</h2>
 *
 * <p>{@link #parse(byte[])} refuses what is not a text INI file with an {@link IniSyntaxException}:
 * a NUL character (binary files hold them, text files never do), UTF-16 with an odd number of bytes
 * or an unpaired surrogate, invalid UTF-8 after a UTF-8 byte order mark, or a UTF-16 big-endian
 * byte order mark. {@link #parseLenient(byte[])} accepts any bytes and still round-trips them
 * exactly; use it to inspect or repair a damaged file.
 *
 * <h2>Editing</h2>
 *
 * <ul>
 *   <li>{@link #set} of an existing key replaces only the value bytes: the key's spelling, the
 *       spacing around {@code =}, the quotes around the value, trailing blanks and the line ending
 *       stay. {@code PublicFolders="C:\Public Folders\"} set to {@code \\nas\Public Folders\}
 *       becomes {@code PublicFolders="\\nas\Public Folders\"}.
 *   <li>A new key goes after the last key of the (first) section of that name, indented and spaced
 *       like that key and ended like it. If that key is the last line and has no line ending, it
 *       gets the file's dominant line ending first, and so does the new line: Windows ends every
 *       line it writes.
 *   <li>A new section is appended at the end of the file with the file's dominant line ending; if
 *       the file had no final newline, its last line gets one first, as Windows does.
 *   <li>A value that reading would change, one with blanks at either end or with a pair of matching
 *       quotes around it, is written between double quotes so that it reads back exactly: {@code
 *       set(s, "k", " x ")} writes {@code k=" x "} and {@code get(s, "k")} is {@code " x "}.
 *   <li>{@link #remove} deletes the first line of that key in the first section of that name, the
 *       one {@link #get} reads, as {@code WritePrivateProfileString(section, key, NULL)} does; a
 *       later duplicate of the key becomes the one read.
 *   <li>{@link #removeSection} deletes the first section of that name, as {@code
 *       WritePrivateProfileString(section, NULL, NULL)} does: its header, keys and other lines. Its
 *       comments stay where they were, as Windows keeps them, and so do its blank lines. A later
 *       duplicate section becomes the one read.
 *   <li>Names and values that would not read back exactly are refused with {@link
 *       IllegalArgumentException}: line breaks, NUL, names with blanks at either end, {@code =} in
 *       a key, a key starting with {@code ;} or {@code [}, a section name holding {@code ]},
 *       characters the document's charset cannot encode.
 * </ul>
 *
 * <h2>Where this class deliberately differs from Windows</h2>
 *
 * <ul>
 *   <li>A UTF-8 byte order mark is honoured and a UTF-16 big-endian one refused (see above).
 *   <li>{@code WritePrivateProfileString} writes a value with blanks at either end, or one between
 *       a pair of matching quotes, as given, and the next read loses the blanks or the quotes;
 *       {@link #set} writes it between double quotes, so that the mail server reads the value that
 *       was set.
 *   <li>Windows ends the lines it writes with CRLF; an edit here uses the file's dominant line
 *       ending, so that an LF file stays an LF file.
 *   <li>Windows writes a section name holding {@code ]} as given (it then reads back as a shorter
 *       name), trims spaces from names but keeps tabs (which reading then trims), and turns
 *       characters the ANSI code page lacks into look-alikes or {@code ?}; {@link #set} refuses
 *       such names and values instead of writing something other than asked.
 * </ul>
 *
 * <p>A document is mutable and not thread-safe, like a {@link StringBuilder}: confine it to one
 * thread or guard it. Every instance returned by {@code parse} is new and owned by the caller.
 *
 * <pre>{@code
 * IniDocument ini = IniDocument.parse(Files.readAllBytes(Path.of("MDaemon.ini")));
 * Optional<String> users = ini.get("Directories", "Users"); // "C:\MDaemon\Users\"
 * ini.set("Directories", "LockFiles", "\\\\nas\\mail\\LockFiles\\");
 * ini.remove("Special", "DomainIPBinding");
 * byte[] out = ini.toBytes(); // only the LockFiles value and the removed line differ
 * }</pre>
 */
public final class IniDocument {
  private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

  private final TextCodec codec;
  private final byte[] bom;
  private final byte[] trailer;
  private final List<Block> blocks;
  private Map<String, Block> sectionIndex;

  /**
   * A section header with the lines up to the next header; the first block has no header. Until it
   * is first edited, a block is a row range of the parse's {@link LineTable}; editing turns it into
   * a list of {@link Line}s (copy on write), so untouched sections of a large file never cost an
   * object per line.
   */
  private static final class Block {
    final Line header;
    private final LineTable table;
    private final int from;
    private final int to;
    private ArrayList<Line> lines;
    private Map<String, Line> keyIndex;

    Block(Line header) {
      this(header, null, 0, 0);
      this.lines = new ArrayList<>();
    }

    Block(Line header, LineTable table, int from, int to) {
      this.header = header;
      this.table = table;
      this.from = from;
      this.to = to;
    }

    boolean isEdited() {
      return lines != null;
    }

    int size() {
      return lines != null ? lines.size() : to - from;
    }

    Line.Kind kind(int i) {
      return lines != null ? lines.get(i).kind : table.kind(from + i);
    }

    /** Returns line {@code i}; a new object on each call while the block is unedited. */
    Line line(int i) {
      return lines != null ? lines.get(i) : table.line(from + i);
    }

    /** Returns the lines for editing; from now on line objects keep their identity. */
    ArrayList<Line> lines() {
      if (lines == null) {
        ArrayList<Line> list = new ArrayList<>(to - from + 1);
        for (int r = from; r < to; r++) {
          list.add(table.line(r));
        }
        lines = list;
        keyIndex = null;
      }
      return lines;
    }

    int byteLength() {
      int n = header == null ? 0 : header.length();
      if (lines == null) {
        return n + (to > from ? table.end(to - 1) - table.start(from) : 0);
      }
      for (Line line : lines) {
        n += line.length();
      }
      return n;
    }

    int copyTo(byte[] out, int at) {
      if (header != null) {
        header.copyTo(out, at);
        at += header.length();
      }
      if (lines == null) {
        if (to > from) {
          int start = table.start(from);
          int len = table.end(to - 1) - start;
          System.arraycopy(table.buf, start, out, at, len);
          at += len;
        }
        return at;
      }
      for (Line line : lines) {
        line.copyTo(out, at);
        at += line.length();
      }
      return at;
    }

    Map<String, Line> keyIndex() {
      Map<String, Line> index = keyIndex;
      if (index == null) {
        index = new LinkedHashMap<>();
        for (int i = 0; i < size(); i++) {
          if (kind(i) == Line.Kind.KEY) {
            Line line = line(i);
            index.putIfAbsent(fold(line.name()), line);
          }
        }
        keyIndex = index;
      }
      return index;
    }

    void invalidate() {
      keyIndex = null;
    }
  }

  /**
   * One effective key of a document, in the spelling of its first occurrence, with its value as
   * {@link IniDocument#get} returns it.
   *
   * <pre>{@code
   * for (IniDocument.Entry e : ini.entries()) {
   *   System.out.println("[" + e.section() + "] " + e.key() + " = " + e.value());
   * }
   * }</pre>
   *
   * @param section the section name as first spelled in the file
   * @param key the key name as first spelled in that section
   * @param value the value, trimmed and without one pair of outer quotes
   */
  public record Entry(String section, String key, String value) {
    /** Checks that no part is null. */
    public Entry {
      requireNonNull(section, "section");
      requireNonNull(key, "key");
      requireNonNull(value, "value");
    }
  }

  private IniDocument(TextCodec codec, byte[] bom, byte[] trailer, List<Block> blocks) {
    this.codec = codec;
    this.bom = bom;
    this.trailer = trailer;
    this.blocks = blocks;
  }

  /**
   * Parses an INI file, reading a file without a byte order mark as windows-1252.
   *
   * @throws IniSyntaxException if the bytes are not a text INI file (see the class description)
   */
  public static IniDocument parse(byte[] bytes) {
    return parse(bytes, WINDOWS_1252);
  }

  /**
   * Parses an INI file, reading a file without a byte order mark in {@code fallback}, the ANSI code
   * page of the machine the mail server runs on.
   *
   * @param fallback an ASCII-compatible single-byte charset, such as windows-1252 or ISO-8859-1
   * @throws IniSyntaxException if the bytes are not a text INI file (see the class description)
   * @throws IllegalArgumentException if {@code fallback} is multi-byte or not ASCII-compatible
   */
  public static IniDocument parse(byte[] bytes, Charset fallback) {
    return IniParser.parse(bytes, fallback, true);
  }

  /**
   * Parses any bytes without refusing them; {@link #toBytes()} still returns them exactly.
   * Undecodable bytes read as U+FFFD in names and values.
   */
  public static IniDocument parseLenient(byte[] bytes) {
    return parseLenient(bytes, WINDOWS_1252);
  }

  /**
   * Parses any bytes without refusing them, reading a file without a byte order mark in {@code
   * fallback}.
   *
   * @throws IllegalArgumentException if {@code fallback} is multi-byte or not ASCII-compatible
   */
  public static IniDocument parseLenient(byte[] bytes, Charset fallback) {
    return IniParser.parse(bytes, fallback, false);
  }

  /** Assembles a parsed document from its lines in file order. */
  static IniDocument assemble(TextCodec codec, byte[] bom, byte[] trailer, LineTable table) {
    List<Block> blocks = new ArrayList<>();
    Line header = null;
    int from = 0;
    for (int row = 0; row < table.size(); row++) {
      if (table.kind(row) == Line.Kind.SECTION) {
        blocks.add(new Block(header, table, from, row));
        header = table.line(row);
        from = row + 1;
      }
    }
    blocks.add(new Block(header, table, from, table.size()));
    return new IniDocument(codec, bom, trailer, blocks);
  }

  /** Returns the charset values are read and written in. */
  public Charset charset() {
    return codec.charset();
  }

  /**
   * Returns the most frequent line ending of the document ({@code "\r\n"}, {@code "\n"} or {@code
   * "\r"}); {@code "\r\n"} when it has none or on a tie with it, as Windows writes.
   */
  public String lineSeparator() {
    int crlf = 0;
    int lf = 0;
    int cr = 0;
    int w = codec.width();
    for (Block block : blocks) {
      if (block.header != null) {
        switch (separatorOf(block.header, w)) {
          case 1 -> crlf++;
          case 2 -> lf++;
          case 3 -> cr++;
          default -> {}
        }
      }
      for (int i = 0; i < block.size(); i++) {
        switch (separatorOf(block, i, w)) {
          case 1 -> crlf++;
          case 2 -> lf++;
          case 3 -> cr++;
          default -> {}
        }
      }
    }
    if (lf > crlf && lf >= cr) {
      return "\n";
    }
    if (cr > crlf && cr > lf) {
      return "\r";
    }
    return "\r\n";
  }

  private int separatorOf(Line line, int w) {
    return separatorOf(line.buf, line.contentEnd, line.end, w);
  }

  private int separatorOf(Block block, int i, int w) {
    if (block.isEdited()) {
      return separatorOf(block.line(i), w);
    }
    int row = block.from + i;
    return separatorOf(block.table.buf, block.table.contentEnd(row), block.table.end(row), w);
  }

  private int separatorOf(byte[] buf, int contentEnd, int end, int w) {
    int len = end - contentEnd;
    if (len == 0) {
      return 0;
    }
    if (len == 2 * w) {
      return 1;
    }
    return codec.unit(buf, contentEnd) == '\n' ? 2 : 3;
  }

  /**
   * Returns the value of {@code key} in the first section named {@code section}, both compared
   * case-insensitively, as {@code GetPrivateProfileString} returns it: trimmed, and without one
   * pair of matching quotes around it.
   *
   * <pre>{@code
   * // PublicFolders = "C:\MDaemon\Public Folders\"
   * ini.get("Directories", "PublicFolders"); // Optional[C:\MDaemon\Public Folders\]
   * }</pre>
   */
  public Optional<String> get(String section, String key) {
    requireNonNull(section, "section");
    requireNonNull(key, "key");
    Block block = sectionIndex().get(fold(section));
    if (block == null) {
      return Optional.empty();
    }
    Line line = block.keyIndex().get(fold(key));
    return line == null ? Optional.empty() : Optional.of(line.value());
  }

  /**
   * Returns the distinct section names in order of first appearance, as first spelled; {@link
   * #sectionNames()} lists duplicates too.
   */
  public List<String> sections() {
    List<String> names = new ArrayList<>();
    for (Block block : sectionIndex().values()) {
      names.add(block.header.name());
    }
    return Collections.unmodifiableList(names);
  }

  /**
   * Returns the distinct key names of the first section named {@code section}, in file order, as
   * first spelled; empty if there is no such section. {@link #keyNames(String)} lists duplicates
   * too.
   */
  public List<String> keys(String section) {
    requireNonNull(section, "section");
    Block block = sectionIndex().get(fold(section));
    if (block == null) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (Line line : block.keyIndex().values()) {
      names.add(line.name());
    }
    return Collections.unmodifiableList(names);
  }

  /**
   * Returns the name of every section header in file order, duplicates included, as {@code
   * GetPrivateProfileSectionNames} (or {@code GetPrivateProfileString} with a {@code NULL} section)
   * lists them. A {@code []} header gives an empty name.
   *
   * <pre>{@code
   * // [A] x=1  [B]  [a] y=2
   * ini.sectionNames(); // [A, B, a]
   * ini.sections();     // [A, B]
   * }</pre>
   */
  public List<String> sectionNames() {
    List<String> names = new ArrayList<>();
    for (Block block : blocks) {
      if (block.header != null) {
        names.add(block.header.name());
      }
    }
    return Collections.unmodifiableList(names);
  }

  /**
   * Returns the name of every key of the first section named {@code section}, in file order with
   * duplicates, as {@code GetPrivateProfileString} with a {@code NULL} key lists them: comments and
   * lines without {@code =} are left out. Empty if there is no such section.
   *
   * <pre>{@code
   * // [S] x=1  ; note  y=2  X=3  no key here
   * ini.keyNames("S"); // [x, y, X]
   * ini.keys("S");     // [x, y]
   * }</pre>
   */
  public List<String> keyNames(String section) {
    requireNonNull(section, "section");
    Block block = sectionIndex().get(fold(section));
    if (block == null) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < block.size(); i++) {
      if (block.kind(i) == Line.Kind.KEY) {
        names.add(block.line(i).name());
      }
    }
    return Collections.unmodifiableList(names);
  }

  /**
   * Returns the lines of the first section named {@code section} as {@code
   * GetPrivateProfileSection} returns them: {@code name=value} for every key in file order,
   * duplicates included, with the blanks around {@code =} trimmed and the value as written (its
   * quotes kept); a line without {@code =} as its trimmed text; no comments and no blank lines.
   * Empty if there is no such section.
   *
   * <pre>{@code
   * // [section1]  name1 = val1  name2=  ; c  name3  name4="val4"
   * ini.sectionLines("section1"); // [name1=val1, name2=, name3, name4="val4"]
   * }</pre>
   */
  public List<String> sectionLines(String section) {
    requireNonNull(section, "section");
    Block block = sectionIndex().get(fold(section));
    if (block == null) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < block.size(); i++) {
      Line.Kind kind = block.kind(i);
      if (kind == Line.Kind.KEY) {
        Line line = block.line(i);
        lines.add(line.name() + "=" + line.rawValue());
      } else if (kind == Line.Kind.OTHER) {
        lines.add(block.line(i).text());
      }
    }
    return Collections.unmodifiableList(lines);
  }

  /**
   * Returns whether the file starts with a byte order mark ({@code EF BB BF} or {@code FF FE}, or
   * {@code FE FF} in a leniently parsed document), which {@link #toBytes()} writes back.
   *
   * <pre>{@code
   * IniDocument.parse(new byte[] {(byte) 0xFF, (byte) 0xFE}).hasByteOrderMark(); // true
   * }</pre>
   */
  public boolean hasByteOrderMark() {
    return bom.length > 0;
  }

  /**
   * Returns whether the document's last line ends with a line ending (CRLF, LF or CR); false for a
   * document without lines. An edit that appends a line after a last line without one gives that
   * line the {@linkplain #lineSeparator() dominant line ending} first.
   *
   * <pre>{@code
   * IniDocument.parse("[S]\r\nk=v".getBytes(StandardCharsets.US_ASCII)).endsWithLineSeparator(); // false
   * }</pre>
   */
  public boolean endsWithLineSeparator() {
    if (trailer.length > 0) {
      return false;
    }
    for (int b = blocks.size() - 1; b >= 0; b--) {
      Block block = blocks.get(b);
      if (block.size() > 0) {
        return block.line(block.size() - 1).hasTerminator();
      }
      if (block.header != null) {
        return block.header.hasTerminator();
      }
    }
    return false;
  }

  /**
   * How the document's non-blank lines divide into section headers, keys, comments and other text,
   * with the last non-blank line: what tells whether a file still has the shape of an INI file.
   *
   * @param headers section header lines
   * @param keys {@code key=value} lines
   * @param comments comment lines
   * @param other lines that are none of those (text without {@code =})
   * @param lastSection the section of the last non-blank line ({@code ""} before the first header)
   * @param last the last non-blank line, if any
   */
  record Shape(
      int headers, int keys, int comments, int other, String lastSection, Optional<Line> last) {
    /** Non-blank lines in all. */
    int lines() {
      return headers + keys + comments + other;
    }
  }

  /** Returns how the document's lines divide by kind; see {@link Shape}. */
  Shape shape() {
    int headers = 0;
    int keys = 0;
    int comments = 0;
    int other = 0;
    Block lastBlock = null;
    int lastIndex = -1; // -1: the block's header
    for (Block block : blocks) {
      if (block.header != null) {
        headers++;
        lastBlock = block;
        lastIndex = -1;
      }
      for (int i = 0; i < block.size(); i++) {
        switch (block.kind(i)) {
          case BLANK -> {
            continue;
          }
          case COMMENT -> comments++;
          case SECTION -> headers++;
          case KEY -> {
            // A key before the first section header is reached by no lookup: not INI either.
            if (block.header == null) {
              other++;
            } else {
              keys++;
            }
          }
          case OTHER -> other++;
        }
        lastBlock = block;
        lastIndex = i;
      }
    }
    Optional<Line> last =
        lastBlock == null
            ? Optional.empty()
            : Optional.of(lastIndex < 0 ? lastBlock.header : lastBlock.line(lastIndex));
    String lastSection =
        lastBlock == null || lastBlock.header == null ? "" : lastBlock.header.name();
    return new Shape(headers, keys, comments, other, lastSection, last);
  }

  /**
   * Returns whether every line is a section header or blank: such a file reads like no file at all,
   * since it holds no key, no comment and no other text.
   */
  boolean holdsOnlySectionHeaders() {
    if (trailer.length > 0) {
      return false;
    }
    for (Block block : blocks) {
      for (int i = 0; i < block.size(); i++) {
        if (block.kind(i) != Line.Kind.BLANK) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Returns every key that a lookup can reach, section by section in file order, as an immutable
   * snapshot: later edits of this document do not show in it. Entries are decoded when the list is
   * read, so a large file can be walked without holding every name and value at once.
   */
  public List<Entry> entries() {
    EntryList.Builder found = new EntryList.Builder();
    int[] table = new int[64];
    for (Block block : sectionIndex().values()) {
      found.section(block.header.name());
      // First-wins de-duplication in an open-addressing table of line positions: a whole-file
      // read allocates no map per section and no folded copy of ASCII names.
      int n = block.size();
      int size = Integer.highestOneBit(Math.max(8, n * 2)) << 1;
      if (table.length < size) {
        table = new int[size];
      } else {
        Arrays.fill(table, 0, size, 0);
      }
      int mask = size - 1;
      LineTable rows = block.isEdited() ? null : block.table;
      for (int i = 0; i < n; i++) {
        if (block.kind(i) != Line.Kind.KEY) {
          continue;
        }
        Line line = rows == null ? block.line(i) : null;
        int hash = rows == null ? line.foldedNameHash() : rows.foldedNameHash(block.from + i);
        int slot = mix(hash) & mask;
        boolean duplicate = false;
        while (table[slot] != 0) {
          int j = table[slot] - 1;
          boolean same =
              rows == null
                  ? block.line(j).sameNameAs(line)
                  : rows.sameName(block.from + j, block.from + i);
          if (same) {
            duplicate = true;
            break;
          }
          slot = (slot + 1) & mask;
        }
        if (!duplicate) {
          table[slot] = i + 1;
          if (rows == null) {
            found.add(line);
          } else {
            found.add(rows, block.from + i);
          }
        }
      }
    }
    return found.build();
  }

  /**
   * Entries over immutable table rows or lines, decoded on access. Only primitive arrays grow with
   * the number of entries, which keeps a whole-file snapshot cheap for the garbage collector.
   */
  private static final class EntryList extends AbstractList<Entry> implements RandomAccess {
    private final LineTable table;
    private final String[] sectionNames;
    private final Line[] editedLines;
    // refs[i] >= 0: a row of the table; refs[i] < 0: editedLines[-refs[i] - 1].
    private final int[] refs;
    private final int[] sections;

    private EntryList(Builder b) {
      this.table = b.table;
      this.sectionNames = b.sectionNames.toArray(new String[0]);
      this.editedLines = b.editedLines.toArray(new Line[0]);
      this.refs = Arrays.copyOf(b.refs, b.size);
      this.sections = Arrays.copyOf(b.sections, b.size);
    }

    @Override
    public Entry get(int index) {
      Objects.checkIndex(index, refs.length);
      String section = sectionNames[sections[index]];
      int ref = refs[index];
      if (ref < 0) {
        Line line = editedLines[-ref - 1];
        return new Entry(section, line.name(), line.value());
      }
      return new Entry(section, table.name(ref), table.value(ref));
    }

    @Override
    public int size() {
      return refs.length;
    }

    static final class Builder {
      private LineTable table;
      private final List<String> sectionNames = new ArrayList<>();
      private final List<Line> editedLines = new ArrayList<>();
      private int[] refs = new int[256];
      private int[] sections = new int[256];
      private int size;

      void section(String name) {
        sectionNames.add(name);
      }

      void add(Line line) {
        editedLines.add(line);
        append(-editedLines.size());
      }

      void add(LineTable rows, int row) {
        table = rows;
        append(row);
      }

      private void append(int ref) {
        if (size == refs.length) {
          refs = Arrays.copyOf(refs, size * 2);
          sections = Arrays.copyOf(sections, size * 2);
        }
        refs[size] = ref;
        sections[size++] = sectionNames.size() - 1;
      }

      EntryList build() {
        return new EntryList(this);
      }
    }
  }

  private static int mix(int h) {
    return h ^ (h >>> 16) * 0x45d9f3b;
  }

  /**
   * Sets {@code key} in the first section named {@code section}, adding the key or the section if
   * needed, with the fewest byte changes (see the class description). A value written between
   * quotes keeps them; a new value that reading would change (blanks at either end, a pair of
   * matching quotes around it) is written between double quotes, so that {@link #get} returns
   * exactly {@code value}. The key name may be empty ({@code =value}).
   *
   * <pre>{@code
   * // PublicFolders="C:\MDaemon\Public Folders\"
   * ini.set("Directories", "PublicFolders", "\\\\nas01\\mail\\Public Folders\\");
   * // PublicFolders="\\nas01\mail\Public Folders\"
   * ini.set("Special", "Signature", " -- "); // Signature=" -- "
   * }</pre>
   *
   * @return whether the document changed ({@code false} if the key already had this value)
   * @throws IllegalArgumentException if a name or the value would not read back exactly, or the
   *     document's charset cannot encode it
   */
  public boolean set(String section, String key, String value) {
    checkName("section", section, false);
    checkName("key", key, true);
    checkValue(value);
    if (key.indexOf('=') >= 0 || key.startsWith(";") || key.startsWith("[")) {
      throw new IllegalArgumentException(
          "key '"
              + key
              + "' would not read back as that key: a key must not hold '=' or start with ';' or"
              + " '['");
    }
    Block block = sectionIndex().get(fold(section));
    if (block == null) {
      appendSection(section, key, value);
      return true;
    }
    List<Line> lines = block.lines();
    Line existing = block.keyIndex().get(fold(key));
    if (existing != null) {
      if (existing.value().equals(value)) {
        return false;
      }
      // A value written between quotes keeps them: the bytes between the quotes are replaced.
      String written = existing.isQuoted() ? value : quoteIfNeeded(value);
      Line edited = existing.withValue(codec.encode(written));
      checkReadsBack(edited, existing.name(), value);
      lines.set(indexOf(lines, existing), edited);
      block.invalidate();
      return true;
    }
    insertKey(block, key, value);
    return true;
  }

  /**
   * Returns {@code value} between double quotes if reading would otherwise change it: blanks at
   * either end would be trimmed, a pair of matching quotes around it removed.
   */
  private static String quoteIfNeeded(String value) {
    if (value.isEmpty()) {
      return value;
    }
    char first = value.charAt(0);
    char last = value.charAt(value.length() - 1);
    boolean quoted = value.length() >= 2 && (first == '"' || first == '\'') && last == first;
    return Line.isBlank(first) || Line.isBlank(last) || quoted ? '"' + value + '"' : value;
  }

  /**
   * Removes the first line of {@code key} in the first section named {@code section}, the one
   * {@link #get} reads, as {@code WritePrivateProfileString(section, key, NULL)} does. A later line
   * of the same key in that section is then the one read; call this until it returns false to
   * remove them all.
   *
   * <pre>{@code
   * // [S] x=1  y=2  X=3
   * ini.remove("S", "x"); // true: [S] y=2  X=3, and get("S", "x") is now "3"
   * }</pre>
   *
   * @return whether the document changed
   */
  public boolean remove(String section, String key) {
    requireNonNull(section, "section");
    requireNonNull(key, "key");
    Block block = sectionIndex().get(fold(section));
    if (block == null) {
      return false;
    }
    List<Line> lines = block.lines();
    Line line = block.keyIndex().get(fold(key));
    if (line == null) {
      return false;
    }
    lines.remove(indexOf(lines, line));
    block.invalidate();
    return true;
  }

  /**
   * Removes the first section named {@code section}, as {@code WritePrivateProfileString(section,
   * NULL, NULL)} does: its header, its keys and its other lines. Its comment lines stay where they
   * were, as Windows keeps them, and so do its blank lines. A later section of the same name is
   * then the one read.
   *
   * <pre>{@code
   * // ;top  [A] ;about A  x=1  [B] y=2
   * ini.removeSection("A"); // ;top  ;about A  [B] y=2
   * }</pre>
   *
   * @return whether the document changed
   */
  public boolean removeSection(String section) {
    requireNonNull(section, "section");
    Block block = sectionIndex().get(fold(section));
    if (block == null) {
      return false;
    }
    int at = indexOf(blocks, block);
    // The first block has no header, so a section always has a block before it; every line
    // before a header ends with a line ending, so the kept lines can follow it.
    Block previous = blocks.get(at - 1);
    List<Line> kept = new ArrayList<>();
    for (int i = 0; i < block.size(); i++) {
      Line.Kind kind = block.kind(i);
      if (kind == Line.Kind.COMMENT || kind == Line.Kind.BLANK) {
        kept.add(block.line(i));
      }
    }
    if (!kept.isEmpty()) {
      previous.lines().addAll(kept);
      previous.invalidate();
    }
    blocks.remove(at);
    sectionIndex = null;
    return true;
  }

  /** Returns the document's bytes; exactly the parsed bytes if nothing was edited. */
  public byte[] toBytes() {
    int size = bom.length + trailer.length;
    for (Block block : blocks) {
      size += block.byteLength();
    }
    byte[] out = new byte[size];
    System.arraycopy(bom, 0, out, 0, bom.length);
    int at = bom.length;
    for (Block block : blocks) {
      at = block.copyTo(out, at);
    }
    System.arraycopy(trailer, 0, out, at, trailer.length);
    return out;
  }

  /** Returns a summary for logs, such as {@code IniDocument[windows-1252, CRLF, 12 sections]}. */
  @Override
  public String toString() {
    String sep =
        switch (lineSeparator()) {
          case "\n" -> "LF";
          case "\r" -> "CR";
          default -> "CRLF";
        };
    return "IniDocument[" + charset().name() + ", " + sep + ", " + sections().size() + " sections]";
  }

  private Map<String, Block> sectionIndex() {
    Map<String, Block> index = sectionIndex;
    if (index == null) {
      index = new LinkedHashMap<>();
      for (Block block : blocks) {
        if (block.header != null) {
          index.putIfAbsent(fold(block.header.name()), block);
        }
      }
      sectionIndex = index;
    }
    return index;
  }

  private void appendSection(String section, String key, String value) {
    byte[] separator = codec.encode(lineSeparator());
    Line header = Line.of(codec, codec.encode("[" + section + "]"), separator);
    if (header.kind != Line.Kind.SECTION || !header.name().equals(section)) {
      throw new IllegalArgumentException(
          "section '"
              + section
              + "' would not read back as that section (a name ends at the first ']'): choose"
              + " another name");
    }
    Line keyLine = Line.of(codec, codec.encode(key + "=" + quoteIfNeeded(value)), separator);
    checkReadsBack(keyLine, key, value);
    Block last = blocks.get(blocks.size() - 1);
    if (last.size() == 0 && last.header != null && !last.header.hasTerminator()) {
      Block replaced = new Block(last.header.withTerminator(separator));
      blocks.set(blocks.size() - 1, replaced);
    } else if (last.size() > 0) {
      int i = last.size() - 1;
      Line tail = last.line(i);
      if (!tail.hasTerminator()) {
        last.lines().set(i, tail.withTerminator(separator));
        last.invalidate();
      }
    }
    Block block = new Block(header);
    block.lines().add(keyLine);
    blocks.add(block);
    sectionIndex = null;
  }

  private void insertKey(Block block, String key, String value) {
    List<Line> lines = block.lines();
    int lastKey = -1;
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (lines.get(i).kind == Line.Kind.KEY) {
        lastKey = i;
        break;
      }
    }
    Line before = lastKey >= 0 ? lines.get(lastKey) : block.header;
    byte[] written = codec.encode(quoteIfNeeded(value));
    byte[] content;
    if (lastKey >= 0) {
      // Indent and spacing around '=' follow the neighbouring key, so the file keeps its style.
      // A quoted neighbour's opening quote is not part of the spacing.
      int equalsEnd = before.isQuoted() ? before.valueStart - codec.width() : before.valueStart;
      byte[] indent = Arrays.copyOfRange(before.buf, before.start, before.nameStart);
      byte[] equals = Arrays.copyOfRange(before.buf, before.nameEnd, equalsEnd);
      content = concat(indent, codec.encode(key), equals, written);
    } else {
      content = concat(codec.encode(key + "="), written);
    }
    // After a last line without a line ending, that line and the new one both get one, as
    // Windows ends every line it writes.
    byte[] terminator =
        before.hasTerminator() ? before.terminator() : codec.encode(lineSeparator());
    Line added = Line.of(codec, content, terminator);
    checkReadsBack(added, key, value);
    if (!before.hasTerminator()) {
      Line terminated = before.withTerminator(terminator);
      if (lastKey >= 0) {
        lines.set(lastKey, terminated);
      } else {
        Block replaced = new Block(terminated);
        replaced.lines().addAll(lines);
        blocks.set(indexOf(blocks, block), replaced);
        sectionIndex = null;
        block = replaced;
      }
    }
    block.lines().add(lastKey + 1, added);
    block.invalidate();
  }

  private static void checkReadsBack(Line line, String key, String value) {
    if (line.kind != Line.Kind.KEY || !line.name().equals(key) || !line.value().equals(value)) {
      throw new IllegalArgumentException(
          "key '" + key + "' with value '" + value + "' would not read back as written");
    }
  }

  private static void checkName(String what, String name, boolean mayBeEmpty) {
    requireNonNull(name, what);
    if (name.isEmpty()) {
      if (mayBeEmpty) {
        return;
      }
      throw new IllegalArgumentException(what + " name must not be empty");
    }
    checkText(what + " name", name);
    if (Line.isBlank(name.charAt(0)) || Line.isBlank(name.charAt(name.length() - 1))) {
      throw new IllegalArgumentException(
          what
              + " name '"
              + name
              + "' starts or ends with a blank, which reading trims: remove it");
    }
  }

  private static void checkValue(String value) {
    requireNonNull(value, "value");
    checkText("value", value);
  }

  private static void checkText(String what, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\r' || c == '\n' || c == '\0') {
        throw new IllegalArgumentException(
            what
                + " '"
                + text.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0")
                + "' holds a line break or NUL at index "
                + i
                + ": an INI entry is one line; remove it");
      }
    }
  }

  private static <T> int indexOf(List<T> list, T item) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) == item) {
        return i;
      }
    }
    throw new IllegalStateException("line not in its document");
  }

  private static byte[] concat(byte[]... parts) {
    int size = 0;
    for (byte[] p : parts) {
      size += p.length;
    }
    byte[] out = new byte[size];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  static String fold(String name) {
    return name.toLowerCase(Locale.ROOT);
  }
}
