package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Suspicious edits of the primary's INI file, made to real node agents (requirement S2): each is
 * held back with an error in {@code mailcluster status} and the log, the secondary's file keeps its
 * bytes and its history gains no revision; a restore clears the hold-back, and {@code mailcluster
 * confirm} commits it. A missing INI directory stops the agent.
 */
@Tag("process")
class HeldBackChangeProcessTest {
  @TempDir Path home;
  private AgentCluster cluster;
  private Path file1;
  private Path file2;
  private byte[] secondaryBytes;
  private int secondaryRevisions;
  private int primaryRevisions;

  @BeforeEach
  void certificatesAndConfigurations() throws IOException {
    cluster = new AgentCluster(home, "mx1", "mx2");
    file1 = cluster.app("mx1").resolve("MDaemon.ini");
    file2 = cluster.app("mx2").resolve("MDaemon.ini");
  }

  @AfterEach
  void killLeftovers() {
    cluster.close();
  }

  /** Starts both agents over the sample file and waits until mx2 is in sync and settled. */
  private void startInSync() throws IOException {
    Files.write(file1, DemoCommand.sample());
    cluster.startAndAwaitStatus("mx1");
    cluster.startAndAwaitStatus("mx2");
    cluster.awaitOrFail(
        () -> {
          JsonNode p = cluster.statusJson("mx1");
          JsonNode s = cluster.statusJson("mx2");
          return p != null
              && s != null
              && s.path("initialSyncComplete").asBoolean()
              && p.path("revision").equals(s.path("revision"))
              && AgentCluster.read(file2).contains("LockFiles=C:\\MDaemon\\LockFiles\\");
        },
        "mx2's initial sync",
        "mx2");
    secondaryBytes = AgentCluster.bytes(file2);
    secondaryRevisions = revisions("mx2");
    primaryRevisions = revisions("mx1");
  }

  private int revisions(String id) {
    AgentCluster.Result history =
        AgentCluster.cli("history", "--config", cluster.agent(id).config.toString(), "--json");
    assertEquals(0, history.code(), history.toString());
    return DiagnosticsView.JSON.readTree(history.out()).size();
  }

  /** Waits until mx1's status shows MDaemon.ini held back for {@code reason}. */
  private void awaitHeldBack(String reason) {
    cluster.awaitOrFail(
        () -> {
          String status = cluster.status("mx1").out();
          return status.contains("HELD BACK MDaemon.ini since") && status.contains(reason);
        },
        "mx1 holding back the change of MDaemon.ini (" + reason + ")",
        "mx1");
    String status = cluster.status("mx1").out();
    assertTrue(status.contains("ERROR HELD_BACK: the change of MDaemon.ini"), status);
    assertTrue(status.contains("mailcluster confirm --config <agent.properties> MDaemon.ini"));
    JsonNode held = cluster.statusJson("mx1").path("heldBack");
    assertEquals(1, held.size(), held.toString());
    assertEquals("MDaemon.ini", held.get(0).path("file").asString());
    String log = cluster.log("mx1");
    assertTrue(log.contains("HELD_BACK: the change of MDaemon.ini"), log);
  }

  /** The secondary's file has the bytes it had, and its history no new revision. */
  private void assertSecondaryUntouched() {
    assertArrayEquals(secondaryBytes, AgentCluster.bytes(file2), "mx2's MDaemon.ini changed");
    assertEquals(secondaryRevisions, revisions("mx2"), "mx2 got a revision");
    assertEquals(
        cluster.statusJson("mx1").path("revision"), cluster.statusJson("mx2").path("revision"));
  }

  @Test
  void aMissingIniDirectoryStopsTheAgentWithAClearMessageAndIsNotCreated() throws Exception {
    Path missing = home.resolve("mx1").resolve("typo");
    cluster.configure(
        "mx1",
        "role = primary",
        "listen = " + cluster.agent("mx1").address(),
        "ini.directory = typo",
        "status.listen = " + cluster.agent("mx1").statusAddress());
    Process p = cluster.start("mx1");
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the agent did not exit\n" + cluster.consoles());
    assertNotEquals(0, p.exitValue());
    String console = cluster.console("mx1");
    assertTrue(console.contains("ini.directory " + missing.toAbsolutePath()), console);
    assertTrue(console.contains("does not exist"), console);
    assertTrue(console.contains("create it"), console);
    assertFalse(Files.exists(missing), "the agent created " + missing);
  }

