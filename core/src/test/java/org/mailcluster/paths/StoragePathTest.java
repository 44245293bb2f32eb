package org.mailcluster.paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StoragePathTest {

  @Test
  void parsesTheThreeKindsAndPrintsThemCanonically() {
    StoragePath drive = StoragePath.parse("c:/MDaemon//Users/".replace("//", "/"));
    assertEquals(StoragePath.Kind.DRIVE, drive.kind());
    assertEquals("C:\\MDaemon\\Users", drive.toString());
    assertEquals("C:\\MDaemon\\Users\\", drive.toDirectoryString());

    StoragePath unc = StoragePath.parse("\\\\nas01\\mail\\Users\\");
    assertEquals(StoragePath.Kind.UNC, unc.kind());
    assertEquals("\\\\nas01\\mail", unc.root());
    assertEquals(List.of("Users"), unc.names());
    assertEquals("\\\\nas01\\mail\\Users", unc.toString());

    assertEquals(unc, StoragePath.parse("\\\\?\\UNC\\NAS01\\MAIL\\users"));
    assertEquals(drive, StoragePath.parse("\\\\?\\C:\\mdaemon\\users"));

    StoragePath posix = StoragePath.parse("/mnt/mail/./Users/../Users/");
    assertEquals(StoragePath.Kind.POSIX, posix.kind());
    assertEquals("/mnt/mail/Users", posix.toString());
    assertEquals("/", StoragePath.parse("/").toString());
    assertEquals("C:\\", StoragePath.parse("C:\\").toString());
  }

  @Test
  void refusesWhatCannotBeMeantWithAMessageThatSaysWhatToWrite() {
    assertRefused("", "empty path");
    assertRefused("MDaemon\\Users", "is relative");
    assertRefused("C:MDaemon", "relative to the current folder of drive C");
    assertRefused("\\\\.\\PhysicalDrive0", "device path");
    assertRefused("//./COM1", "device path");
    assertRefused("\\\\nas01", "names no server and share");
    assertRefused("\\\\nas01\\\\x", "names no share");
    assertRefused("C:\\MDaemon\\\\Users", "empty component");
    assertRefused("C:\\..\\Windows", "'..' to go above its root");
    assertRefused("\\\\nas01\\mail\\..\\..\\other", "'..' to go above its root");
    assertRefused("C:\\Mail<1>", "character Windows forbids");
    assertRefused("C:\\Mail|x", "character Windows forbids");
    assertRefused("C:\\Mail\u0001", "control character 1");
    assertRefused("C:\\MDaemon\\NUL.txt", "reserved device name");
    assertRefused("C:\\MDaemon\\Users.", "ending in a dot or a space");
    assertRefused("/mnt/a//b", "empty component");
  }

  @Test
  void resolveWithinRefusesEscapingTheSharedRoot() {
    StoragePath root = StoragePath.parse("\\\\nas01\\mail");
    assertEquals(StoragePath.parse("\\\\nas01\\mail\\PEM"), root.resolveWithin("Users\\..\\PEM\\"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> root.resolveWithin("..\\other"));
    assertTrue(e.getMessage().contains("above the shared root"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> root.resolveWithin("C:\\x"));
    assertThrows(IllegalArgumentException.class, () -> root.resolveWithin("\\x"));
    // resolve may go up, but not above the root of the share.
    assertEquals(StoragePath.parse("\\\\nas01\\mail\\x"), root.resolveWithin("a").resolve("..\\x"));
  }

  @Test
  void containsComparesWindowsPathsIgnoringCase() {
    StoragePath root = StoragePath.parse("\\\\NAS01\\Mail");
    assertTrue(root.contains(StoragePath.parse("//nas01/mail/users/x")));
    assertFalse(root.contains(StoragePath.parse("\\\\nas01\\mailbox")));
    assertFalse(root.contains(StoragePath.parse("C:\\Mail")));
    assertEquals(List.of("users", "x"), root.relativize(StoragePath.parse("//nas01/mail/users/x")));
    assertFalse(StoragePath.parse("/mnt/Mail").contains(StoragePath.parse("/mnt/mail/x")));
  }

  @Test
  void mappingTranslatesThroughTheLongestEntry() {
    StoragePath share = StoragePath.parse("\\\\nas01\\mail");
    PathMapping mapping =
        PathMapping.builder()
            .map(share, Path.of("/mnt/mail"))
            .map(share.resolveWithin("PEM"), Path.of("/secure/pem"))
            .build();
    assertEquals(
        Optional.of(Path.of("/mnt/mail/Users/a")),
        mapping.toLocal(StoragePath.parse("\\\\NAS01\\MAIL\\Users\\a")));
    assertEquals(
        Optional.of(Path.of("/secure/pem/key.pem")),
        mapping.toLocal(StoragePath.parse("\\\\nas01\\mail\\pem\\key.pem")));
    assertEquals(Optional.empty(), mapping.toLocal(StoragePath.parse("C:\\MDaemon")));
    assertEquals(Optional.of(Path.of("/srv/x")), mapping.toLocal(StoragePath.parse("/srv/x")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> mapping.toLocalOrThrow(StoragePath.parse("\\\\other\\share")));
    assertTrue(e.getMessage().contains("map its share"), e.getMessage());
    assertThrows(
        IllegalStateException.class,
        () ->
            PathMapping.builder()
                .map(share, Path.of("/a"))
                .map(StoragePath.parse("//NAS01/MAIL"), Path.of("/b")));
  }

  @Test
  void sharedStorageRefusesAPathOutsideItsRoot() {
    StoragePath root = StoragePath.parse("\\\\nas01\\mail");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SharedStorage.builder(root).path(StoragePath.parse("C:\\MDaemon")).build());
    assertTrue(e.getMessage().contains("not under the shared root"), e.getMessage());
    SharedStorage s = SharedStorage.builder(root).path(root.resolveWithin("Users")).build();
    assertEquals(List.of(root, root.resolveWithin("Users")), s.paths());
  }

  private static void assertRefused(String text, String why) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> StoragePath.parse(text), text);
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }
}
