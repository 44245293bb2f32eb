package org.mailcluster.ini.relocate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.mailcluster.ini.MailServerProfile.SharedFolder;
import org.mailcluster.paths.PathMapping;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.testing.PropertyRuns;

/**
 * A content move interrupted at a random byte (once or twice, mid-file or between files) and then
 * resumed by a new mover ends with a target byte-identical to the source, with no temporary file
 * left. Each of the 60 tries builds a random tree from its {@code treeSeed}, which a failure
 * reports with the run's seed.
 */
class ContentMoverProperties {
  private static final StoragePath FROM = StoragePath.parse("C:\\MDaemon\\Users");
  private static final StoragePath TO = StoragePath.parse("\\\\nas01\\mail\\Users");

  /** Thrown by the listener to stop the copy, as a crash or a pulled cable would. */
  static final class Interruption extends RuntimeException {
    Interruption(long at) {
      super("interrupted after " + at + " bytes");
    }
  }

  @Test
  void anInterruptedMoveResumedEndsByteIdentical() {
    int[] interruptions = new int[3];
    PropertyRuns.check(
        60,
        theory ->
            theory
                .forAll(longs().all(), integers().between(0, 1000), integers().between(0, 1000))
                .checkAssert(
                    (treeSeed, first, second) -> {
                      try {
                        interruptions[moveOnce(treeSeed, first, second)]++;
                      } catch (IOException e) {
                        throw new UncheckedIOException(e);
                      }
                    }));
    System.out.println(
        "ContentMoverProperties: moves interrupted 0, 1, 2 times: "
            + java.util.Arrays.toString(interruptions));
    assertTrue(interruptions[2] > 0, "no move was interrupted twice");
  }

  /** Moves a random tree, interrupted at two points; returns how many interruptions there were. */
  private static int moveOnce(long treeSeed, int firstStopPermille, int secondStopPermille)
      throws IOException {
    Path tmp = Files.createTempDirectory("mover");
    try {
      Path source = tmp.resolve("MDaemon/Users");
      long total = randomTree(source, new SplittableRandom(treeSeed));
      PathMapping mapping =
          PathMapping.builder()
              .map(StoragePath.parse("C:\\MDaemon"), tmp.resolve("MDaemon"))
              .map(StoragePath.parse("\\\\nas01\\mail"), tmp.resolve("nas"))
              .build();
      Path journal = tmp.resolve("move.journal");
      List<RelocationPlan.Move> moves =
          List.of(new RelocationPlan.Move(SharedFolder.MAILBOX_ROOT, FROM, TO));

      int interruptions = 0;
      for (int stop : new int[] {firstStopPermille, secondStopPermille}) {
        long at = total * stop / 1000;
        ContentMover interrupted =
            ContentMover.builder(mapping, journal)
                .sync(false)
                .listener(
                    new ContentMover.Listener() {
                      @Override
                      public void bytesWritten(long written) {
                        if (written >= at) {
                          throw new Interruption(at);
                        }
                      }
                    })
                .build();
        try {
          interrupted.copyAndVerify(moves);
        } catch (Interruption expected) {
          interruptions++;
        }
      }

      ContentMover.Report report =
          ContentMover.builder(mapping, journal).sync(false).build().copyAndVerify(moves);
      Path target = tmp.resolve("nas/Users");
      assertSameTree(source, target);
      ContentMover.Report.Folder f = report.folders().get(0);
      assertEquals(total, f.bytes());
      try (Stream<Path> s = Files.walk(target)) {
        assertTrue(s.noneMatch(p -> p.toString().endsWith(".mailcluster-part")));
      }
      return interruptions;
    } finally {
      deleteTree(tmp);
    }
  }

  static long randomTree(Path root, SplittableRandom r) throws IOException {
    Files.createDirectories(root);
    long total = 0;
    int files = 1 + r.nextInt(12);
    for (int i = 0; i < files; i++) {
      Path dir = root;
      int depth = r.nextInt(3);
      for (int d = 0; d < depth; d++) {
        dir = dir.resolve("d" + r.nextInt(3));
      }
      Files.createDirectories(dir);
      byte[] content = new byte[r.nextInt(4) == 0 ? 0 : r.nextInt(200_000)];
      for (int k = 0; k < content.length; k++) {
        content[k] = (byte) r.nextInt(256);
      }
      Path file = dir.resolve("f" + i + ".msg");
      Files.write(file, content);
      total += content.length;
    }
    if (r.nextBoolean()) {
      Files.createDirectories(root.resolve("empty/inner"));
    }
    return total;
  }

  static void assertSameTree(Path source, Path target) throws IOException {
    List<Path> expected;
    try (Stream<Path> s = Files.walk(source)) {
      expected = s.map(source::relativize).sorted().toList();
    }
    List<Path> actual;
    try (Stream<Path> s = Files.walk(target)) {
      actual = s.map(target::relativize).sorted().toList();
    }
    assertEquals(expected, actual);
    for (Path rel : expected) {
      Path a = source.resolve(rel);
      if (Files.isRegularFile(a)) {
        assertArrayEquals(
            Files.readAllBytes(a), Files.readAllBytes(target.resolve(rel)), rel.toString());
      }
    }
  }

  static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
