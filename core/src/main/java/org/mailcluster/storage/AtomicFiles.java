package org.mailcluster.storage;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mailcluster.internal.io.AtomicWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state store's use of {@link AtomicWriter}, which replaces snapshots and metadata so that a
 * crash cannot tear them, and the clean-up of what an interrupted replacement leaves behind.
 *
 * <p>Invariant: in a state directory only a replacement in progress creates files ending in {@link
 * #TEMP_SUFFIX}, so whatever carries it when a store opens (and holds the directory's lock) is the
 * leftover of a write that a crash interrupted, and is deleted.
 */
final class AtomicFiles {
  /** Suffix of temporary files; whatever carries it is a leftover of an interrupted write. */
  static final String TEMP_SUFFIX = AtomicWriter.TEMP_SUFFIX;

  private static final Logger log = LoggerFactory.getLogger("mailcluster.storage");

  private AtomicFiles() {}

  /**
   * Replaces {@code target} with what {@code content} writes; with {@code sync} false nothing is
   * forced (see {@link AtomicWriter}).
   *
   * @throws IOException if any step fails; the target then still holds its old content and the
   *     temporary file is removed as far as possible
   */
  static void replace(Path target, AtomicWriter.Content content, boolean sync) throws IOException {
    AtomicWriter.of(sync).write(target, content);
  }

  /** Forces a directory's entries to the disk, as far as the platform allows. */
  static void fsyncDirectory(Path dir) {
    AtomicWriter.syncDirectory(dir);
  }

  /** Deletes leftovers of interrupted replacements in {@code dir} and returns their names. */
  static List<String> deleteTemporaries(Path dir) throws IOException {
    List<String> deleted = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + TEMP_SUFFIX)) {
      for (Path p : files) {
        if (Files.isRegularFile(p)) {
          Files.delete(p);
          deleted.add(p.getFileName().toString());
        }
      }
    }
    return deleted;
  }

  static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      log.debug("could not delete {}: {}", p, e.toString());
    }
  }
}
