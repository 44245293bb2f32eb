package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ini.IniDocument;
import tools.jackson.databind.JsonNode;

/**
 * {@code mailcluster rollback}, {@code resync} and {@code promote} against three node agents in
 * real JVMs over gRPC with mutual TLS: each shows its plan, does nothing unless confirmed, and its
 * effect is checked on every node (the rolled-back value in every file, the resynchronized node's
 * state replaced, the new primary followed by the remaining secondary).
 */
@Tag("process")
class OperatorActionsProcessTest {
  private static final List<String> NODES = List.of("mx1", "mx2", "mx3");
  @TempDir Path home;
  private AgentCluster cluster;

  @BeforeEach
  void agents() throws Exception {
    cluster = new AgentCluster(home, "mx1", "mx2", "mx3");
    Files.write(cluster.app("mx1").resolve("MDaemon.ini"), DemoCommand.sample());
    cluster.startAndAwaitStatus("mx1");
    cluster.startAndAwaitStatus("mx2");
    cluster.startAndAwaitStatus("mx3");
  }

  @AfterEach
  void kill() {
    cluster.close();
  }

  private String config(String id) {
    return cluster.agent(id).config.toString();
  }

  private Path file(String id) {
    return cluster.app(id).resolve("MDaemon.ini");
  }

  /** Edits {@code on}'s file as the mail server would, and waits until every other node has it. */
  private void edit(String on, String lockFiles, List<String> followers) throws Exception {
    IniDocument doc = IniDocument.parse(Files.readAllBytes(file(on)));
    doc.set("Directories", "LockFiles", lockFiles);
    Files.write(file(on), doc.toBytes());
    for (String id : followers) {
      cluster.awaitOrFail(
          () -> AgentCluster.read(file(id)).contains("LockFiles=" + lockFiles),
          "the edit " + lockFiles + " reaching " + id,
          id);
    }
  }

  private JsonNode history(String id) {
    AgentCluster.Result r = AgentCluster.cli("history", "--config", config(id), "--json");
    assertEquals(0, r.code(), r.toString());
    return DiagnosticsView.JSON.readTree(r.out());
  }

