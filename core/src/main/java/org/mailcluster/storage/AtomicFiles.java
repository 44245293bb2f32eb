package org.mailcluster.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole-file replacement that a crash cannot tear: write a temporary file in the same directory,
 * force it to the disk, rename it over the target in one atomic step, then force the directory so
 * the rename itself survives a power failure. A reader finds the old content or the new one, never
 * a mix. Every file this project replaces (snapshots, metadata, later the host's INI files) goes
 * through here, so the sequence is written and reviewed once.
 */
final class AtomicFiles {
  /** Suffix of temporary files; whatever carries it is a leftover of an interrupted write. */
  static final String TEMP_SUFFIX = ".tmp";

  private static final Logger log = LoggerFactory.getLogger("mailcluster.storage");

  private AtomicFiles() {}

  /** Writes a file's content to a stream; the stream is closed by the caller. */
  @FunctionalInterface
  interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Replaces {@code target} with {@code content}. With {@code sync} false nothing is forced (the
   * rename is still atomic for a process crash, not for a power failure).
   *
   * @throws IOException if any step fails; the target then still holds its old content and the
   *     temporary file is removed as far as possible
   */
  static void replace(Path target, Content content, boolean sync) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
    try {
      Files.deleteIfExists(temp);
      try (FileChannel ch =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(ch);
        content.writeTo(out);
        out.flush();
        if (sync) {
          ch.force(true);
        }
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(temp);
      throw e;
    }
    if (sync) {
      fsyncDirectory(dir);
    }
  }

  /**
   * Forces a directory's entries (created, renamed, deleted files) to the disk. Some platforms
   * (Windows) refuse to open a directory as a channel; there the rename is as durable as the file
   * system makes it, and we say so at debug level rather than fail every write.
   */
  static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      log.debug(
          "cannot fsync directory {} on this platform ({}); relying on the file system",
          dir,
          e.toString());
    }
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
