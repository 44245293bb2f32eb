package org.mailcluster.paths;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The shared network storage a node must reach (requirements R5, R12 and R27 in
 * docs/REQUIREMENTS.md): the shared root every node names the same way, how this node reaches it on
 * its own file system, the folders to check, and the free space they need.
 *
 * <pre>{@code
 * StoragePath root = StoragePath.parse("\\\\nas01\\mail");
 * SharedStorage storage = SharedStorage.builder(root)
 *     .mapping(PathMapping.builder().map(root, Path.of("/mnt/mail")).build())
 *     .path(root.resolveWithin("Users"))
 *     .minFreeBytes(10L << 30)
 *     .build();
 * }</pre>
 *
 * @param root the shared root, as every node's configuration names it
 * @param mapping how this node reaches configured paths locally
 * @param paths the paths to check, the root first
 * @param minFreeBytes the free space each path needs
 */
public record SharedStorage(
    StoragePath root, PathMapping mapping, List<StoragePath> paths, long minFreeBytes) {
  /** Checks the parts: every path lies under the root, and the root is checked first. */
  public SharedStorage {
    requireNonNull(root, "root");
    requireNonNull(mapping, "mapping");
    LinkedHashSet<StoragePath> all = new LinkedHashSet<>();
    all.add(root);
    for (StoragePath p : paths) {
      if (!root.contains(p)) {
        throw new IllegalArgumentException(
            "'" + p + "' is not under the shared root '" + root + "': place it under the root");
      }
      all.add(p);
    }
    paths = List.copyOf(all);
    if (minFreeBytes < 0) {
      throw new IllegalArgumentException("minFreeBytes must not be negative, not " + minFreeBytes);
    }
  }

  /** Returns a builder for storage under {@code root}. */
  public static Builder builder(StoragePath root) {
    return new Builder(requireNonNull(root, "root"));
  }

  /** Builds {@link SharedStorage}. */
  public static final class Builder {
    private final StoragePath root;
    private PathMapping mapping = PathMapping.none();
    private final List<StoragePath> paths = new ArrayList<>();
    private long minFreeBytes;

    private Builder(StoragePath root) {
      this.root = root;
    }

    /** Sets how this node reaches the root; by default POSIX paths are taken as they are. */
    public Builder mapping(PathMapping value) {
      this.mapping = requireNonNull(value, "mapping");
      return this;
    }

    /** Adds a folder under the root to check. */
    public Builder path(StoragePath value) {
      paths.add(requireNonNull(value, "path"));
      return this;
    }

    /** Sets the free space each path needs (default 0). */
    public Builder minFreeBytes(long value) {
      this.minFreeBytes = value;
      return this;
    }

    /** Builds the value. */
    public SharedStorage build() {
      return new SharedStorage(root, mapping, paths, minFreeBytes);
    }
  }
}
