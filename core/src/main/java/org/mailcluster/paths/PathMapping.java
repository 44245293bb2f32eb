package org.mailcluster.paths;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How one node reaches configured paths on its own file system: a Linux node may see {@code
 * \\nas01\mail} mounted at {@code /mnt/mail}, a Windows node reaches it as it is. Each entry maps a
 * configured path (usually a UNC root) to a local directory; a path is translated through the
 * longest entry that {@linkplain StoragePath#contains contains} it. Without a matching entry, a
 * POSIX path is taken as it is on this machine and any other path has no local form.
 *
 * <pre>{@code
 * PathMapping mapping = PathMapping.builder()
 *     .map(StoragePath.parse("\\\\nas01\\mail"), Path.of("/mnt/mail"))
 *     .build();
 * mapping.toLocal(StoragePath.parse("\\\\NAS01\\Mail\\Users")); // Optional[/mnt/mail/Users]
 * }</pre>
 */
public final class PathMapping {
  private static final PathMapping NONE = new PathMapping(Map.of());

  private final Map<StoragePath, Path> entries;
  private final List<StoragePath> longestFirst;

  private PathMapping(Map<StoragePath, Path> entries) {
    this.entries = Map.copyOf(entries);
    List<StoragePath> order = new ArrayList<>(entries.keySet());
    order.sort(Comparator.comparingInt((StoragePath p) -> p.names().size()).reversed());
    this.longestFirst = List.copyOf(order);
  }

  /** Returns a mapping without entries: POSIX paths map to themselves, others to nothing. */
  public static PathMapping none() {
    return NONE;
  }

  /** Returns a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the entries, configured path to local directory. */
  public Map<StoragePath, Path> entries() {
    return entries;
  }

  /** Returns where {@code path} is on this node's file system, if this node can reach it. */
  public Optional<Path> toLocal(StoragePath path) {
    requireNonNull(path, "path");
    for (StoragePath prefix : longestFirst) {
      if (prefix.contains(path)) {
        Path local = entries.get(prefix);
        for (String name : prefix.relativize(path)) {
          local = local.resolve(name);
        }
        return Optional.of(local);
      }
    }
    if (path.kind() == StoragePath.Kind.POSIX) {
      return Optional.of(Path.of(path.toString()));
    }
    return Optional.empty();
  }

  /**
   * Returns where {@code path} is on this node's file system.
   *
   * @throws IllegalArgumentException if no entry maps it, naming the entry to add
   */
  public Path toLocalOrThrow(StoragePath path) {
    return toLocal(path)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "this node has no local form of '"
                        + path
                        + "': map its share to a local directory (PathMapping.builder().map(...))"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PathMapping other && entries.equals(other.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return "PathMapping" + entries;
  }

  /** Builds a {@link PathMapping}; each configured path may be mapped once. */
  public static final class Builder {
    private final Map<StoragePath, Path> entries = new LinkedHashMap<>();

    private Builder() {}

    /** Maps {@code configured} (and everything below it) to the local directory {@code local}. */
    public Builder map(StoragePath configured, Path local) {
      requireNonNull(configured, "configured");
      requireNonNull(local, "local");
      if (entries.containsKey(configured)) {
        throw new IllegalStateException(
            "'" + configured + "' is already mapped to " + entries.get(configured));
      }
      entries.put(configured, local);
      return this;
    }

    /** Builds the mapping. */
    public PathMapping build() {
      return new PathMapping(entries);
    }
  }
}
