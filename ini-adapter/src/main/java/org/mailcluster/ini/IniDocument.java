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
 * An INI file that keeps every byte it was read from, reads like the Windows private-profile API
 * ({@code GetPrivateProfileString}) and edits by changing as few bytes as possible.
 *
 * <h2>Lossless</h2>
 *
 * <p>{@link #toBytes()} of a document that was not edited returns exactly the bytes it was parsed
 * from: byte order mark, encoding, line endings (CRLF, LF, CR, mixed), comments, blank lines,
 * spacing around {@code =}, order, duplicate sections and keys, lines that are neither, a missing
 * final newline, even bytes that are not valid in the encoding. Each line keeps its raw bytes; only
 * lines that are edited are written anew.
 *
 * <h2>Encoding</h2>
 *
 * <ul>
 *   <li>A byte order mark decides: {@code EF BB BF} is UTF-8, {@code FF FE} UTF-16LE, {@code FE FF}
 *       UTF-16BE.
 *   <li>Without one, bytes that are valid UTF-8 and hold at least one multi-byte sequence are
 *       UTF-8. Everything else, pure ASCII included, is read in the fallback charset (windows-1252
 *       unless told otherwise), because the Windows profile API reads a file without a byte order
 *       mark in the ANSI code page: a value with {@code à} added to an ASCII file is written as the
 *       single byte {@code E0}, as the mail server expects.
 *   <li>Bytes the fallback charset leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D in windows-1252)
 *       read as the C1 control of the same number, as Windows converts them, so they survive being
 *       read and written.
 * </ul>
 *
 * <h2>Reading rules</h2>
 *
 * <p>Lines end at CRLF, LF or CR. "Blank" below means space or tab.
 *
 * <ol>
 *   <li><b>Names are case-insensitive.</b> {@code get("directories", "LOCKFILES")} finds {@code
 *       LockFiles=} under {@code [Directories]}.
 *   <li><b>The first section of a name is the one searched.</b> With {@code [A] x=1 ... [a] x=2
 *       y=3}, {@code get("A","x")} is {@code 1} and {@code get("A","y")} is empty: keys of a later
 *       duplicate section are not reachable, as in Windows.
 *   <li><b>The first key of a name wins.</b> With {@code x=1} then {@code X=2} in one section,
 *       {@code get(s, "x")} is {@code 1}.
 *   <li><b>{@code ;} starts a comment only at the start of a line</b> (after optional blanks):
 *       {@code ; Users=D:\} is a comment, but in {@code Ports=465;993} the value is {@code
 *       465;993}. {@code #} is not a comment character: {@code #x=1} is the key {@code #x}.
 *   <li><b>Blanks around names and values are trimmed.</b> {@code Users = C:\Mail } is key {@code
 *       Users} with value {@code C:\Mail}. Quotes are kept: {@code x="a"} is {@code "a"}.
 *   <li><b>A key line is split at its first {@code =}.</b> {@code a=b=c} is key {@code a} with
 *       value {@code b=c}. A line without {@code =}, or with nothing before it ({@code =x}), is not
 *       a key; it is kept and ignored.
 *   <li><b>A section header is {@code [} up to the last {@code ]} on the line</b>: {@code [a]b]} is
 *       section {@code a]b}, and {@code [ Paths ]} is {@code Paths}. A line starting with {@code [}
 *       but without {@code ]} is read as an ordinary line ({@code [x=1} is key {@code [x}).
 *   <li><b>Keys before the first section header are kept but belong to no section</b>: no lookup
 *       reaches them.
 * </ol>
 *
 * <h2>Strict and lenient parsing</h2>
 *
 * <p>{@link #parse(byte[])} refuses what is not a text INI file with an {@link IniSyntaxException}:
 * a NUL character (binary files hold them, text files never do), UTF-16 with an odd number of bytes
 * or an unpaired surrogate, or invalid UTF-8 after a UTF-8 byte order mark. {@link
 * #parseLenient(byte[])} accepts any bytes and still round-trips them exactly; use it to inspect or
 * repair a damaged file.
 *
 * <h2>Editing</h2>
 *
 * <ul>
 *   <li>{@link #set} of an existing key replaces only the value bytes: the key's spelling, the
 *       spacing around {@code =}, trailing blanks and the line ending stay.
 *   <li>A new key goes after the last key of the (first) section of that name, indented and spaced
 *       like that key and ended like it.
 *   <li>A new section is appended at the end of the file with the file's dominant line ending; if
 *       the file had no final newline, its last line gets one first.
 *   <li>Names and values that would not read back exactly are refused with {@link
 *       IllegalArgumentException}: line breaks, NUL, blanks at either end, {@code =} in a key,
 *       characters the document's charset cannot encode.
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
  // Over-approximates "some byte is >= 0x80": set at parse and by edits, never cleared.
  private boolean mayHoldNonAscii;

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

    Block copy() {
      Block b = new Block(header, table, from, to);
      if (lines != null) {
        b.lines = new ArrayList<>(lines);
      }
      return b;
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
   * One effective key of a document, in the spelling of its first occurrence.
   *
   * <pre>{@code
   * for (IniDocument.Entry e : ini.entries()) {
   *   System.out.println("[" + e.section() + "] " + e.key() + " = " + e.value());
   * }
   * }</pre>
   *
   * @param section the section name as first spelled in the file
   * @param key the key name as first spelled in that section
   * @param value the trimmed value
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
   * Parses an INI file, reading bytes without a byte order mark that are not UTF-8 as windows-1252.
   *
   * @throws IniSyntaxException if the bytes are not a text INI file (see the class description)
   */
  public static IniDocument parse(byte[] bytes) {
    return parse(bytes, WINDOWS_1252);
  }

  /**
   * Parses an INI file, reading bytes without a byte order mark that are not UTF-8 in {@code
   * fallback}.
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
   * Parses any bytes without refusing them, reading bytes without a byte order mark that are not
   * UTF-8 in {@code fallback}.
   *
   * @throws IllegalArgumentException if {@code fallback} is multi-byte or not ASCII-compatible
   */
  public static IniDocument parseLenient(byte[] bytes, Charset fallback) {
    return IniParser.parse(bytes, fallback, false);
  }

  /** Assembles a parsed document from its lines in file order. */
  static IniDocument assemble(
      TextCodec codec, byte[] bom, byte[] trailer, LineTable table, boolean nonAscii) {
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
    IniDocument doc = new IniDocument(codec, bom, trailer, blocks);
    doc.mayHoldNonAscii = nonAscii;
    return doc;
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
   * case-insensitively.
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

  /** Returns the distinct section names in order of first appearance, as first spelled. */
  public List<String> sections() {
    List<String> names = new ArrayList<>();
    for (Block block : sectionIndex().values()) {
      names.add(block.header.name());
    }
    return Collections.unmodifiableList(names);
  }

  /**
   * Returns the distinct key names of the first section named {@code section}, in file order, as
   * first spelled; empty if there is no such section.
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
   * needed, with the fewest byte changes (see the class description).
   *
   * @return whether the document changed ({@code false} if the key already had this value)
   * @throws IllegalArgumentException if a name or the value would not read back exactly, or the
   *     document's charset cannot encode it
   */
  public boolean set(String section, String key, String value) {
    return guardEncoding(
        () -> doSet(section, key, value),
        section + key + value,
        "setting [" + section + "] " + key);
  }

  private boolean doSet(String section, String key, String value) {
    checkName("section", section);
    checkName("key", key);
    checkValue(value);
    if (key.indexOf('=') >= 0 || key.startsWith(";") || key.startsWith("[")) {
      throw new IllegalArgumentException(
          "key '"
              + key
              + "' would not read back as that key: a key must not hold '=' or start with ';' or"
              + " '['");
    }
    byte[] valueBytes = codec.encode(value);
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
      Line edited = existing.withValue(valueBytes);
      checkReadsBack(edited, existing.name(), value);
      lines.set(indexOf(lines, existing), edited);
      block.invalidate();
      return true;
    }
    insertKey(block, key, value);
    return true;
  }

  /**
   * Removes {@code key} from the first section named {@code section}: every line of that name in
   * that section, so that a duplicate does not take its place.
   *
   * @return whether the document changed
   */
  public boolean remove(String section, String key) {
    requireNonNull(section, "section");
    requireNonNull(key, "key");
    return guardEncoding(() -> doRemove(section, key), "", "removing [" + section + "] " + key);
  }

  private boolean doRemove(String section, String key) {
    Block block = sectionIndex().get(fold(section));
    if (block == null || !block.keyIndex().containsKey(fold(key))) {
      return false;
    }
    String folded = fold(key);
    block.lines().removeIf(l -> l.kind == Line.Kind.KEY && fold(l.name()).equals(folded));
    block.invalidate();
    return true;
  }

  /**
   * Removes every section named {@code section} (duplicates too, so none takes its place) with all
   * lines up to the next section header.
   *
   * @return whether the document changed
   */
  public boolean removeSection(String section) {
    requireNonNull(section, "section");
    return guardEncoding(() -> doRemoveSection(section), "", "removing section [" + section + "]");
  }

  private boolean doRemoveSection(String section) {
    String folded = fold(section);
    boolean removed =
        blocks.removeIf(b -> b.header != null && fold(b.header.name()).equals(folded));
    if (removed) {
      sectionIndex = null;
    }
    return removed;
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

  /**
   * Runs an edit and undoes it if it would change how the file's encoding is detected. A file
   * without a byte order mark read in the fallback charset is recognised by not being UTF-8; an
   * edit that makes it valid UTF-8 (writing "Ã©" in windows-1252 gives the UTF-8 bytes of "é")
   * would make every later read decode it differently. Only edits that involve non-ASCII bytes can
   * do that, so only they pay for the check.
   */
  private boolean guardEncoding(
      java.util.function.BooleanSupplier edit, String added, String what) {
    boolean addsNonAscii = !isAscii(added);
    if (bom.length > 0 || codec == TextCodec.utf8() || !(mayHoldNonAscii || addsNonAscii)) {
      return edit.getAsBoolean();
    }
    List<Block> saved = new ArrayList<>(blocks.size());
    for (Block b : blocks) {
      saved.add(b.copy());
    }
    boolean changed = edit.getAsBoolean();
    if (changed && Utf8Validator.isMultiByteUtf8(toBytes())) {
      blocks.clear();
      blocks.addAll(saved);
      sectionIndex = null;
      throw new IllegalArgumentException(
          what
              + " would leave a "
              + codec.charset().name()
              + " file whose bytes read as UTF-8, so it would be misread later: use other"
              + " characters, or convert the file to UTF-8 with a byte order mark");
    }
    mayHoldNonAscii |= addsNonAscii;
    return changed;
  }

  private static boolean isAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
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
    Block last = blocks.get(blocks.size() - 1);
    if (last.size() == 0 && last.header != null && !last.header.hasTerminator()) {
      Block replaced = new Block(last.header.withTerminator(separator));
      blocks.set(blocks.size() - 1, replaced);
      sectionIndex = null;
    } else if (last.size() > 0) {
      int i = last.size() - 1;
      Line tail = last.line(i);
      if (!tail.hasTerminator()) {
        last.lines().set(i, tail.withTerminator(separator));
        last.invalidate();
      }
    }
    Line header = Line.of(codec, codec.encode("[" + section + "]"), separator);
    if (header.kind != Line.Kind.SECTION || !header.name().equals(section)) {
      throw new IllegalArgumentException(
          "section '" + section + "' would not read back as that section: choose another name");
    }
    Line keyLine = Line.of(codec, codec.encode(key + "=" + value), separator);
    checkReadsBack(keyLine, key, value);
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
    byte[] content;
    if (lastKey >= 0) {
      // Indent and spacing around '=' follow the neighbouring key, so the file keeps its style.
      byte[] indent = Arrays.copyOfRange(before.buf, before.start, before.nameStart);
      byte[] equals = Arrays.copyOfRange(before.buf, before.nameEnd, before.valueStart);
      content = concat(indent, codec.encode(key), equals, codec.encode(value));
    } else {
      content = codec.encode(key + "=" + value);
    }
    Line added;
    if (before.hasTerminator()) {
      added = Line.of(codec, content, before.terminator());
    } else {
      byte[] separator = codec.encode(lineSeparator());
      Line terminated = before.withTerminator(separator);
      if (lastKey >= 0) {
        lines.set(lastKey, terminated);
      } else {
        Block replaced = new Block(terminated);
        replaced.lines().addAll(lines);
        blocks.set(indexOf(blocks, block), replaced);
        sectionIndex = null;
        block = replaced;
      }
      added = Line.of(codec, content, new byte[0]);
    }
    checkReadsBack(added, key, value);
    block.lines().add(lastKey + 1, added);
    block.invalidate();
  }

  private static void checkReadsBack(Line line, String key, String value) {
    if (line.kind != Line.Kind.KEY || !line.name().equals(key) || !line.value().equals(value)) {
      throw new IllegalArgumentException(
          "key '" + key + "' with value '" + value + "' would not read back as written");
    }
  }

  private static void checkName(String what, String name) {
    requireNonNull(name, what);
    if (name.isEmpty()) {
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
    if (!value.isEmpty()
        && (Line.isBlank(value.charAt(0)) || Line.isBlank(value.charAt(value.length() - 1)))) {
      throw new IllegalArgumentException(
          "value '" + value + "' starts or ends with a blank, which reading trims: remove it");
    }
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
