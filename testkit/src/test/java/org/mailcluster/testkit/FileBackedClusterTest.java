package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.storage.FileStateStore;
import org.mailcluster.storage.FsyncPolicy;

/** The engine on the production state store: what a secondary applied survives its restart. */
class FileBackedClusterTest {
  private final VirtualTime time = VirtualTime.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
  private final SimulatedNetwork network = SimulatedNetwork.create(time, 20261124);

  private ClusterService node(String id, Path dir, boolean primary) {
    Scheduler scheduler = time.scheduler(id);
    NodeAddress address = NodeAddress.of(id, 7400);
    var b =
        ClusterService.builder()
            .node(NodeId.of(id), address)
            .productVersion("23.5.2")
            .licenceKey("key-" + id)
            .transport(network.transport(NodeId.of(id), address))
            .stateStore(FileStateStore.builder(dir).fsyncPolicy(FsyncPolicy.GROUP).build())
            .scheduler(scheduler)
            .random(new SplittableRandom(7))
            .snapshotInterval(3)
            .resolver(a -> java.util.List.of(java.net.InetAddress.getLoopbackAddress()));
    ClusterService n = (primary ? b.primary() : b.secondaryOf(NodeAddress.of("mx1", 7400))).build();
    n.start();
    return n;
  }

  private <T> T await(CompletableFuture<T> f) {
    assertTrue(time.runUntil(f::isDone, Duration.ofMinutes(1)), "future did not complete");
    return f.join();
  }

  @Test
  void aRestartedSecondaryResumesFromItsFilesWithoutASnapshot(@TempDir Path tmp) {
    SettingKey key = SettingKey.plugin("antispam", "threshold");
    ClusterService primary = node("mx1", tmp.resolve("mx1"), true);
    await(primary.addServer(NodeId.of("mx2"), NodeAddress.of("mx2", 7400)));
    ClusterService mx2 = node("mx2", tmp.resolve("mx2"), false);
    await(mx2.awaitSynchronized());
    Revision r = await(primary.update(ConfigUpdate.builder("api:test").setRaw(key, "7").build()));
    time.runFor(Duration.ofSeconds(3));
    assertEquals(r, mx2.configuration().revision());
    await(mx2.closeAsync());

    await(primary.update(ConfigUpdate.builder("api:test").setRaw(key, "8").build()));
    ClusterService again = node("mx2", tmp.resolve("mx2"), false);
    time.runNext(); // only the start task: recovery, before any message from the primary
    assertEquals(r, again.configuration().revision(), "recovered from its own files");
    await(again.awaitSynchronized());
    time.runFor(Duration.ofSeconds(3));
    assertEquals(Optional.of("8"), again.configuration().get(key.stateKey()));
    assertTrue(primary.configuration().sameContentAs(again.configuration()));
    assertEquals(java.util.List.of(), time.failures());
  }

  @Test
  void historySurvivesARestartOnTheFileStoreAcrossSnapshotsAndCompaction(@TempDir Path tmp) {
    SettingKey key = SettingKey.plugin("antispam", "threshold");
    ClusterService primary = node("mx1", tmp.resolve("mx1"), true);
    Revision first = null;
    for (int i = 0; i < 10; i++) {
      Revision r =
          await(primary.update(ConfigUpdate.builder("api:t" + i).setRaw(key, "" + i).build()));
      first = first == null ? r : first;
    }
    java.util.List<org.mailcluster.spi.LogEntry> before = primary.history();
    await(primary.closeAsync());

    ClusterService again = node("mx1", tmp.resolve("mx1"), true);
    time.runNext();
    assertEquals(before, again.history().subList(0, before.size()));
    assertEquals(Optional.of("0"), again.configurationAt(first).get(key.stateKey()));
    assertEquals(
        Optional.of("9"),
        again.diff(first, before.get(before.size() - 1).revision()).changes().get(0).newValue());
    assertEquals(java.util.List.of(), time.failures());
  }
}
