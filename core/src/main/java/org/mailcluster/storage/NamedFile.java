package org.mailcluster.storage;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.mailcluster.config.Revision;

/**
 * A snapshot or log segment file as its name describes it, {@code
 * <prefix><generation>-<epoch>-<sequence><suffix>}: the generation it belongs to and its revision
 * (a snapshot's, or a segment's first entry's). Names sort in {@link #ORDER}, oldest first.
 */
record NamedFile(Path path, long generation, Revision revision) {
  static final Comparator<NamedFile> ORDER =
      Comparator.comparingLong(NamedFile::generation).thenComparing(NamedFile::revision);

  String name() {
    return path.getFileName().toString();
  }

  /** Lists the files in {@code dir} whose names parse with {@code prefix} and {@code suffix}. */
  static List<NamedFile> list(Path dir, String prefix, String suffix) throws IOException {
    List<NamedFile> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*" + suffix)) {
      for (Path p : files) {
        Segment.parseName(p.getFileName().toString(), prefix, suffix)
            .ifPresent(n -> out.add(new NamedFile(p, n[0], Revision.of(n[1], n[2]))));
      }
    }
    return out;
  }
}
