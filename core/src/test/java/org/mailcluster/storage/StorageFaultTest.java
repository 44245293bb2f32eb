package org.mailcluster.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.mailcluster.storage.StoreFixtures.open;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.StateStore;

/**
 * I/O failures the tests can cause without privileges: a directory standing where the store creates
 * or replaces a file, a segment path that leads to {@code /dev/full}, a state directory that is a
 * file, and (when not running as root, which ignores permission bits) a read-only directory. The
 * short write of a full disk is exercised in {@link CrashDurabilityTest} under a file-size limit.
 */
class StorageFaultTest {
  @TempDir Path tmp;

  /** Puts a non-empty directory where the store wants a file, so creating or renaming fails. */
  private static Path obstruct(Path p) throws IOException {
    Files.createDirectories(p);
    Files.writeString(p.resolve("in-the-way"), "x");
    return p;
  }

  private static void clear(Path p) throws IOException {
    Files.delete(p.resolve("in-the-way"));
    Files.delete(p);
  }

  @Test
  void aFailedAppendAppendsNothingAndTheNextOneWorksOnceTheFaultClears() throws IOException {
    StoreFixtures.History h = new StoreFixtures.History();
    for (int i = 0; i < 4; i++) {
      h.next("setting/fault/k" + i, "v" + i);
    }
    try (FileStateStore s =
        FileStateStore.builder(tmp).fsyncPolicy(FsyncPolicy.GROUP).segmentBytes(64).build()) {
      s.recover();
      s.append(h.entries.subList(0, 1));
      // Entry 2 gets a new segment; entry 3's segment cannot be created.
      Path blocker = obstruct(tmp.resolve(Segment.fileName(0, h.entries.get(2).revision())));
      ClusterException e =
          assertThrows(ClusterException.class, () -> s.append(h.entries.subList(1, 3)));
      assertEquals(ErrorCode.STORAGE_FAILURE, e.code());
      assertTrue(e.getMessage().contains("none of them was stored"), e.getMessage());
      assertTrue(e.getMessage().contains("check free space and permissions"), e.getMessage());
      assertEquals(h.entries.get(0).revision(), s.lastRevision());
      assertEquals(Optional.of(h.entries.subList(0, 1)), s.entriesAfter(Revision.INITIAL));
      assertFalse(Files.exists(tmp.resolve(Segment.fileName(0, h.entries.get(1).revision()))));
      clear(blocker);
      s.append(h.entries.subList(1, 4));
    }
    try (FileStateStore s = open(tmp)) {
      StateStore.Recovered r = s.recover();
      assertEquals(h.entries, r.entries());
      assertEquals(List.of(), r.repairs());
    }
  }

  @Test
  void aFullDiskFailsTheAppendWithStorageFailure() throws IOException {
    Path full = Path.of("/dev/full");
    assumeTrue(Files.isWritable(full), "/dev/full is not available here");
    StoreFixtures.History h = new StoreFixtures.History();
    for (int i = 0; i < 3; i++) {
      h.next("setting/full/k" + i, "v" + i);
    }
    try (FileStateStore s = FileStateStore.builder(tmp).segmentBytes(64).build()) {
      s.recover();
      s.append(h.entries.subList(0, 1));
      Files.createSymbolicLink(tmp.resolve(Segment.fileName(0, h.entries.get(1).revision())), full);
      ClusterException e =
          assertThrows(ClusterException.class, () -> s.append(h.entries.subList(1, 3)));
      assertEquals(ErrorCode.STORAGE_FAILURE, e.code());
      assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
      assertEquals(h.entries.get(0).revision(), s.lastRevision());
      // The store removed the half-made segment (here: the link), so the fault is gone.
      s.append(h.entries.subList(1, 3));
    }
    try (FileStateStore s = open(tmp)) {
      assertEquals(h.entries, s.recover().entries());
    }
  }

