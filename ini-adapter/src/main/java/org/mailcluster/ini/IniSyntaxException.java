package org.mailcluster.ini;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * Bytes that {@link IniDocument#parse(byte[])} refuses: they cannot be decoded in the encoding
 * their byte order mark announces, or they are not a text INI file at all (they hold NUL
 * characters, as binary files do). Nothing is ever written when this is thrown.
 *
 * <p>The position is 1-based; the column counts code units from the start of the line (bytes in
 * UTF-8 and single-byte files, 16-bit units in UTF-16 files).
 *
 * <pre>{@code
 * try {
 *   IniDocument doc = IniDocument.parse(bytes);
 * } catch (IniSyntaxException e) {
 *   log.error("{} line {}: {}", e.file().orElse("?"), e.line(), e.getMessage());
 * }
 * }</pre>
 */
public final class IniSyntaxException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The file name, when known. */
  private final String file;

  /** The 1-based line number. */
  private final int line;

  /** The 1-based column, in code units. */
  private final int column;

  /** What is wrong and what to do, without the position. */
  private final String problem;

  IniSyntaxException(String file, int line, int column, String problem) {
    super(format(file, line, column, problem));
    this.file = file;
    this.line = line;
    this.column = column;
    this.problem = requireNonNull(problem, "problem");
  }

  private static String format(String file, int line, int column, String problem) {
    return (file == null ? "" : file + ": ")
        + "line "
        + line
        + ", column "
        + column
        + ": "
        + problem;
  }

  /** Returns the same failure attributed to {@code fileName}. */
  IniSyntaxException inFile(String fileName) {
    IniSyntaxException e = new IniSyntaxException(fileName, line, column, problem);
    e.setStackTrace(getStackTrace());
    return e;
  }

  /** Returns the name of the file, if the parser was told it. */
  public Optional<String> file() {
    return Optional.ofNullable(file);
  }

  /** Returns the 1-based line number of the problem. */
  public int line() {
    return line;
  }

  /** Returns the 1-based column of the problem, in code units. */
  public int column() {
    return column;
  }
}
