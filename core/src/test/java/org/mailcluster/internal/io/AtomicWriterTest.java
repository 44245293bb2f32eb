package org.mailcluster.internal.io;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AtomicWriterTest {
  @TempDir Path dir;

  private List<String> names() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private void assumePosix() {
    assumeTrue(
        dir.getFileSystem().supportedFileAttributeViews().contains("posix"),
        "checks POSIX permissions");
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void replacesTheContentAndLeavesNoTemporaryFile(boolean durable) throws IOException {
    Path target = dir.resolve("state.bin");
    Files.writeString(target, "old content that is longer than the new one");
    AtomicWriter writer = AtomicWriter.of(durable);
    assertEquals(durable, writer.isDurable());

    writer.write(target, "new".getBytes(UTF_8));
    assertEquals("new", Files.readString(target));
    writer.write(target, out -> out.write("streamed".getBytes(UTF_8)));
    assertEquals("streamed", Files.readString(target));
    assertEquals(List.of("state.bin"), names());
  }

  @Test
  void createsAMissingTargetAndReplacesALeftoverTemporaryFile() throws IOException {
    Path target = dir.resolve("divergence.json");
    AtomicWriter writer = AtomicWriter.durable();
    Files.writeString(writer.temporaryFile(target), "torn leftover of a crash");

    writer.write(target, "{}".getBytes(UTF_8));
    assertEquals("{}", Files.readString(target));
    assertEquals(List.of("divergence.json"), names());
  }

  @Test
  void writesTheTemporaryFileBesideTheTargetUnderItsSuffix() throws IOException {
    Path target = dir.resolve("mail.msg");
    AtomicWriter writer = AtomicWriter.durable().withTempSuffix(".part");
    assertEquals(dir.resolve("mail.msg.part"), writer.temporaryFile(target));
    assertEquals(dir.resolve("mail.msg.tmp"), AtomicWriter.durable().temporaryFile(target));
    List<List<String>> during = new ArrayList<>();
    writer.write(
        target,
        out -> {
          out.write(1);
          during.add(names());
        });
    assertEquals(List.of(List.of("mail.msg.part")), during);
    assertEquals(List.of("mail.msg"), names());
  }

  @Test
  void aTargetThatCannotBeReplacedKeepsItsContentAndNoTemporaryFileStays() throws IOException {
    // A non-empty directory where the file should be: renaming over it fails, also for root.
    Path target = Files.createDirectories(dir.resolve("metadata.bin"));
    Files.writeString(target.resolve("in-the-way"), "x");

    AtomicWriteException e =
        assertThrows(
            AtomicWriteException.class,
            () -> AtomicWriter.durable().write(target, "new".getBytes(UTF_8)));
    assertEquals(AtomicWriteException.Step.RENAME, e.step());
    assertTrue(e.getMessage().contains("metadata.bin.tmp over " + target), e.getMessage());
    assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
    assertEquals("x", Files.readString(target.resolve("in-the-way")));
    assertEquals(List.of("metadata.bin"), names());
  }

  @Test
  void aTemporaryFileThatCannotBeCreatedFailsBeforeAnythingIsWritten() throws IOException {
    Path target = Files.writeString(dir.resolve("key.pem"), "old");
    AtomicWriter writer = AtomicWriter.durable();
    Path blocker = Files.createDirectories(writer.temporaryFile(target));
    Files.writeString(blocker.resolve("in-the-way"), "x");
    boolean[] called = {false};

    AtomicWriteException e =
        assertThrows(
            AtomicWriteException.class, () -> writer.write(target, out -> called[0] = true));
    assertEquals(AtomicWriteException.Step.CREATE, e.step());
    assertTrue(e.getMessage().contains("cannot create the temporary file"), e.getMessage());
    assertFalse(called[0], "the content is not asked for");
    assertEquals("old", Files.readString(target));
  }

  @Test
  void whatTheContentThrowsReachesTheCallerUnchangedAndNothingIsReplaced() throws IOException {
    Path target = Files.writeString(dir.resolve("copy.eml"), "old");
    IOException ioFailure = new IOException("the source share went away");
    IOException thrown =
        assertThrows(
            IOException.class,
            () ->
                AtomicWriter.durable()
                    .write(
                        target,
                        out -> {
                          out.write("half".getBytes(UTF_8));
                          throw ioFailure;
                        }));
    assertSame(ioFailure, thrown);
    UncheckedIOException runtime = new UncheckedIOException(ioFailure);
    assertSame(
        runtime,
        assertThrows(
            UncheckedIOException.class,
            () ->
                AtomicWriter.notDurable()
                    .write(
                        target,
                        out -> {
                          throw runtime;
                        })));
    assertEquals("old", Files.readString(target));
    assertEquals(List.of("copy.eml"), names());
  }

  @Test
  void anOwnerOnlyFileIsOwnerOnlyFromItsCreation() throws IOException {
    assumePosix();
    Path target = dir.resolve("node-key.pem");
    // Replaces a key someone left readable by all.
    Files.writeString(target, "old");
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-rw-rw-"));
    AtomicWriter writer =
        AtomicWriter.durable().withPermissions(AtomicWriter.Permissions.OWNER_ONLY);
    List<String> modes = new ArrayList<>();

    writer.write(
        target,
        out -> {
          // Before a byte of the secret is written: the file as the writer created it.
          modes.add(mode(writer.temporaryFile(target)));
          out.write("-----BEGIN PRIVATE KEY-----".getBytes(UTF_8));
        });
    assertEquals(List.of("rw-------"), modes);
    assertEquals("rw-------", mode(target));
    assertEquals("-----BEGIN PRIVATE KEY-----", Files.readString(target));

    Path fresh = dir.resolve("ca-key.pem");
    writer.write(fresh, "k".getBytes(UTF_8));
    assertEquals("rw-------", mode(fresh));
  }

  @Test
  void otherFilesGetTheDefaultModeOfANewFile() throws IOException {
    assumePosix();
    String defaultMode = mode(Files.createFile(dir.resolve("made-by-the-platform")));
    Path target = dir.resolve("ca.pem");
    List<String> modes = new ArrayList<>();
    AtomicWriter writer = AtomicWriter.durable();
    assertEquals(AtomicWriter.Permissions.DEFAULT, writer.permissions());

    writer.write(target, out -> modes.add(mode(writer.temporaryFile(target))));
    assertEquals(List.of(defaultMode), modes);
    assertEquals(defaultMode, mode(target));
    // A replaced owner-only file does not hand its mode on: the new file is new.
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
    writer.write(target, "c".getBytes(UTF_8));
    assertEquals(defaultMode, mode(target));
  }

  @ParameterizedTest
  @ValueSource(strings = {"rw-r-----", "rw-rw-rw-", "r--------"})
  void aFileCanKeepThePermissionsOfTheOneItReplaces(String permissions) throws IOException {
    assumePosix();
    Path target = Files.writeString(dir.resolve("MDaemon.ini"), "[Old]\r\n");
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(permissions));
    AtomicWriter writer =
        AtomicWriter.durable().withPermissions(AtomicWriter.Permissions.SAME_AS_REPLACED);
    List<String> modes = new ArrayList<>();

    writer.write(
        target,
        out -> {
          modes.add(mode(writer.temporaryFile(target)));
          out.write("[New]\r\n".getBytes(UTF_8));
        });
    assertEquals(List.of(permissions), modes);
    assertEquals(permissions, mode(target));
    assertEquals("[New]\r\n", Files.readString(target));

    String defaultMode = mode(Files.createFile(dir.resolve("made-by-the-platform")));
    Path fresh = dir.resolve("Fresh.ini");
    writer.write(fresh, new byte[0]);
    assertEquals(defaultMode, mode(fresh));
  }

  @Test
  void callerMistakesAreRefusedWithTheBadValue() {
    AtomicWriter writer = AtomicWriter.durable();
    IllegalArgumentException suffix =
        assertThrows(IllegalArgumentException.class, () -> writer.withTempSuffix("/x"));
    assertTrue(suffix.getMessage().contains("'/x'"), suffix.getMessage());
    assertThrows(IllegalArgumentException.class, () -> writer.withTempSuffix(""));
    Path root = dir.getRoot();
    IllegalArgumentException noName =
        assertThrows(IllegalArgumentException.class, () -> writer.write(root, new byte[0]));
    assertTrue(noName.getMessage().contains("'" + root + "'"), noName.getMessage());
    assertThrows(NullPointerException.class, () -> writer.write(null, new byte[0]));
    assertThrows(NullPointerException.class, () -> writer.write(dir.resolve("x"), (byte[]) null));
    assertThrows(NullPointerException.class, () -> writer.withPermissions(null));
  }

  @Test
  void syncingADirectoryThatCannotBeOpenedIsNotAFailure() throws IOException {
    AtomicWriter.syncDirectory(dir);
    AtomicWriter.syncDirectory(dir.resolve("does-not-exist"));
    assertEquals(List.of(), names());
  }
}
