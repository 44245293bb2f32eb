package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ini.IniDocument;

/**
 * One primary per epoch and one process per node id (requirement S3 in docs/REQUIREMENTS.md), a
 * secondary given another secondary's address, and a secondary restarted without its primary, with
 * node agents in real JVMs over gRPC with mutual TLS, checked with {@code mailcluster status} and
 * by reading the INI files.
 */
@Tag("process")
class OnePrimaryProcessTest {
  private static final String LOCAL_LOCKS = "LockFiles=C:\\MDaemon\\LockFiles\\";
  private static final Duration BOUND = Duration.ofSeconds(30);

  @TempDir Path home;
  private AgentCluster cluster;

  @AfterEach
  void killLeftovers() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void twoAgentsConfiguredAsPrimaryAreReportedOnBothAndTheirEditsReachNoSecondary()
      throws Exception {
    cluster = new AgentCluster(home, "mx1", "mx2", "mx3");
    // The mistake: mx2 is configured as a primary of the same cluster, listing mx1.
    AgentCluster.Agent mx1 = cluster.agent("mx1");
    AgentCluster.Agent mx2 = cluster.agent("mx2");
    cluster.configure(
        "mx2",
        "role = primary",
        "listen = " + mx2.address(),
        "servers = mx1=" + mx1.address(),
        "status.listen = " + mx2.statusAddress());
    for (String id : new String[] {"mx1", "mx2"}) {
      Files.write(cluster.app(id).resolve("MDaemon.ini"), DemoCommand.sample());
    }
    cluster.startAndAwaitStatus("mx1");
    cluster.start("mx3");
    Path file3 = cluster.app("mx3").resolve("MDaemon.ini");
    cluster.awaitOrFail(() -> AgentCluster.read(file3).contains(LOCAL_LOCKS), "mx3 sync", "mx3");

    cluster.startAndAwaitStatus("mx2");
    cluster.awaitOrFail(
        () ->
            status("mx1").contains("ERROR split brain: mx1 and mx2 both claim to be the primary")
                && status("mx2").contains("ERROR split brain: mx2 and mx1 both claim"),
        "an ERROR on both primaries",
        "mx2",
        BOUND);
    assertTrue(status("mx1").matches("(?s).*mx2\\s+SECONDARY\\s+\\S+\\s+claims primary.*"));

    // An edit on either is held back: it reaches no secondary.
    for (String id : new String[] {"mx1", "mx2"}) {
      Path file = cluster.app(id).resolve("MDaemon.ini");
      IniDocument doc = IniDocument.parse(Files.readAllBytes(file));
      doc.set("Directories", "LockFiles", "\\\\nas-" + id + "\\LockFiles\\");
      Files.write(file, doc.toBytes());
    }
    cluster.awaitOrFail(
        () ->
            status("mx1").contains("a file edit is held back")
                && status("mx2").contains("a file edit is held back"),
        "both primaries holding their edits back",
        "mx2",
        BOUND);
    String onMx3 = AgentCluster.read(file3);
    assertTrue(onMx3.contains(LOCAL_LOCKS), onMx3);
    assertFalse(onMx3.contains("nas-"), onMx3);
  }

