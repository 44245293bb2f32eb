package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterListener;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.ini.relocate.ContentMover;
import org.mailcluster.ini.relocate.PathRelocator;
import org.mailcluster.ini.relocate.RelocationPlan;
import org.mailcluster.paths.PathMapping;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.testkit.SimulatedCluster;

/**
 * A relocation end to end: the sample {@code MDaemon.ini} on a primary and a secondary, folder
 * contents on a local disk moved to a share with verification, the eight keys switched as ONE
 * revision that reaches the secondary's {@code MDaemon.ini}, and the sources deleted afterwards.
 */
class RelocationClusterTest {
  private static final Charset CP1252 = Charset.forName("windows-1252");

  @TempDir Path tmp;

  @Test
  void movedContentsThenOneRevisionReachesEverySecondary() throws IOException {
    byte[] sample;
    try (InputStream in = Main.class.getResourceAsStream("MDaemon.ini")) {
      sample = in.readAllBytes();
    }
    for (String id : List.of("mx1", "mx2")) {
      Files.createDirectories(tmp.resolve(id + "/App"));
      Files.write(tmp.resolve(id + "/App/MDaemon.ini"), sample);
    }
    Path local = tmp.resolve("MDaemon");
    for (String folder : List.of("Public Folders", "PEM", "Gateways", "Digests", "Archive")) {
      Files.createDirectories(local.resolve(folder));
    }
    Files.createDirectories(local.resolve("Users/example.com/frank"));
    Files.writeString(
        local.resolve("Users/example.com/frank/1.msg"), "Subject: hello\r\n\r\nhi\r\n");
    Files.writeString(local.resolve("PEM/key.pem"), "-----BEGIN PRIVATE KEY-----\n");
    Path nas = Files.createDirectories(tmp.resolve("nas"));

    AtomicReference<SimulatedCluster> holder = new AtomicReference<>();
    try (SimulatedCluster cluster =
        SimulatedCluster.builder()
            .nodes(2)
            .seed(11)
            .configSources(
                id ->
                    IniConfigSource.builder(tmp.resolve(id + "/App"))
                        .scheduler(holder.get().time().scheduler(id + "-files"))
                        .build())
            .build()) {
      holder.set(cluster);
      cluster.start();
      cluster.awaitConverged(Duration.ofSeconds(30));
      List<ConfigDiff> seenOnMx2 = new ArrayList<>();
      cluster
          .node("mx2")
          .addListener(
              new ClusterListener() {
                @Override
                public void configurationChanged(ConfigSnapshot now, ConfigDiff diff) {
                  seenOnMx2.add(diff);
                }
              });
      Revision before = cluster.primary().configuration().revision();

      PathRelocator relocator = PathRelocator.builder(StoragePath.parse("\\\\nas01\\mail")).build();
      RelocationPlan plan = relocator.plan(cluster.primary().configuration());
      ContentMover mover =
          ContentMover.builder(
                  PathMapping.builder()
                      .map(StoragePath.parse("C:\\MDaemon"), local)
                      .map(StoragePath.parse("\\\\nas01\\mail"), nas)
                      .build(),
                  tmp.resolve("relocation.journal"))
              .build();
      CompletableFuture<Revision> done =
          relocator.relocate(plan, cluster.primary(), mover, true, Runnable::run);
      Revision after = cluster.await(done, Duration.ofSeconds(30));
      cluster.awaitConverged(Duration.ofSeconds(30));

      assertEquals(Revision.of(before.epoch(), before.sequence() + 1), after);
      assertEquals(1, seenOnMx2.size(), "one revision on the secondary: " + seenOnMx2);
      assertEquals(8, seenOnMx2.get(0).size());
      cluster
          .time()
          .runUntil(
              () -> read(tmp.resolve("mx2/App/MDaemon.ini")).contains("nas01"),
              Duration.ofSeconds(30));
      String onMx2 = read(tmp.resolve("mx2/App/MDaemon.ini"));
      assertTrue(onMx2.contains("\r\nUsers=\\\\nas01\\mail\\Users\\\r\n"), onMx2);
      assertTrue(onMx2.contains("\r\nLockFiles=\\\\nas01\\mail\\Users\\LockFiles\\\r\n"), onMx2);
      assertTrue(onMx2.contains("\r\nPEM=\\\\nas01\\mail\\PEM\\\r\n"), onMx2);
      assertTrue(
          onMx2.contains("\r\nMailDir=\\\\nas01\\mail\\Users\\$DOMAIN$\\$MAILBOX$\\\r\n"), onMx2);
      assertTrue(onMx2.contains("Organization=Società"), onMx2);
      assertEquals(
          "Subject: hello\r\n\r\nhi\r\n",
          Files.readString(nas.resolve("Users/example.com/frank/1.msg")));
      assertTrue(Files.exists(nas.resolve("PEM/key.pem")));
      assertFalse(Files.exists(local.resolve("Users/example.com")), "source deleted when asked");
      assertFalse(Files.exists(tmp.resolve("relocation.journal")));
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, CP1252);
    } catch (IOException e) {
      return "";
    }
  }
}