  @Test
  void aFailedSnapshotLeavesThePreviousOneInPlace() throws IOException {
    StoreFixtures.History h = new StoreFixtures.History();
    for (int i = 0; i < 4; i++) {
      h.next("setting/snap/k" + i, "v" + i);
    }
    ConfigSnapshot first;
    try (FileStateStore s = open(tmp)) {
      s.recover();
      s.append(h.entries.subList(0, 2));
      first =
          new StateStore.Recovered(ConfigSnapshot.empty(), h.entries.subList(0, 2), List.of())
              .replay();
      s.saveSnapshot(first);
      s.append(h.entries.subList(2, 4));
      Path blocker = obstruct(tmp.resolve(Segment.snapshotFileName(0, h.last)));
      ClusterException e = assertThrows(ClusterException.class, () -> s.saveSnapshot(h.snapshot()));
      assertEquals(ErrorCode.STORAGE_FAILURE, e.code());
      assertTrue(e.getMessage().contains("previous snapshot is still in place"), e.getMessage());
      assertEquals(List.of(), StoreFixtures.list(tmp, "*.tmp"));
      clear(blocker);
    }
    try (FileStateStore s = open(tmp)) {
      StateStore.Recovered r = s.recover();
      assertEquals(first, r.snapshot());
      assertEquals(h.snapshot(), r.replay());
      s.saveSnapshot(h.snapshot());
    }
    try (FileStateStore s = open(tmp)) {
      assertEquals(h.snapshot(), s.recover().snapshot());
    }
  }

  @Test
  void aFailedMetadataWriteKeepsTheOldValues() throws IOException {
    try (FileStateStore s = open(tmp)) {
      s.writeMetadata("epoch.highest", "1");
    }
    Path meta = tmp.resolve(FileStateStore.METADATA_FILE);
    byte[] old = Files.readAllBytes(meta);
    Path blocker;
    try (FileStateStore s = open(tmp)) {
      assertEquals(Optional.of("1"), s.readMetadata("epoch.highest"));
      Files.delete(meta);
      blocker = obstruct(meta);
      ClusterException e =
          assertThrows(ClusterException.class, () -> s.writeMetadata("epoch.highest", "2"));
      assertEquals(ErrorCode.STORAGE_FAILURE, e.code());
      assertTrue(e.getMessage().contains("cannot write metadata 'epoch.highest'"), e.getMessage());
      assertEquals(Optional.of("1"), s.readMetadata("epoch.highest"));
    }
    clear(blocker);
    Files.write(meta, old);
    try (FileStateStore s = open(tmp)) {
      assertEquals(Optional.of("1"), s.readMetadata("epoch.highest"));
      s.writeMetadata("epoch.highest", "2");
      assertEquals(Optional.of("2"), s.readMetadata("epoch.highest"));
    }
  }

  @Test
  void aStateDirectoryThatIsAFileIsRefusedClearly() throws IOException {
    Path file = Files.writeString(tmp.resolve("state"), "not a directory");
    ClusterException e = assertThrows(ClusterException.class, () -> open(file));
    assertEquals(ErrorCode.STORAGE_FAILURE, e.code());
    assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
  }

  @Test
  void aReadOnlyStateDirectoryFailsAppendsUntilItIsWritableAgain() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("state"));
    StoreFixtures.History h = new StoreFixtures.History();
    for (int i = 0; i < 3; i++) {
      h.next("setting/ro/k" + i, "v" + i);
    }
    try (FileStateStore s = FileStateStore.builder(dir).segmentBytes(64).build()) {
      s.recover();
      s.append(h.entries.subList(0, 1));
      assertTrue(dir.toFile().setWritable(false));
      // Permission bits do not bind root; the immutable attribute does, and it is a real error
      // from the kernel all the same.
      boolean immutable = Files.isWritable(dir) && chattr("+i", dir) == 0;
      try {
        assertFalse(
            Files.isWritable(dir) && !immutable,
            "cannot make " + dir + " read-only: run as a normal user, or where chattr +i works");
        ClusterException e =
            assertThrows(ClusterException.class, () -> s.append(h.entries.subList(1, 3)));
        assertEquals(ErrorCode.STORAGE_FAILURE, e.code());
        assertEquals(h.entries.get(0).revision(), s.lastRevision());
      } finally {
        if (immutable) {
          assertEquals(0, chattr("-i", dir));
        }
        assertTrue(dir.toFile().setWritable(true));
      }
      s.append(h.entries.subList(1, 3));
    }
    try (FileStateStore s = open(dir)) {
      assertEquals(h.entries, s.recover().entries());
    }
  }

  /** Runs {@code chattr flag dir}; returns its exit status, or -1 where it cannot run. */
  private static int chattr(String flag, Path dir) {
    try {
      Process p =
          new ProcessBuilder("chattr", flag, dir.toString()).redirectErrorStream(true).start();
      p.getInputStream().transferTo(OutputStream.nullOutputStream());
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
