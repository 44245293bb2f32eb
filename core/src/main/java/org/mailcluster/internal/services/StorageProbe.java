package org.mailcluster.internal.services;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.internal.io.AtomicWriteException;
import org.mailcluster.internal.io.AtomicWriter;
import org.mailcluster.paths.PreflightCheck;
import org.mailcluster.paths.SharedStorage;
import org.mailcluster.paths.StoragePath;

/**
 * The file operations of the shared-storage preflight. Each is one small, bounded step on one file,
 * done on the node's thread: a probe is a few bytes, and a share that hangs shows up as a slow
 * preflight rather than a lost one.
 */
final class StorageProbe {
  private StorageProbe() {}

  static String probeName(String node) {
    return ".mailcluster-probe-" + node;
  }

  /**
   * Writes {@code token} to {@code file} in {@code path} (as a temporary file forced to the disk
   * and renamed into place), locks it and checks free space, adding one check per step.
   *
   * @return whether the probe is in place for other nodes to read
   */
  static boolean writeAndCheck(
      String node,
      SharedStorage storage,
      StoragePath path,
      String file,
      String token,
      List<PreflightCheck> checks) {
    String p = path.toString();
    Optional<Path> mapped = storage.mapping().toLocal(path);
    if (mapped.isEmpty()) {
      checks.add(
          new PreflightCheck(
              node,
              p,
              "mapped",
              false,
              "no local form: map its share to a local directory in this node's PathMapping"));
      return false;
    }
    Path dir = mapped.get();
    checks.add(new PreflightCheck(node, p, "mapped", true, dir.toString()));
    if (!Files.isDirectory(dir)) {
      checks.add(
          new PreflightCheck(
              node, p, "create", false, dir + " is not a directory this node can reach"));
      return false;
    }
    Path target = dir.resolve(file);
    AtomicWriter writer = AtomicWriter.durable();
    AtomicWriteException failure = null;
    try {
      writer.write(target, token.getBytes(StandardCharsets.US_ASCII));
    } catch (AtomicWriteException e) {
      failure = e;
    } catch (IOException | RuntimeException e) {
      checks.add(new PreflightCheck(node, p, "create", false, describe(e)));
      return false;
    }
    // One check per step of the atomic write, in order, up to the one that failed (the writer
    // then removed its temporary file).
    for (AtomicWriteException.Step step : AtomicWriteException.Step.values()) {
      String name =
          switch (step) {
            case CREATE -> "create";
            case WRITE -> "write";
            case RENAME -> "rename";
          };
      if (failure != null && step == failure.step()) {
        checks.add(new PreflightCheck(node, p, name, false, describe(cause(failure))));
        return false;
      }
      String detail =
          switch (step) {
            case CREATE -> writer.temporaryFile(target).toString();
            case WRITE -> token.length() + " bytes";
            case RENAME -> target.toString();
          };
      checks.add(new PreflightCheck(node, p, name, true, detail));
    }
    try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE);
        FileLock lock = ch.tryLock()) {
      checks.add(
          new PreflightCheck(
              node,
              p,
              "lock",
              lock != null,
              lock != null ? "exclusive lock taken" : "another process holds a lock on it"));
    } catch (IOException | RuntimeException e) {
      checks.add(new PreflightCheck(node, p, "lock", false, describe(e)));
    }
    try {
      long free = Files.getFileStore(dir).getUsableSpace();
      boolean enough = free >= storage.minFreeBytes();
      checks.add(
          new PreflightCheck(
              node,
              p,
              "free-space",
              enough,
              free
                  + " bytes free, "
                  + storage.minFreeBytes()
                  + " needed"
                  + (enough ? "" : ": free space or choose a larger share")));
    } catch (IOException | RuntimeException e) {
      checks.add(new PreflightCheck(node, p, "free-space", false, describe(e)));
    }
    return true;
  }

  /** Reads a probe through this node's mapping, for the node that wrote it. */
  static String read(String node, SharedStorage storage, StoragePath path, String file) {
    Path dir =
        storage
            .mapping()
            .toLocal(path)
            .orElseThrow(
                () ->
                    new ClusterException(
                        ErrorCode.UNAVAILABLE,
                        node + " has no local form of " + path + ": map its share on " + node));
    Path probe = dir.resolve(file);
    try {
      // The probe itself, never what a link in its place points to.
      if (!Files.isRegularFile(probe, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw new NoSuchFileException(probe.toString());
      }
      return Files.readString(probe, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE,
          node
              + " finds no "
              + probe
              + ": its mapping of "
              + path
              + " does not reach the same storage; fix the mount or the mapping on "
              + node);
    } catch (IOException e) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE, node + " cannot read " + probe + ": " + describe(e));
    }
  }

  static void delete(
      String node, SharedStorage storage, StoragePath path, String file, List<PreflightCheck> out) {
    Path target = storage.mapping().toLocalOrThrow(path).resolve(file);
    try {
      Files.delete(target);
      out.add(new PreflightCheck(node, path.toString(), "delete", true, target.toString()));
    } catch (IOException | RuntimeException e) {
      out.add(new PreflightCheck(node, path.toString(), "delete", false, describe(e)));
    }
  }

  private static Exception cause(AtomicWriteException e) {
    return e.getCause() instanceof Exception c ? c : e;
  }

  private static String describe(Exception e) {
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
