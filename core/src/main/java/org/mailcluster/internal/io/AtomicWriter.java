package org.mailcluster.internal.io;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces a whole file so that a crash cannot tear it: the one implementation of that sequence in
 * this project. Every file that is replaced rather than appended to (the state store's snapshots
 * and metadata, divergence files, certificate and key files, INI files, relocated mail files, the
 * shared-storage probe) is written here.
 *
 * <p>The sequence, for a target {@code dir/name}:
 *
 * <ol>
 *   <li>delete {@code dir/name<suffix>} if it exists: with a deterministic name, that file can only
 *       be the leftover of a write that a crash interrupted;
 *   <li>create it anew ({@code CREATE_NEW}) with the {@linkplain Permissions permissions} asked
 *       for, given to the file system as a creation attribute on POSIX systems, so that an
 *       owner-only file is never readable by others, not even for an instant;
 *   <li>write the content, and, if {@linkplain #isDurable() durable}, force it to the disk;
 *   <li>rename it over the target in one atomic step ({@code ATOMIC_MOVE}, replacing the target);
 *   <li>if durable, force the directory so that the rename itself survives a power failure.
 * </ol>
 *
 * A reader of the target finds the old content or the new one, never a mix. Without durability the
 * rename is still atomic for a process crash, but a power failure may lose the new content (the old
 * one may then be lost too, on file systems that reorder the rename before the data).
 *
 * <p><b>Failures.</b> Every method reports a failure with an {@link IOException} and leaves the
 * target as it was; the temporary file is removed as far as the file system allows. A failure of
 * one of the writer's own steps is an {@link AtomicWriteException} that names the step and keeps
 * the file system's exception as its cause; an exception thrown by a {@link Content} propagates
 * unchanged. Callers translate to their own domain failure ({@code ClusterException} with {@code
 * STORAGE_FAILURE}, a preflight check, …) with the context only they know. A failure to force the
 * directory is not one: some platforms (Windows) cannot open a directory, and there the rename is
 * as durable as the file system makes it; it is logged at debug level.
 *
 * <p>The target's directory must exist. Two writes of the same target at the same time are not
 * supported (they share the temporary file). Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * AtomicWriter.durable()
 *     .withPermissions(AtomicWriter.Permissions.OWNER_ONLY)
 *     .write(dir.resolve("node-key.pem"), keyPem.getBytes(StandardCharsets.US_ASCII));
 * AtomicWriter.of(fsync != FsyncPolicy.NONE).write(snapshotFile, out -> codec.write(out, state));
 * }</pre>
 */
public final class AtomicWriter {
  /** The default suffix of the temporary file: {@code <target name>.tmp}, beside the target. */
  public static final String TEMP_SUFFIX = ".tmp";

  private static final Logger log = LoggerFactory.getLogger("mailcluster.storage");
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<OpenOption> CREATE_NEW =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  /** Who may read and write the file that replaces the target. */
  public enum Permissions {
    /** What the platform gives a new file (on POSIX: {@code rw-rw-rw-} less the umask). */
    DEFAULT,
    /**
     * Only the owner may read and write ({@code rw-------}) from the file's creation on. Where the
     * file system has no POSIX permissions (Windows), the directory's access rules decide, so keep
     * such a directory private.
     */
    OWNER_ONLY,
    /**
     * The permissions of the file being replaced, from the temporary file's creation on; {@link
     * #DEFAULT} when there is no file yet or no POSIX permissions.
     */
    SAME_AS_REPLACED
  }

  /** Writes a file's content to a stream; the writer flushes and closes the stream. */
  @FunctionalInterface
  public interface Content {
    /**
     * Writes the whole content.
     *
     * @throws IOException to abandon the write; it reaches the writer's caller unchanged
     */
    void writeTo(OutputStream out) throws IOException;
  }

  private final boolean durable;
  private final Permissions permissions;
  private final String tempSuffix;

  private AtomicWriter(boolean durable, Permissions permissions, String tempSuffix) {
    this.durable = durable;
    this.permissions = permissions;
    this.tempSuffix = tempSuffix;
  }

  /** A writer that forces the file and its directory: the new content survives a power failure. */
  public static AtomicWriter durable() {
    return of(true);
  }

  /** A writer that forces nothing: atomic for a process crash, not for a power failure. */
  public static AtomicWriter notDurable() {
    return of(false);
  }

  /**
   * A {@linkplain #durable() durable} or {@linkplain #notDurable() not durable} writer, with {@link
   * Permissions#DEFAULT} permissions and the temporary suffix {@value #TEMP_SUFFIX}.
   */
  public static AtomicWriter of(boolean durable) {
    return new AtomicWriter(durable, Permissions.DEFAULT, TEMP_SUFFIX);
  }

  /** Returns a writer like this one that gives the new file {@code value} permissions. */
  public AtomicWriter withPermissions(Permissions value) {
    return new AtomicWriter(durable, requireNonNull(value, "permissions"), tempSuffix);
  }

