package org.mailcluster.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.ini.IniDocument;
import org.mailcluster.ini.IniSyntaxException;

/** Reading INI files for the commands, with errors an operator can act on. */
final class IniFiles {
  private IniFiles() {}

  static IniDocument read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new InputException("no such file: " + file, "check the path", e);
    } catch (IOException e) {
      throw new InputException(
          "cannot read " + file + ": " + e.getMessage(), "check the file's permissions", e);
    }
    try {
      return IniDocument.parse(bytes);
    } catch (IniSyntaxException e) {
      throw new InputException(
          file + ": " + e.getMessage(), "is this the right file? it must be a text INI file", e);
    }
  }

  /**
   * Maps a document to state keys under {@code fileName}, as the cluster does ({@link
   * IniConfigSource#entriesOf}). Names are then spelled as in {@code spelling} when it has the same
   * name in another letter case, so that two files that differ only in the case of a name compare
   * equal, as Windows reads them.
   */
  static ConfigSnapshot toSnapshot(String fileName, IniDocument doc, Map<String, String> spelling) {
    TreeMap<String, String> entries = new TreeMap<>();
    IniConfigSource.entriesOf(fileName, doc)
        .forEach(
            (key, value) ->
                entries.put(
                    spelling.computeIfAbsent(key.toLowerCase(Locale.ROOT), k -> key), value));
    return ConfigSnapshot.of(entries);
  }

  static Map<String, String> newSpelling() {
    return new HashMap<>();
  }
}
