package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ini.IniDocument;

/**
 * A primary agent that lost its state directory and got an empty INI directory (a reinstalled
 * machine) is refused by the secondaries that hold newer state, serves no one, changes nothing on
 * them, and is rebuilt with {@code mailcluster recover}: three node agents in real JVMs over gRPC
 * with mutual TLS.
 */
@Tag("process")
class LostPrimaryProcessTest {
  @TempDir Path home;
  private AgentCluster cluster;

  @BeforeEach
  void agents() throws Exception {
    cluster = new AgentCluster(home, "mx1", "mx2", "mx3");
  }

  @AfterEach
  void kill() {
    cluster.close();
  }

  @Test
  void anEmptyPrimaryIsRefusedChangesNothingAndIsRecoveredFromTheNewestSecondary()
      throws Exception {
    Path file1 = cluster.app("mx1").resolve("MDaemon.ini");
    Files.write(file1, DemoCommand.sample());
    cluster.startAndAwaitStatus("mx1");
    cluster.start("mx2");
    cluster.start("mx3");
    for (int i = 1; i <= 3; i++) {
      edit(file1, "\\\\nas01\\mail\\LockFiles" + i + "\\");
    }
    String last = "LockFiles=\\\\nas01\\mail\\LockFiles3\\";
    for (String id : new String[] {"mx2", "mx3"}) {
      Path file = cluster.app(id).resolve("MDaemon.ini");
      cluster.awaitOrFail(() -> AgentCluster.read(file).contains(last), id + "'s file", id);
    }
    byte[] bytes2 = AgentCluster.bytes(cluster.app("mx2").resolve("MDaemon.ini"));
    byte[] bytes3 = AgentCluster.bytes(cluster.app("mx3").resolve("MDaemon.ini"));
    String history2 = historyOf("mx2");
    String history3 = historyOf("mx3");

    // The primary's machine is reinstalled: no state, an empty INI directory.
    cluster.stop("mx1");
    deleteTree(cluster.state("mx1"));
    Files.delete(file1);
    cluster.startAndAwaitStatus("mx1");

    cluster.awaitOrFail(
        () -> cluster.status("mx1").out().contains("serves no one"),
        "mx1 reporting that it serves no one",
        "mx1");
    cluster.awaitOrFail(
        () -> cluster.status("mx2").out().contains("state looks lost"),
        "mx2 reporting the primary's lost state",
        "mx2");
    AgentCluster.Result status1 = cluster.status("mx1");
    assertTrue(status1.out().contains("recover"), status1.out());
    // Nothing changed on the secondaries: files and history.
    assertArrayEquals(bytes2, AgentCluster.bytes(cluster.app("mx2").resolve("MDaemon.ini")));
    assertArrayEquals(bytes3, AgentCluster.bytes(cluster.app("mx3").resolve("MDaemon.ini")));
    assertEquals(history2, historyOf("mx2"));
    assertEquals(history3, historyOf("mx3"));
    assertTrue(cluster.agent("mx1").process.isAlive(), "the refused primary stays up");

    // An action needs the node's token: --address alone is refused.
    AgentCluster.Result noToken =
        AgentCluster.cli("recover", "--address", cluster.agent("mx1").statusAddress());
    assertEquals(3, noToken.code(), noToken.toString());

    AgentCluster.Result recovered =
        AgentCluster.cli("recover", "--config", cluster.agent("mx1").config.toString(), "--yes");
    assertEquals(0, recovered.code(), recovered + cluster.consoles());
    assertTrue(recovered.out().contains("recovered at revision"), recovered.out());
    cluster.awaitOrFail(
        () -> AgentCluster.read(file1).contains(last), "mx1's file rewritten from mx2", "mx1");
    assertTrue(historyOf("mx1").contains("file edit"), historyOf("mx1"));

    // The cluster replicates again.
    edit(file1, "\\\\nas02\\mail\\LockFiles\\");
    for (String id : new String[] {"mx2", "mx3"}) {
      Path file = cluster.app(id).resolve("MDaemon.ini");
      cluster.awaitOrFail(
          () -> AgentCluster.read(file).contains("LockFiles=\\\\nas02\\mail\\LockFiles\\"),
          "the edit after recovery reaching " + id,
          id);
    }
  }

  private String historyOf(String id) {
    AgentCluster.Result r =
        AgentCluster.cli("history", "--address", cluster.agent(id).statusAddress(), "--json");
    assertEquals(0, r.code(), r.toString());
    return r.out();
  }

  /** Edits the primary's file as the mail server would, and waits until mx2's file has it. */
  private void edit(Path file, String lockFiles) throws Exception {
    IniDocument doc = IniDocument.parse(Files.readAllBytes(file));
    doc.set("Directories", "LockFiles", lockFiles);
    Files.write(file, doc.toBytes());
    Path onMx2 = cluster.app("mx2").resolve("MDaemon.ini");
    cluster.awaitOrFail(
        () -> AgentCluster.read(onMx2).contains("LockFiles=" + lockFiles),
        "the edit " + lockFiles + " reaching mx2",
        "mx2");
  }

  private static void deleteTree(Path dir) throws Exception {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
