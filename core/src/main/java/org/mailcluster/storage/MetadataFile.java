package org.mailcluster.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.TreeMap;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;

/**
 * The {@code metadata.bin} file: the store's small named values (such as the highest epoch seen).
 * It is read once, on first use, and held in memory; every write replaces the whole file atomically
 * (forced unless the policy is {@link FsyncPolicy#NONE}) and only then updates the values held, so
 * the memory never runs ahead of the disk: after a failed write both hold the old values.
 */
final class MetadataFile {
  static final String FILE_NAME = "metadata.bin";

  private final Path file;
  private final FsyncPolicy fsync;

  /** What the file holds, or {@code null} until it is first read. */
  private TreeMap<String, String> values;

  MetadataFile(Path dir, FsyncPolicy fsync) {
    this.file = dir.resolve(FILE_NAME);
    this.fsync = fsync;
  }

  Optional<String> read(String name) {
    return Optional.ofNullable(values().get(name));
  }

  void write(String name, String value) {
    TreeMap<String, String> next = new TreeMap<>(values());
    next.put(name, value);
    try {
      byte[] bytes = Codec.metadata(next);
      AtomicFiles.replace(file, out -> out.write(bytes), fsync != FsyncPolicy.NONE);
    } catch (IOException e) {
      throw StorageFailure.of(
          "cannot write metadata '" + name + "' to " + file + "; the old values are in place",
          "check free space and permissions, then retry",
          e);
    }
    values = next;
  }

  private TreeMap<String, String> values() {
    if (values == null) {
      try {
        values = Codec.readMetadata(Files.readAllBytes(file));
      } catch (NoSuchFileException e) {
        values = new TreeMap<>();
      } catch (IOException e) {
        throw StorageFailure.of(
            "cannot read metadata file " + file, "check the disk and its permissions", e);
      } catch (Codec.CorruptException e) {
        throw new ClusterException(
            ErrorCode.CORRUPT_DATA,
            "metadata file "
                + file
                + " is corrupt ("
                + e.getMessage()
                + "): resync this node from the primary (move the state directory away and"
                + " restart)",
            e);
      }
    }
    return values;
  }
}
