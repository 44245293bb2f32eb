package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.Diagnostics;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.spi.StateStore;
import org.mailcluster.storage.FileStateStore;
import org.mailcluster.storage.FsyncPolicy;

/**
 * Disk faults under a running two-node cluster on the production file store: a state directory that
 * becomes read-only, and an fsync that fails, first on the primary, then on the secondary. Each
 * time the commit or the apply fails with a clear {@code STORAGE_FAILURE} error in the node's
 * diagnostics, nothing acknowledged is lost, nothing unacknowledged appears, and once the fault
 * clears the node commits (or catches up) again without a restart; the files then load without a
 * repair.
 *
 * <p>How the faults are made: a read-only directory is {@code chmod 555} where permission bits are
 * enforced, and the immutable attribute ({@code chattr +i}) where they are not (root), so it is a
 * real I/O error from the kernel either way; with neither available the test fails and says so. A
 * failing fsync cannot be provoked without privileges, so a thin {@link StateStore} around the file
 * store fails each write as the file store does when {@code force()} throws: {@code
 * STORAGE_FAILURE}, nothing of the call stored (core's {@code StorageFaultTest} drives that path of
 * the file store with real I/O errors).
 */
class DiskFaultTest {
  private static final SettingKey KEY = SettingKey.plugin("disk", "value");

  private final VirtualTime time = VirtualTime.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
  private final SimulatedNetwork network = SimulatedNetwork.create(time, 20261125);
  @TempDir Path tmp;
  private Runnable cleanup = () -> {};

  @AfterEach
  void clearFaults() {
    cleanup.run();
  }

  /** A fault on one node's state directory. */
  private interface DiskFault {
    void inject() throws IOException;

    void clear() throws IOException;
  }

  /** A store that fails every write while {@code failing}, as a file store whose fsync fails. */
  private static final class FsyncFailingStore implements StateStore {
    private final FileStateStore delegate;
    volatile boolean failing;
    int refused;

    FsyncFailingStore(FileStateStore delegate) {
      this.delegate = delegate;
    }

    private void check(String what) {
      if (failing) {
        refused++;
        throw new ClusterException(
            ErrorCode.STORAGE_FAILURE,
            "cannot "
                + what
                + " in "
                + delegate.directory()
                + ": fsync failed (Input/output error); none of it was stored: check the disk,"
                + " then retry");
      }
    }

    @Override
    public Recovered recover() {
      return delegate.recover();
    }

    @Override
    public void append(List<LogEntry> entries) {
      check("append " + entries.size() + " log entries");
      delegate.append(entries);
    }

    @Override
    public Revision lastRevision() {
      return delegate.lastRevision();
    }

    @Override
    public Optional<List<LogEntry>> entriesAfter(Revision from) {
      return delegate.entriesAfter(from);
    }

    @Override
    public void saveSnapshot(ConfigSnapshot snapshot) {
      check("save a snapshot");
      delegate.saveSnapshot(snapshot);
    }

    @Override
    public void resetTo(ConfigSnapshot snapshot) {
      check("reset to a snapshot");
      delegate.resetTo(snapshot);
    }

    @Override
    public Optional<String> readMetadata(String name) {
      return delegate.readMetadata(name);
    }

