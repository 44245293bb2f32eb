package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.paths.PathMapping;
import org.mailcluster.paths.PreflightCheck;
import org.mailcluster.paths.PreflightReport;
import org.mailcluster.paths.SharedStorage;
import org.mailcluster.paths.StoragePath;

/**
 * The shared-storage preflight across a simulated cluster on real directories: mx1 and mx2 mount
 * the same share, mx3 mounts something else, and the report says so per node and per path.
 */
class SharedStoragePreflightTest {
  private static final StoragePath ROOT = StoragePath.parse("\\\\nas01\\mail");
  private static final StoragePath USERS = ROOT.resolveWithin("Users");

  @TempDir Path tmp;

  private SimulatedCluster cluster(Map<String, Path> mounts, long minFree) {
    return SimulatedCluster.builder()
        .nodes(3)
        .seed(7)
        .nodeOptions(
            (id, b) ->
                b.sharedStorage(
                    SharedStorage.builder(ROOT)
                        .mapping(PathMapping.builder().map(ROOT, mounts.get(id)).build())
                        .path(USERS)
                        .minFreeBytes(minFree)
                        .build()))
        .build();
  }

  @Test
  void aNodeThatMountsAnotherShareIsNamedPerPath() throws IOException {
    Path nas = Files.createDirectories(tmp.resolve("nas/Users"));
    Path elsewhere = Files.createDirectories(tmp.resolve("local-disk/Users"));
    try (SimulatedCluster cluster =
        cluster(
            Map.of("mx1", nas.getParent(), "mx2", nas.getParent(), "mx3", elsewhere.getParent()),
            0)) {
      cluster.start();
      cluster.awaitConverged(Duration.ofSeconds(30));
      PreflightReport report = cluster.await(cluster.primary().preflight(), Duration.ofSeconds(30));

      Map<String, Boolean> own = results(report, "mx1", "\\\\nas01\\mail\\Users");
      for (String check :
          List.of("mapped", "create", "write", "rename", "lock", "free-space", "delete")) {
        assertEquals(Boolean.TRUE, own.get(check), check + " on mx1: " + report.checks());
      }
      for (String path : List.of("\\\\nas01\\mail", "\\\\nas01\\mail\\Users")) {
        assertEquals(Boolean.TRUE, results(report, "mx2", path).get("read-probe-of-mx1"));
        assertEquals(Boolean.FALSE, results(report, "mx3", path).get("read-probe-of-mx1"));
      }
      PreflightCheck failure = report.failures().get(0);
      assertEquals("mx3", failure.node());
      assertTrue(failure.detail().contains("does not reach the same storage"), failure.detail());
      assertFalse(report.passed());
      // The probes are gone, and the failure is in diagnostics and the recent events.
      try (Stream<Path> left = Files.list(nas)) {
        assertEquals(List.of(), left.toList());
      }
      assertEquals(report, cluster.primary().diagnostics().preflight().orElseThrow());
      assertTrue(
          cluster.primary().diagnostics().recentEvents().stream()
              .anyMatch(
                  e -> e.message().contains("mx3 \\\\nas01\\mail read-probe-of-mx1: FAILED")));

      // Each secondary ran its own preflight when it joined: mx2's probe was seen by mx1.
      PreflightReport mx2 = cluster.node("mx2").diagnostics().preflight().orElseThrow();
      assertEquals(Boolean.TRUE, results(mx2, "mx1", "\\\\nas01\\mail").get("read-probe-of-mx2"));
    }
  }

  @Test
  void tooLittleFreeSpaceAndAMissingFolderFail() throws IOException {
    Path nas = Files.createDirectories(tmp.resolve("nas"));
    try (SimulatedCluster cluster =
        cluster(Map.of("mx1", nas, "mx2", nas, "mx3", nas), Long.MAX_VALUE)) {
      cluster.start();
      cluster.awaitConverged(Duration.ofSeconds(30));
      PreflightReport report = cluster.await(cluster.primary().preflight(), Duration.ofSeconds(30));
      assertEquals(Boolean.FALSE, results(report, "mx1", "\\\\nas01\\mail").get("free-space"));
      // Users does not exist on the share: nothing can be created there, nobody reads a probe.
      assertEquals(Boolean.FALSE, results(report, "mx1", "\\\\nas01\\mail\\Users").get("create"));
      assertEquals(
          Boolean.TRUE, results(report, "mx3", "\\\\nas01\\mail").get("read-probe-of-mx1"));
    }
  }

  @Test
  void aShareThatHangsHoldsThePreflightButNotReplication() throws IOException {
    Path nas = Files.createDirectories(tmp.resolve("nas/Users")).getParent();
    // mx1's file operations wait here, as on a share whose server went away.
    List<Runnable> hanging = new ArrayList<>();
    try (SimulatedCluster cluster =
        SimulatedCluster.builder()
            .nodes(3)
            .seed(11)
            .nodeOptions(
                (id, b) -> {
                  b.sharedStorage(
                      SharedStorage.builder(ROOT)
                          .mapping(PathMapping.builder().map(ROOT, nas).build())
                          .path(USERS)
                          .build());
                  return id.equals("mx1") ? b.storageExecutor(hanging::add) : b;
                })
            .build()) {
      cluster.start();
      cluster.awaitConverged(Duration.ofSeconds(30));
      CompletableFuture<PreflightReport> report = cluster.primary().preflight();
      cluster.runFor(Duration.ofSeconds(10));
      assertFalse(report.isDone(), "the preflight finished although the share hangs");
      assertFalse(hanging.isEmpty(), "no file operation was handed to the storage executor");

      // The node's own thread is free: a commit replicates while the share hangs.
      SettingKey key = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");
      Revision r =
          cluster.await(
              cluster
                  .primary()
                  .update(
                      ConfigUpdate.builder("api:test")
                          .setRaw(key, "\\\\nas01\\mail\\Lock")
                          .build()),
              Duration.ofSeconds(10));
      cluster.awaitConverged(Duration.ofSeconds(30));
      assertEquals(r, cluster.node("mx2").configuration().revision());

      // The share comes back: the preflight completes, and passes.
      for (int round = 0; round < 20 && !report.isDone(); round++) {
        List<Runnable> now = List.copyOf(hanging);
        hanging.clear();
        now.forEach(Runnable::run);
        cluster.runFor(Duration.ofSeconds(1));
      }
      PreflightReport done = cluster.await(report, Duration.ofSeconds(1));
      assertTrue(done.passed(), done.failures().toString());
    }
  }

  private static Map<String, Boolean> results(PreflightReport report, String node, String path) {
    return report.checks().stream()
        .filter(c -> c.node().equals(node) && c.path().equals(path))
        .collect(Collectors.toMap(PreflightCheck::check, PreflightCheck::passed));
  }
}