  private static int count(String text, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  @Test
  void rollbackShowsTheDiffAndRestoresTheValueOnEveryNodeAndResyncReplacesANodesState()
      throws Exception {
    edit("mx1", "D:\\Locks\\A\\", List.of("mx2", "mx3"));
    String atA = DiagnosticsView.revision(cluster.statusJson("mx1").path("revision"));
    edit("mx1", "D:\\Locks\\B\\", List.of("mx2", "mx3"));
    int revisions = history("mx1").size();

    // Not confirmed: the plan is shown, nothing is done.
    AgentCluster.Result unasked =
        AgentCluster.cli("rollback", "--config", config("mx1"), "--to", atA);
    assertEquals(7, unasked.code(), unasked.toString());
    assertTrue(unasked.out().contains("D:\\Locks\\B\\"), unasked.out());
    assertTrue(unasked.out().contains("D:\\Locks\\A\\"), unasked.out());
    assertTrue(unasked.err().contains("no terminal"), unasked.err());
    AgentCluster.Result declined =
        cli(
            prompt -> java.util.Optional.of("no"),
            "rollback",
            "--config",
            config("mx1"),
            "--to",
            atA);
    assertEquals(7, declined.code(), declined.toString());
    assertEquals(revisions, history("mx1").size(), "nothing was committed");
    assertTrue(AgentCluster.read(file("mx3")).contains("LockFiles=D:\\Locks\\B\\"));

    // Only the primary rolls back.
    AgentCluster.Result onSecondary =
        AgentCluster.cli("rollback", "--config", config("mx2"), "--to", atA, "--yes");
    assertEquals(3, onSecondary.code(), onSecondary.toString());
    assertTrue(onSecondary.err().contains("only the primary rolls back"), onSecondary.err());

    AgentCluster.Result rolledBack =
        cli(
            prompt -> java.util.Optional.of("yes"),
            "rollback",
            "--config",
            config("mx1"),
            "--to",
            atA,
            "--caller",
            "cli:tester");
    assertEquals(0, rolledBack.code(), rolledBack + cluster.consoles());
    assertTrue(rolledBack.out().contains("rolled back to " + atA), rolledBack.out());
    for (String id : NODES) {
      cluster.awaitOrFail(
          () -> AgentCluster.read(file(id)).contains("LockFiles=D:\\Locks\\A\\"),
          "the rolled-back value in " + id + "'s file",
          id);
    }
    JsonNode last = history("mx1").get(history("mx1").size() - 1);
    assertEquals("rollback:" + atA + " by cli:tester", last.path("origin").asString());

    // Resync mx3 from the primary: its state is replaced by a snapshot, its history restarts.
    int historyBefore = history("mx3").size();
    int installedBefore = count(cluster.log("mx3"), "installed snapshot");
    AgentCluster.Result unconfirmed =
        AgentCluster.cli("resync", "--config", config("mx1"), "--node", "mx3");
    assertEquals(7, unconfirmed.code(), unconfirmed.toString());
    assertTrue(
        unconfirmed.out().contains("resync mx3: mx1 sends it a full snapshot"), unconfirmed.out());
    AgentCluster.Result resynced =
        AgentCluster.cli("resync", "--config", config("mx1"), "--node", "mx3", "--yes");
    assertEquals(0, resynced.code(), resynced + cluster.consoles());
    assertTrue(resynced.out().contains("mx3 was resynchronized from mx1"), resynced.out());
    cluster.awaitOrFail(
        () -> count(cluster.log("mx3"), "installed snapshot") > installedBefore,
        "mx3 logging the installed snapshot",
        "mx3");
    assertTrue(
        history("mx3").size() < historyBefore,
        "mx3's history starts again at the snapshot: " + history("mx3"));
    assertEquals(
        DiagnosticsView.revision(cluster.statusJson("mx1").path("revision")),
        DiagnosticsView.revision(cluster.statusJson("mx3").path("revision")));
    assertTrue(AgentCluster.read(file("mx3")).contains("LockFiles=D:\\Locks\\A\\"));
    AgentCluster.Result unknown =
        AgentCluster.cli("resync", "--config", config("mx1"), "--node", "mx9", "--yes");
    assertEquals(3, unknown.code(), unknown.toString());
  }

  @Test
  void promoteIsRefusedWhileThePrimaryAnswersAndOnceItIsGoneTheNewPrimaryIsFollowed()
      throws Exception {
    edit("mx1", "D:\\Locks\\A\\", List.of("mx2", "mx3"));

    AgentCluster.Result refused = AgentCluster.cli("promote", "--config", config("mx2"), "--yes");
    assertEquals(3, refused.code(), refused.toString());
    assertTrue(refused.err().contains("PROMOTION_REFUSED"), refused.err());
    assertEquals("PRIMARY", cluster.statusJson("mx1").path("role").asString());

    AgentCluster.Result onPrimary = AgentCluster.cli("promote", "--config", config("mx1"), "--yes");
    assertEquals(3, onPrimary.code(), onPrimary.toString());
    assertTrue(onPrimary.err().contains("already the primary"), onPrimary.err());

    cluster.kill("mx1");
    AgentCluster.Result unasked = AgentCluster.cli("promote", "--config", config("mx2"));
    assertEquals(7, unasked.code(), unasked.toString());
    assertTrue(unasked.out().contains("promote mx2 to primary: it takes epoch 2"), unasked.out());
    assertEquals("SECONDARY", cluster.statusJson("mx2").path("role").asString());

    // The secondaries notice the primary's silence within a few heartbeats; until then the
    // promotion is refused for it.
    AgentCluster.Result[] promoted = new AgentCluster.Result[1];
    cluster.awaitOrFail(
        () -> {
          promoted[0] = AgentCluster.cli("promote", "--config", config("mx2"), "--yes");
          return promoted[0].code() == 0;
        },
        "promoting mx2",
        "mx2");
    assertTrue(promoted[0].out().contains("mx2 is the primary now"), promoted[0].out());
    JsonNode mx2 = cluster.statusJson("mx2");
    assertEquals("PRIMARY", mx2.path("role").asString());
    assertEquals(2, mx2.path("epoch").asLong());
    cluster.awaitOrFail(
        () -> {
          JsonNode mx3 = cluster.statusJson("mx3");
          return mx3 != null && mx3.path("primary").asString("").equals("mx2");
        },
        "mx3 following mx2",
        "mx3");
    // The new primary's edits reach the remaining secondary.
    edit("mx2", "D:\\Locks\\AfterPromotion\\", List.of("mx3"));
  }

  private static AgentCluster.Result cli(Main.Terminal terminal, String... args) {
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    int code = Main.run(args, new java.io.PrintWriter(out), new java.io.PrintWriter(err), terminal);
    return new AgentCluster.Result(code, out.toString(), err.toString());
  }
}
