package org.mailcluster.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state directory holds every replicated value, private keys included: whatever mode it had,
 * once a store is open on it nobody but its owner may enter it.
 */
class OwnerOnlyStateTest {
  @TempDir Path tmp;

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @BeforeEach
  void posixPermissions() {
    assumeTrue(
        Files.getFileAttributeView(tmp, PosixFileAttributeView.class) != null,
        "the file system has no POSIX permissions");
  }

  @Test
  void aNewStateDirectoryIsOwnerOnly() throws IOException {
    Path dir = tmp.resolve("state");
    try (FileStateStore s = StoreFixtures.open(dir)) {
      s.recover();
    }
    assertEquals("rwx------", mode(dir));
  }

  @Test
  void aWorldReadableStateDirectoryIsTightened() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("state"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (FileStateStore s = StoreFixtures.open(dir)) {
      s.recover();
    }
    assertEquals("rwx------", mode(dir));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    try (FileStateStore s = StoreFixtures.open(dir)) {
      s.recover();
    }
    assertEquals("rwx------", mode(dir), "a directory widened again is tightened again");
  }
}