  @Test
  void aSecondProcessWithMx2sIdIsRefusedAndTheFirstKeepsStreaming() throws Exception {
    cluster = new AgentCluster(home, "mx1", "mx2");
    cluster.twin("mx2-copy", "mx2");
    Path file1 = cluster.app("mx1").resolve("MDaemon.ini");
    Files.write(file1, DemoCommand.sample());
    cluster.startAndAwaitStatus("mx1");
    cluster.start("mx2");
    Path file2 = cluster.app("mx2").resolve("MDaemon.ini");
    cluster.awaitOrFail(() -> AgentCluster.read(file2).contains(LOCAL_LOCKS), "mx2 sync", "mx2");

    cluster.startAndAwaitStatus("mx2-copy");
    cluster.awaitOrFail(
        () ->
            status("mx1").contains("ERROR mx2 is already connected from 127.0.0.1:")
                && status("mx2-copy").contains("join refused by")
                && status("mx2-copy").contains("mx2 is already connected from 127.0.0.1:"),
        "the copy refused, with an ERROR on the primary",
        "mx2-copy",
        BOUND);

    // The first mx2 keeps its stream: it is streaming, and an edit on the primary reaches it.
    assertTrue(status("mx1").matches("(?s).*mx2\\s+SECONDARY\\s+\\S+\\s+streaming.*"));
    IniDocument doc = IniDocument.parse(Files.readAllBytes(file1));
    doc.set("Directories", "LockFiles", "\\\\nas01\\mail\\LockFiles\\");
    Files.write(file1, doc.toBytes());
    cluster.awaitOrFail(
        () -> AgentCluster.read(file2).contains("LockFiles=\\\\nas01\\mail\\LockFiles\\"),
        "the edit reaching the first mx2",
        "mx2");
    assertTrue(status("mx1").matches("(?s).*mx2\\s+SECONDARY\\s+\\S+\\s+streaming.*"));
    assertFalse(Files.exists(cluster.app("mx2-copy").resolve("MDaemon.ini")));
  }

  @Test
  void aFreshSecondaryGivenAnotherSecondarysAddressSyncsFromThePrimaryAndWarns() throws Exception {
    cluster = new AgentCluster(home, "mx1", "mx2", "mx3");
    AgentCluster.Agent mx3 = cluster.agent("mx3");
    cluster.configure(
        "mx3",
        "role = secondary",
        "listen = " + mx3.address(),
        "primary = " + cluster.agent("mx2").address(),
        "status.listen = " + mx3.statusAddress());
    Files.write(cluster.app("mx1").resolve("MDaemon.ini"), DemoCommand.sample());
    cluster.startAndAwaitStatus("mx1");
    cluster.start("mx2");
    Path file2 = cluster.app("mx2").resolve("MDaemon.ini");
    cluster.awaitOrFail(() -> AgentCluster.read(file2).contains(LOCAL_LOCKS), "mx2 sync", "mx2");

    cluster.start("mx3");
    Path file3 = cluster.app("mx3").resolve("MDaemon.ini");
    cluster.awaitOrFail(() -> AgentCluster.read(file3).contains(LOCAL_LOCKS), "mx3 sync", "mx3");
    String warning =
        "the server given as this node's primary, "
            + cluster.agent("mx2").address()
            + ", is a secondary; it follows mx1 at "
            + cluster.agent("mx1").address();
    cluster.awaitOrFail(
        () -> status("mx3").contains(warning) && cluster.log("mx3").contains(warning),
        "the warning in mx3's status and log",
        "mx3");
    assertTrue(
        status("mx3").contains("set its primary to " + cluster.agent("mx1").address()),
        status("mx3"));
    assertTrue(status("mx3").contains("primary mx1"), status("mx3"));
  }

  @Test
  void aSecondaryRestartedWhileThePrimaryIsDownSaysItServesItsLastKnownConfiguration()
      throws Exception {
    cluster = new AgentCluster(home, "mx1", "mx2");
    Files.write(cluster.app("mx1").resolve("MDaemon.ini"), DemoCommand.sample());
    cluster.startAndAwaitStatus("mx1");
    cluster.start("mx2");
    Path file2 = cluster.app("mx2").resolve("MDaemon.ini");
    cluster.awaitOrFail(() -> AgentCluster.read(file2).contains(LOCAL_LOCKS), "mx2 sync", "mx2");
    cluster.stop("mx2");
    cluster.stop("mx1");

    cluster.startAndAwaitStatus("mx2");
    cluster.awaitOrFail(
        () ->
            status("mx2")
                .matches(
                    "(?s).*WARN .*serving its last known configuration, revision 1:\\d+, \\d+ s"
                        + " old.*"),
        "mx2 saying it serves its last known configuration",
        "mx2",
        BOUND);
    assertTrue(status("mx2").contains("initial sync NOT complete"), status("mx2"));
    assertTrue(AgentCluster.read(file2).contains(LOCAL_LOCKS), "the files stay as they were");
  }

  private String status(String id) {
    AgentCluster.Result r = cluster.status(id);
    return r.out() + r.err();
  }
}