    @Override
    public void writeMetadata(String name, String value) {
      check("write metadata " + name);
      delegate.writeMetadata(name, value);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  private static FileStateStore fileStore(Path dir) {
    // Small segments: every commit starts a new segment file, so a read-only directory bites at
    // once rather than when the current segment is full.
    return FileStateStore.builder(dir).fsyncPolicy(FsyncPolicy.GROUP).segmentBytes(64).build();
  }

  private ClusterService node(String id, StateStore store, boolean primary) {
    NodeAddress address = NodeAddress.of(id, 7400);
    var b =
        ClusterService.builder()
            .node(NodeId.of(id), address)
            .productVersion("23.5.2")
            .licenceKey("key-" + id)
            .transport(network.transport(NodeId.of(id), address))
            .stateStore(store)
            .scheduler(time.scheduler(id))
            .random(new SplittableRandom(11))
            .snapshotInterval(3)
            .resolver(a -> List.of(java.net.InetAddress.getLoopbackAddress()));
    ClusterService n = (primary ? b.primary() : b.secondaryOf(NodeAddress.of("mx1", 7400))).build();
    n.start();
    return n;
  }

  private <T> T await(CompletableFuture<T> f) {
    assertTrue(time.runUntil(f::isDone, Duration.ofMinutes(1)), "future did not complete");
    return f.join();
  }

  private static ConfigUpdate set(String value) {
    return ConfigUpdate.builder("api:test").setRaw(KEY, value).build();
  }

  private static Optional<String> value(ClusterService node) {
    return node.configuration().get(KEY.stateKey());
  }

  private static List<String> errors(ClusterService node) {
    return node.diagnostics().recentEvents().stream()
        .filter(e -> e.level().equals("ERROR"))
        .map(Diagnostics.Event::message)
        .toList();
  }

  // ---- read-only directories -------------------------------------------------------------

  /** Makes {@code dir} refuse new files: by permission bits, or as root by the immutable flag. */
  private DiskFault readOnly(Path dir) {
    return new DiskFault() {
      boolean immutable;

      @Override
      public void inject() throws IOException {
        Set<PosixFilePermission> before = Files.getPosixFilePermissions(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        cleanup = () -> restore(dir, before);
        if (refusesNewFiles(dir)) {
          System.out.println("disk faults: " + dir + " made read-only by chmod 555");
          return;
        }
        Files.setPosixFilePermissions(dir, before);
        int status = chattr("+i", dir);
        immutable = status == 0;
        cleanup = () -> restore(dir, before);
        if (!immutable || !refusesNewFiles(dir)) {
          fail(
              "cannot make "
                  + dir
                  + " read-only here: permission bits are not enforced (running as root) and"
                  + " chattr +i failed with status "
                  + status
                  + "; run the tests as a normal user, or where chattr +i is allowed");
        }
        System.out.println(
            "disk faults: " + dir + " made read-only by chattr +i (permission bits not enforced)");
      }

      @Override
      public void clear() {
        cleanup.run();
        cleanup = () -> {};
      }

      private void restore(Path d, Set<PosixFilePermission> perms) {
        if (immutable) {
          chattr("-i", d);
          immutable = false;
        }
        try {
          Files.setPosixFilePermissions(d, perms);
        } catch (IOException e) {
          throw new IllegalStateException("could not restore " + d, e);
        }
      }
    };
  }

  private static boolean refusesNewFiles(Path dir) {
    Path probe = dir.resolve("probe");
    try {
      Files.createFile(probe);
      Files.delete(probe);
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static int chattr(String flag, Path dir) {
    try {
      Process p =
          new ProcessBuilder("chattr", flag, dir.toString()).redirectErrorStream(true).start();
      p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1; // no chattr here
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  @Test
  void aReadOnlyStateDirectoryOnThePrimaryFailsCommitsClearlyUntilItIsWritableAgain() {
    Path dir = tmp.resolve("mx1");
    onThePrimary(fileStore(dir), readOnly(dir), dir, tmp.resolve("mx2"));
  }

  @Test
  void aReadOnlyStateDirectoryOnASecondaryStopsItsApplyingUntilItIsWritableAgain() {
    Path dir = tmp.resolve("mx2");
    onTheSecondary(fileStore(dir), readOnly(dir), tmp.resolve("mx1"), dir);
  }

  @Test
  void aFailingFsyncOnThePrimaryFailsCommitsClearlyUntilItWorksAgain() {
    Path dir = tmp.resolve("mx1");
    FsyncFailingStore store = new FsyncFailingStore(fileStore(dir));
    onThePrimary(store, fsync(store), dir, tmp.resolve("mx2"));
    assertTrue(store.refused > 0);
  }

  @Test
  void aFailingFsyncOnASecondaryStopsItsApplyingUntilItWorksAgain() {
    Path dir = tmp.resolve("mx2");
    FsyncFailingStore store = new FsyncFailingStore(fileStore(dir));
    onTheSecondary(store, fsync(store), tmp.resolve("mx1"), dir);
    assertTrue(store.refused > 0);
  }

  private static DiskFault fsync(FsyncFailingStore store) {
    return new DiskFault() {
      @Override
      public void inject() {
        store.failing = true;
      }

      @Override
      public void clear() {
        store.failing = false;
      }
    };
  }

  // ---- scenarios -------------------------------------------------------------------------

  private void onThePrimary(StateStore store, DiskFault fault, Path dir1, Path dir2) {
    ClusterService mx1 = node("mx1", store, true);
    await(mx1.addServer(NodeId.of("mx2"), NodeAddress.of("mx2", 7400)));
    ClusterService mx2 = node("mx2", fileStore(dir2), false);
    await(mx2.awaitSynchronized());
    Revision acked = await(mx1.update(set("before")));

    inject(fault);
    int failed = 0;
    for (int i = 0; i < 5; i++) {
      CompletableFuture<Revision> during = mx1.update(set("during" + i));
      time.runUntil(during::isDone, Duration.ofMinutes(1));
      ClusterException e = failure(during);
      assertEquals(ErrorCode.STORAGE_FAILURE, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("retry"), "says what to do: " + e.getMessage());
      failed++;
    }
    time.runFor(Duration.ofSeconds(3));
    assertEquals(Optional.of("before"), value(mx1), "a failed commit is not visible");
    assertEquals(Optional.of("before"), value(mx2), "a failed commit is not replicated");
    assertEquals(acked, mx1.configuration().revision());
    assertTrue(
        errors(mx1).stream().anyMatch(m -> m.contains("commit failed, nothing was applied")),
        "no error in the diagnostics: " + mx1.diagnostics().recentEvents());

    clear(fault);
    Revision after = await(mx1.update(set("after")));
    assertTrue(after.compareTo(acked) > 0);
    time.runFor(Duration.ofSeconds(3));
    assertEquals(Optional.of("after"), value(mx2));
    assertTrue(mx1.configuration().sameContentAs(mx2.configuration()));

    closeAndReload(List.of(mx1, mx2), List.of(dir1, dir2), after, "after");
    System.out.printf(
        "disk faults: primary %s: %d commits refused with STORAGE_FAILURE, none visible or"
            + " replicated; committed again once cleared; files reload without repair%n",
        dir1, failed);
  }

  private void onTheSecondary(StateStore store, DiskFault fault, Path dir1, Path dir2) {
    ClusterService mx1 = node("mx1", fileStore(dir1), true);
    await(mx1.addServer(NodeId.of("mx2"), NodeAddress.of("mx2", 7400)));
    ClusterService mx2 = node("mx2", store, false);
    await(mx2.awaitSynchronized());
    await(mx1.update(set("before")));
    time.runFor(Duration.ofSeconds(3));
    assertEquals(Optional.of("before"), value(mx2));
    Revision applied = mx2.configuration().revision();

    inject(fault);
    Revision during = await(mx1.update(set("during")));
    time.runFor(Duration.ofSeconds(10));
    // What mx2 could not store it does not show: it still serves what it had.
    assertEquals(Optional.of("before"), value(mx2));
    assertEquals(applied, mx2.configuration().revision());
    assertTrue(
        errors(mx2).stream()
            .anyMatch(
                m -> m.contains("could not apply what the primary sent (nothing was applied)")),
        "no error in the diagnostics: " + mx2.diagnostics().recentEvents());

    clear(fault);
    Revision last = await(mx1.update(set("after")));
    assertTrue(
        time.runUntil(() -> mx2.configuration().revision().equals(last), Duration.ofMinutes(2)),
        "mx2 did not catch up once its disk worked again: " + mx2.diagnostics().recentEvents());
    assertTrue(last.compareTo(during) > 0);
    assertTrue(mx1.configuration().sameContentAs(mx2.configuration()));
    closeAndReload(List.of(mx1, mx2), List.of(dir1, dir2), last, "after");
    System.out.printf(
        "disk faults: secondary %s: nothing applied while its disk failed (%d errors reported),"
            + " caught up once cleared; files reload without repair%n",
        dir2, errors(mx2).size());
  }

  /** Closes the nodes, then reads each state directory back: no repair, the last commit there. */
  private void closeAndReload(
      List<ClusterService> nodes, List<Path> dirs, Revision last, String expected) {
    for (ClusterService n : nodes) {
      await(n.closeAsync());
    }
    for (Path dir : dirs) {
      try (FileStateStore reopened = FileStateStore.builder(dir).build()) {
        StateStore.Recovered r = reopened.recover();
        assertEquals(List.of(), r.repairs(), dir + " needed repairs");
        ConfigSnapshot state = r.replay();
        assertEquals(last, state.revision(), dir.toString());
        assertEquals(Optional.of(expected), state.get(KEY.stateKey()), dir.toString());
      }
    }
    assertEquals(List.of(), time.failures());
  }

  private static ClusterException failure(CompletableFuture<?> f) {
    assertTrue(f.isCompletedExceptionally(), "completed although the disk failed: " + f);
    try {
      f.join();
      throw new AssertionError("unreachable");
    } catch (CompletionException e) {
      return (ClusterException) e.getCause();
    }
  }

  private static void inject(DiskFault fault) {
    try {
      fault.inject();
    } catch (IOException e) {
      throw new IllegalStateException("could not inject the fault", e);
    }
  }

  private static void clear(DiskFault fault) {
    try {
      fault.clear();
    } catch (IOException e) {
      throw new IllegalStateException("could not clear the fault", e);
    }
  }
}