  @Test
  void deletingThePrimarysFileIsHeldBackAndConfirmReplicatesTheDeletion() throws Exception {
    startInSync();
    Files.delete(file1);
    awaitHeldBack("MDaemon.ini no longer exists");
    assertSecondaryUntouched();

    // A secondary sends the operator to the primary; the primary commits on confirm.
    AgentCluster.Result onMx2 =
        AgentCluster.cli(
            "confirm", "--config", cluster.agent("mx2").config.toString(), "MDaemon.ini");
    assertEquals(3, onMx2.code(), onMx2.toString());
    assertTrue(onMx2.err().contains("confirm on the primary mx1"), onMx2.toString());
    // Without a terminal to ask on and without --yes, nothing is done.
    AgentCluster.Result unasked =
        AgentCluster.cli(
            "confirm", "--config", cluster.agent("mx1").config.toString(), "MDaemon.ini");
    assertEquals(7, unasked.code(), unasked.toString());
    assertTrue(unasked.out().contains("deleting"), unasked.out());
    assertTrue(unasked.err().contains("--yes"), unasked.toString());
    assertEquals(1, cluster.statusJson("mx1").path("heldBack").size());
    assertSecondaryUntouched();
    AgentCluster.Result confirmed =
        AgentCluster.cli(
            "confirm",
            "--config",
            cluster.agent("mx1").config.toString(),
            "--caller",
            "cli:tester",
            "--yes",
            "MDaemon.ini");
    assertEquals(0, confirmed.code(), confirmed.toString());
    assertTrue(
        confirmed.out().contains("confirmed the held-back change of MDaemon.ini"), confirmed.out());
    cluster.awaitOrFail(
        () -> !AgentCluster.read(file2).contains("LockFiles="),
        "the confirmed deletion reaching mx2's file",
        "mx2");
    AgentCluster.Result history =
        AgentCluster.cli("history", "--config", cluster.agent("mx2").config.toString());
    assertTrue(
        history.out().contains("held back:MDaemon.ini confirmed by cli:tester"), history.out());
    assertEquals(0, cluster.statusJson("mx1").path("heldBack").size());
  }

  @Test
  void renamingTheFileAwayAndWritingItBackLaterClearsTheHoldBackWithNoRevision() throws Exception {
    startInSync();
    Path aside = cluster.app("mx1").resolve("MDaemon.ini.tmp");
    Files.move(file1, aside);
    // Longer than the debounce: the file's absence is read and held back.
    awaitHeldBack("deletes every key of MDaemon.ini");
    assertSecondaryUntouched();
    Files.move(aside, file1);
    cluster.awaitOrFail(
        () -> cluster.status("mx1").out().contains("the hold-back of MDaemon.ini cleared"),
        "the hold-back clearing once the file is back",
        "mx1");
    assertEquals(0, cluster.statusJson("mx1").path("heldBack").size());
    assertSecondaryUntouched();
    assertEquals(primaryRevisions, revisions("mx1"), "mx1 committed a revision");
  }

  @Test
  void textThatIsNoLongerIniIsHeldBack() throws Exception {
    startInSync();
    Files.writeString(
        file1,
        "Meeting notes\r\nWe agreed to move the mail server.\r\nNext meeting: Monday\r\n",
        StandardCharsets.US_ASCII);
    awaitHeldBack("no longer an INI file");
    assertSecondaryUntouched();
  }

  @Test
  void aFileCutMidLineIsHeldBack() throws Exception {
    startInSync();
    byte[] whole = Files.readAllBytes(file1);
    String text = new String(whole, AgentCluster.CP1252);
    int cut = text.indexOf("LockFiles=C:\\MDa") + "LockFiles=C:\\MDa".length();
    Files.write(file1, Arrays.copyOf(whole, cut));
    awaitHeldBack("is cut mid-value");
    assertSecondaryUntouched();
  }

  @Test
  void anEmptyDirectoryAtThePrimarysStartDeletesNothing() throws Exception {
    startInSync();
    cluster.stop("mx1");
    Files.delete(file1);
    cluster.startAndAwaitStatus("mx1");
    awaitHeldBack("deletes every key of MDaemon.ini");
    assertTrue(cluster.log("mx1").contains("the change of MDaemon.ini found at start"));
    assertSecondaryUntouched();
  }
}
