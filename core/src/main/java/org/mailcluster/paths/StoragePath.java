package org.mailcluster.paths;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * An absolute path as a mail server's configuration writes it: a Windows drive path ({@code
 * C:\MDaemon\Users\}), a UNC path ({@code \\nas01\mail\Users}, also in the long form {@code
 * \\?\UNC\nas01\mail\Users}) or a POSIX path ({@code /mnt/mail/Users}).
 *
 * <p>Parsing normalises with Windows rules: {@code /} and {@code \} are both separators, one
 * trailing separator is dropped, {@code .} is removed and {@code ..} removes the name before it.
 * Windows paths compare ignoring case (as NTFS and SMB shares do); POSIX paths compare exactly. A
 * path that cannot be meant seriously is refused with an {@link IllegalArgumentException} that says
 * what to write instead: a relative path, an empty component ({@code a\\b}), {@code ..} above the
 * root, a device path ({@code \\.\PhysicalDrive0}), a character Windows forbids in a name ({@code
 * <>:"|?*} and control characters), a reserved device name ({@code CON}, {@code NUL}, {@code COM1}
 * …) or a name ending in a dot or a space.
 *
 * <pre>{@code
 * StoragePath root = StoragePath.parse("\\\\NAS01\\Mail\\");
 * StoragePath users = root.resolveWithin("Users");           // \\NAS01\Mail\Users
 * users.equals(StoragePath.parse("//nas01/mail/users/."));   // true: Windows ignores case
 * root.resolveWithin("..\\etc");                             // refused: escapes the shared root
 * users.toDirectoryString();                                 // \\NAS01\Mail\Users\
 * }</pre>
 */
public final class StoragePath {
  /** What kind of absolute path this is. */
  public enum Kind {
    /** A Windows path on a drive letter, {@code C:\dir}. */
    DRIVE,
    /** A Windows network path, {@code \\server\share\dir}. */
    UNC,
    /** A POSIX path, {@code /mnt/mail}. */
    POSIX
  }

  private static final String FORBIDDEN = "<>:\"|?*";
  private static final Set<String> RESERVED =
      Set.of(
          "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
          "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9");
  private static final String FORMS =
      "write an absolute path such as C:\\MDaemon\\Users, \\\\server\\share\\dir or /mnt/mail";

  private final Kind kind;
  // DRIVE: "C:" ; UNC: "\\server\share" ; POSIX: "".
  private final String root;
  private final List<String> names;

  private StoragePath(Kind kind, String root, List<String> names) {
    this.kind = kind;
    this.root = root;
    this.names = Collections.unmodifiableList(names);
  }

  /**
   * Parses and normalises an absolute path.
   *
   * @throws IllegalArgumentException if the path is relative, empty, a device path, escapes its
   *     root, or holds an empty component or a name Windows forbids; the message quotes it
   */
  public static StoragePath parse(String text) {
    requireNonNull(text, "path");
    if (text.isEmpty()) {
      throw new IllegalArgumentException("empty path: " + FORMS);
    }
    String t = text;
    if (t.startsWith("\\\\.\\") || t.startsWith("//./") || t.equals("\\\\.")) {
      throw bad(text, "is a device path, not a folder: " + FORMS);
    }
    if (t.startsWith("\\\\?\\") || t.startsWith("//?/")) {
      String rest = t.substring(4);
      if (rest.regionMatches(true, 0, "UNC\\", 0, 4) || rest.regionMatches(true, 0, "UNC/", 0, 4)) {
        return parseUnc(text, rest.substring(4));
      }
      if (rest.length() >= 2 && rest.charAt(1) == ':') {
        return parseDrive(text, rest);
      }
      throw bad(text, "is a long-path form that is neither \\\\?\\UNC\\ nor \\\\?\\C:\\: " + FORMS);
    }
    if (t.startsWith("\\\\") || t.startsWith("//") || t.startsWith("\\/") || t.startsWith("/\\")) {
      return parseUnc(text, t.substring(2));
    }
    if (t.length() >= 2 && t.charAt(1) == ':') {
      return parseDrive(text, t);
    }
    if (t.startsWith("/")) {
      List<String> names = new ArrayList<>();
      appendNames(text, t.substring(1), names, 0, false);
      return new StoragePath(Kind.POSIX, "", names);
    }
    throw bad(text, "is relative: " + FORMS);
  }

  private static StoragePath parseDrive(String text, String t) {
    char letter = t.charAt(0);
    if (!((letter >= 'A' && letter <= 'Z') || (letter >= 'a' && letter <= 'z'))) {
      throw bad(text, "has no drive letter before ':': " + FORMS);
    }
    if (t.length() == 2 || !isSeparator(t.charAt(2))) {
      throw bad(
          text,
          "is relative to the current folder of drive "
              + Character.toUpperCase(letter)
              + ": write "
              + Character.toUpperCase(letter)
              + ":\\ before the folder");
    }
    List<String> names = new ArrayList<>();
    appendNames(text, t.substring(3), names, 0, true);
    return new StoragePath(Kind.DRIVE, Character.toUpperCase(letter) + ":", names);
  }

  private static StoragePath parseUnc(String text, String rest) {
    int sep = indexOfSeparator(rest, 0);
    String server = sep < 0 ? rest : rest.substring(0, sep);
    if (server.isEmpty() || sep < 0) {
      throw bad(text, "names no server and share: write \\\\server\\share\\dir");
    }
    int sep2 = indexOfSeparator(rest, sep + 1);
    String share = sep2 < 0 ? rest.substring(sep + 1) : rest.substring(sep + 1, sep2);
    if (share.isEmpty()) {
      throw bad(text, "names no share after the server: write \\\\server\\share\\dir");
    }
    if (server.equals(".") || server.equals("?")) {
      throw bad(text, "is a device path, not a folder: " + FORMS);
    }
    checkWindowsName(text, server);
    checkWindowsName(text, share);
    if (share.equals(".") || share.equals("..")) {
      throw bad(text, "has '" + share + "' where the share name belongs");
    }
    List<String> names = new ArrayList<>();
    if (sep2 >= 0) {
      appendNames(text, rest.substring(sep2 + 1), names, 0, true);
    }
    return new StoragePath(Kind.UNC, "\\\\" + server + "\\" + share, names);
  }

  /**
   * Splits {@code rest} into names and applies them to {@code names}; {@code floor} is how many
   * names may not be removed by {@code ..}.
   */
  private static void appendNames(
      String text, String rest, List<String> names, int floor, boolean windows) {
    appendNames(text, rest, names, floor, windows, "its root");
  }

  private static void appendNames(
      String text, String rest, List<String> names, int floor, boolean windows, String above) {
    if (rest.isEmpty()) {
      return;
    }
    List<String> parts = split(rest, windows);
    for (int i = 0; i < parts.size(); i++) {
      String part = parts.get(i);
      if (part.isEmpty()) {
        if (i == parts.size() - 1) {
          continue; // one trailing separator
        }
        throw bad(text, "has an empty component (two separators in a row): remove one");
      }
      if (part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (names.size() <= floor) {
          throw bad(text, "uses '..' to go above " + above);
        }
        names.remove(names.size() - 1);
        continue;
      }
      if (windows) {
        checkWindowsName(text, part);
      } else if (part.indexOf('\0') >= 0) {
        throw bad(text, "holds a NUL character");
      }
      names.add(part);
    }
  }

  private static List<String> split(String s, boolean windows) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '/' || (windows && c == '\\')) {
        parts.add(s.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(s.substring(start));
    return parts;
  }

  private static void checkWindowsName(String text, String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 32 || FORBIDDEN.indexOf(c) >= 0) {
        throw bad(
            text,
            "has a character Windows forbids in a name ("
                + (c < 32 ? "control character " + (int) c : "'" + c + "'")
                + " in '"
                + name
                + "'): remove it");
      }
    }
    if (name.equals(".") || name.equals("..")) {
      return;
    }
    if (name.endsWith(".") || name.endsWith(" ")) {
      throw bad(
          text, "has a name ending in a dot or a space ('" + name + "'), which Windows drops");
    }
    int dot = name.indexOf('.');
    String base = (dot < 0 ? name : name.substring(0, dot)).toUpperCase(Locale.ROOT).strip();
    if (RESERVED.contains(base)) {
      throw bad(text, "uses the reserved device name '" + name + "': choose another name");
    }
  }

  private static boolean isSeparator(char c) {
    return c == '\\' || c == '/';
  }

  private static int indexOfSeparator(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      if (isSeparator(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  private static IllegalArgumentException bad(String text, String why) {
    return new IllegalArgumentException("path '" + text + "' " + why);
  }

  /** Returns the kind of path. */
  public Kind kind() {
    return kind;
  }

  /** Returns whether this is a Windows path (drive or UNC), compared ignoring case. */
  public boolean isWindows() {
    return kind != Kind.POSIX;
  }

  /**
   * Returns the root: {@code C:} for a drive path, {@code \\server\share} for a UNC path, and
   * {@code /} for a POSIX path.
   */
  public String root() {
    return kind == Kind.POSIX ? "/" : root;
  }

  /** Returns the names below the root, outermost first. */
  public List<String> names() {
    return names;
  }

  /** Returns the last name, or empty for a root. */
  public Optional<String> fileName() {
    return names.isEmpty() ? Optional.empty() : Optional.of(names.get(names.size() - 1));
  }

  /**
   * Resolves a relative path against this one. {@code ..} may go up, but never above this path's
   * root.
   *
   * @throws IllegalArgumentException if {@code relative} is absolute or malformed
   */
  public StoragePath resolve(String relative) {
    return resolve(relative, 0, "its root");
  }

  /**
   * Resolves a relative path that must stay inside this one: how a folder is placed under a shared
   * root.
   *
   * @throws IllegalArgumentException if {@code relative} is absolute, malformed or uses {@code ..}
   *     to leave this path
   */
  public StoragePath resolveWithin(String relative) {
    return resolve(relative, names.size(), "the shared root " + this);
  }

  private StoragePath resolve(String relative, int floor, String above) {
    requireNonNull(relative, "relative");
    boolean absolute =
        relative.startsWith("/")
            || (isWindows() && relative.startsWith("\\"))
            || (relative.length() >= 2 && relative.charAt(1) == ':');
    if (absolute) {
      throw new IllegalArgumentException(
          "path '" + relative + "' is absolute where a path relative to " + this + " is needed");
    }
    List<String> out = new ArrayList<>(names);
    appendNames(relative, relative, out, floor, isWindows(), above);
    return new StoragePath(kind, root, out);
  }

  /** Returns this path with one more name. */
  public StoragePath child(String name) {
    requireNonNull(name, "name");
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/")) {
      throw new IllegalArgumentException("'" + name + "' is not a single folder or file name");
    }
    if (isWindows() && name.contains("\\")) {
      throw new IllegalArgumentException("'" + name + "' is not a single folder or file name");
    }
    return resolveWithin(name);
  }

  /**
   * Returns whether {@code other} is this path or lies below it (same root, compared ignoring case
   * for Windows paths).
   */
  public boolean contains(StoragePath other) {
    requireNonNull(other, "other");
    if (kind != other.kind || !same(root, other.root) || other.names.size() < names.size()) {
      return false;
    }
    for (int i = 0; i < names.size(); i++) {
      if (!same(names.get(i), other.names.get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns the names that lead from this path to {@code descendant}.
   *
   * @throws IllegalArgumentException if {@code descendant} is not {@linkplain #contains contained}
   */
  public List<String> relativize(StoragePath descendant) {
    if (!contains(descendant)) {
      throw new IllegalArgumentException("'" + descendant + "' is not under '" + this + "'");
    }
    return descendant.names.subList(names.size(), descendant.names.size());
  }

  private boolean same(String a, String b) {
    return isWindows() ? fold(a).equals(fold(b)) : a.equals(b);
  }

  private static String fold(String s) {
    return s.toUpperCase(Locale.ROOT);
  }

  /** Returns the path without a trailing separator: {@code \\nas01\mail\Users}. */
  @Override
  public String toString() {
    String sep = isWindows() ? "\\" : "/";
    StringBuilder b = new StringBuilder(root);
    if (kind == Kind.DRIVE || kind == Kind.POSIX) {
      b.append(sep);
      b.append(String.join(sep, names));
    } else {
      for (String n : names) {
        b.append(sep).append(n);
      }
    }
    return b.toString();
  }

  /**
   * Returns the path with one trailing separator, as MDaemon writes folders: {@code
   * \\nas01\mail\Users\}.
   */
  public String toDirectoryString() {
    String s = toString();
    String sep = isWindows() ? "\\" : "/";
    return s.endsWith(sep) ? s : s + sep;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof StoragePath other) || kind != other.kind) {
      return false;
    }
    return other.names.size() == names.size() && contains(other);
  }

  @Override
  public int hashCode() {
    int h = kind.hashCode();
    h = h * 31 + (isWindows() ? fold(root) : root).hashCode();
    for (String n : names) {
      h = h * 31 + (isWindows() ? fold(n) : n).hashCode();
    }
    return h;
  }
}