  /**
   * Returns a writer like this one whose temporary file is {@code <target name><suffix>}: for a
   * directory where names ending in {@value #TEMP_SUFFIX} may be someone's real files.
   *
   * @throws IllegalArgumentException if {@code suffix} is empty or holds a path separator
   */
  public AtomicWriter withTempSuffix(String suffix) {
    requireNonNull(suffix, "suffix");
    if (suffix.isEmpty() || suffix.contains("/") || suffix.contains("\\")) {
      throw new IllegalArgumentException(
          "a temporary file suffix must be a non-empty file name part but was '" + suffix + "'");
    }
    return new AtomicWriter(durable, permissions, suffix);
  }

  /** Whether the file and its directory are forced to the disk. */
  public boolean isDurable() {
    return durable;
  }

  /** Returns the permissions the new file gets. */
  public Permissions permissions() {
    return permissions;
  }

  /** Returns the temporary file a write of {@code target} uses, beside it. */
  public Path temporaryFile(Path target) {
    requireNonNull(target, "target");
    return target.resolveSibling(fileName(target) + tempSuffix);
  }

  /**
   * Replaces {@code target} with {@code content}.
   *
   * @throws AtomicWriteException if a step fails; the target keeps its old content
   */
  public void write(Path target, byte[] content) throws IOException {
    requireNonNull(content, "content");
    replace(
        target,
        channel -> {
          ByteBuffer buffer = ByteBuffer.wrap(content);
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
        },
        false);
  }

  /**
   * Replaces {@code target} with what {@code content} writes.
   *
   * @throws AtomicWriteException if a step of the writer fails; the target keeps its old content
   * @throws IOException as thrown by {@code content}; the target keeps its old content
   */
  public void write(Path target, Content content) throws IOException {
    requireNonNull(content, "content");
    replace(
        target,
        channel -> {
          OutputStream out = Channels.newOutputStream(channel);
          content.writeTo(out);
          out.flush();
        },
        true);
  }

  private interface Body {
    void writeTo(FileChannel channel) throws IOException;
  }

  /**
   * The sequence. With {@code bodyIsTheCallers}, an {@link IOException} that {@code body} throws is
   * the caller's and propagates unchanged; otherwise it is the writer's own.
   */
  private void replace(Path target, Body body, boolean bodyIsTheCallers) throws IOException {
    requireNonNull(target, "target");
    Path temp = temporaryFile(target);
    Path dir = temp.toAbsolutePath().getParent();
    boolean renamed = false;
    try {
      boolean written = false;
      try (FileChannel channel = create(target, temp)) {
        body.writeTo(channel);
        written = true;
        if (durable) {
          channel.force(true);
        }
      } catch (AtomicWriteException e) {
        throw e;
      } catch (IOException e) {
        if (bodyIsTheCallers && !written) {
          throw e;
        }
        throw new AtomicWriteException(
            AtomicWriteException.Step.WRITE,
            "cannot write" + (durable ? " and force " : " ") + "the temporary file " + temp,
            e);
      }
      try {
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new AtomicWriteException(
            AtomicWriteException.Step.RENAME, "cannot rename " + temp + " over " + target, e);
      }
      renamed = true;
    } finally {
      if (!renamed) {
        deleteQuietly(temp);
      }
    }
    if (durable) {
      syncDirectory(dir);
    }
  }

  /** Creates the temporary file with the permissions asked for and opens it for writing. */
  private FileChannel create(Path target, Path temp) throws AtomicWriteException {
    try {
      Files.deleteIfExists(temp);
      Set<PosixFilePermission> wanted = posixPermissions(target, temp);
      if (wanted == null) {
        return FileChannel.open(temp, CREATE_NEW);
      }
      FileChannel channel =
          FileChannel.open(temp, CREATE_NEW, PosixFilePermissions.asFileAttribute(wanted));
      try {
        // The umask can only take permissions away; give back those it took, never more.
        if (!Files.getPosixFilePermissions(temp).equals(wanted)) {
          Files.setPosixFilePermissions(temp, wanted);
        }
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      return channel;
    } catch (IOException e) {
      throw new AtomicWriteException(
          AtomicWriteException.Step.CREATE, "cannot create the temporary file " + temp, e);
    }
  }

  /** The permissions to create the temporary file with, or {@code null} for the default. */
  private Set<PosixFilePermission> posixPermissions(Path target, Path temp) throws IOException {
    if (permissions == Permissions.DEFAULT
        || !temp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return null;
    }
    if (permissions == Permissions.OWNER_ONLY) {
      return OWNER_ONLY;
    }
    try {
      return Files.getPosixFilePermissions(target);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /**
   * Forces a directory's entries (created, renamed, deleted files) to the disk. Some platforms
   * (Windows) refuse to open a directory as a channel; there the rename is as durable as the file
   * system makes it, and this says so at debug level rather than fail.
   */
  public static void syncDirectory(Path dir) {
    requireNonNull(dir, "dir");
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      log.debug(
          "cannot fsync directory {} on this platform ({}); relying on the file system",
          dir,
          e.toString());
    }
  }

  private static String fileName(Path target) {
    Path name = target.getFileName();
    if (name == null) {
      throw new IllegalArgumentException(
          "the target of an atomic write must name a file but was '" + target + "'");
    }
    return name.toString();
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      log.debug("could not delete {}: {}", p, e.toString());
    }
  }

  @Override
  public String toString() {
    return "AtomicWriter{"
        + (durable ? "durable" : "not durable")
        + ", "
        + permissions
        + ", temp *"
        + tempSuffix
        + "}";
  }
}
