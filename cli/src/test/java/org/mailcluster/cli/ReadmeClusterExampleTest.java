package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterService;
import org.mailcluster.ClusterServiceBuilder;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.storage.FileStateStore;
import org.mailcluster.testkit.SimulatedNetwork;
import org.mailcluster.testkit.VirtualTime;
import org.mailcluster.transport.ClusterTransport;

/**
 * The README's embedding example, run for real: two nodes, each with its own INI directory and
 * state directory, over the simulated network on virtual time. Keep the two in step.
 */
class ReadmeClusterExampleTest {
  private static final Charset CP1252 = Charset.forName("windows-1252");
  private final VirtualTime time = VirtualTime.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
  private final SimulatedNetwork network = SimulatedNetwork.create(time, 7);

  private static final NodeAddress PRIMARY = NodeAddress.parse("127.0.0.1:7401");
  private static final NodeAddress SECONDARY = NodeAddress.parse("127.0.0.1:7402");

  private ClusterService node(String id, Path home, boolean primary) {
    Scheduler scheduler = time.scheduler(id);
    NodeAddress listenAddress = primary ? PRIMARY : SECONDARY;
    NodeAddress primaryAddress = PRIMARY;
    ClusterTransport transport = network.transport(NodeId.of(id), listenAddress);
    SettingsRegistry registry = SettingsRegistry.create();
    String licenceKey = "licence-" + id;
    // --- README example starts ---
    ClusterServiceBuilder builder =
        ClusterService.builder()
            .node(NodeId.of(id), listenAddress)
            .productVersion("23.5.2")
            .licenceKey(licenceKey) // only its SHA-256 fingerprint is kept and sent
            .registry(registry)
            .configSource(
                IniConfigSource.builder(home.resolve("App")) // the directory of MDaemon.ini
                    .scheduler(scheduler)
                    .build())
            .stateStore(FileStateStore.builder(home.resolve("Cluster")).build())
            .transport(transport)
            .scheduler(scheduler); // SystemScheduler.create(id) in production
    ClusterService cluster =
        primary ? builder.primary().build() : builder.secondaryOf(primaryAddress).build();
    cluster.start();
    // --- README example ends ---
    return cluster;
  }

  private <T> T await(CompletableFuture<T> f) {
    assertTrue(time.runUntil(f::isDone, Duration.ofMinutes(1)), "did not complete");
    return f.join();
  }

  @Test
  void twoNodesReplicateTheirIniFiles(@TempDir Path tmp) throws IOException {
    for (String id : List.of("mx1", "mx2")) {
      Files.createDirectories(tmp.resolve(id).resolve("App"));
    }
    Files.writeString(
        tmp.resolve("mx1/App/MDaemon.ini"),
        "[Directories]\r\nLockFiles=C:\\MDaemon\\LockFiles\\\r\n[Special]\r\nOrganization=Società\r\n",
        CP1252);
    ClusterService mx1 = node("mx1", tmp.resolve("mx1"), true);
    await(mx1.addServer(NodeId.of("mx2"), SECONDARY));
    ClusterService mx2 = node("mx2", tmp.resolve("mx2"), false);
    await(mx2.awaitSynchronized()); // keep mail queues frozen until this completes

    await(
        mx1.update(
            ConfigUpdate.builder("api:admin")
                .setRaw(
                    SettingKey.ini("MDaemon.ini", "Directories", "LockFiles"),
                    "\\\\nas01\\mail\\LockFiles\\")
                .build()));
    time.runUntil(
        () -> {
          try {
            return Files.readString(tmp.resolve("mx2/App/MDaemon.ini"), CP1252).contains("nas01");
          } catch (IOException e) {
            return false;
          }
        },
        Duration.ofSeconds(30));
    String onMx2 = Files.readString(tmp.resolve("mx2/App/MDaemon.ini"), CP1252);
    assertTrue(onMx2.contains("LockFiles=\\\\nas01\\mail\\LockFiles\\"), onMx2);
    assertTrue(onMx2.contains("Organization=Società"), onMx2);
    assertEquals(mx1.configuration().fingerprint(), mx2.configuration().fingerprint());
    await(mx2.closeAsync());
    await(mx1.closeAsync());
  }
}
