package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ini.IniDocument;

/**
 * Two node agents in two real JVMs ({@code mailcluster node}), with certificates from {@code
 * mailcluster certs}, replicating a directory of INI files over gRPC with mutual TLS on loopback;
 * checked from outside with {@code mailcluster status} and by reading the files.
 */
@Tag("process")
class NodeAgentProcessTest {
  @TempDir Path home;
  private AgentCluster cluster;

  @BeforeEach
  void certificatesAndConfigurations() throws IOException {
    cluster = new AgentCluster(home, "mx1", "mx2");
  }

  @AfterEach
  void killLeftovers() {
    cluster.close();
  }

  @Test
  void anEditOfThePrimarysIniFileAppearsInTheSecondarysFile() throws Exception {
    Path app1 = cluster.app("mx1");
    Files.write(app1.resolve("MDaemon.ini"), DemoCommand.sample());
    Path config1 = cluster.agent("mx1").config;
    Path config2 = cluster.agent("mx2").config;
    String s1 = String.valueOf(cluster.agent("mx1").statusPort);
    String s2 = String.valueOf(cluster.agent("mx2").statusPort);

    Process mx1 = cluster.startAndAwaitStatus("mx1");
    Process mx2 = cluster.start("mx2");
    Path file2 = cluster.app("mx2").resolve("MDaemon.ini");
    cluster.awaitOrFail(
        () -> AgentCluster.read(file2).contains("LockFiles=C:\\MDaemon\\LockFiles\\"),
        "mx2's initial sync",
        "mx2");

    // The mail server (not the library) edits the primary's file.
    Path file1 = app1.resolve("MDaemon.ini");
    IniDocument doc = IniDocument.parse(Files.readAllBytes(file1));
    doc.set("Directories", "LockFiles", "\\\\nas01\\mail\\LockFiles\\");
    Files.write(file1, doc.toBytes());
    cluster.awaitOrFail(
        () -> AgentCluster.read(file2).contains("LockFiles=\\\\nas01\\mail\\LockFiles\\"),
        "the edit reaching mx2's file",
        "mx2");
    String onMx2 = AgentCluster.read(file2);
    assertTrue(onMx2.contains("Organization=Societ\u00e0 Esempio S.p.A."), onMx2);

    // status sees both, caught up.
    cluster.awaitOrFail(
        () ->
            AgentCluster.cli("status", "--config", config1.toString())
                .out()
                .matches("(?s).*mx2\\s+SECONDARY\\s+\\S+\\s+streaming\\s+\\S+\\s+0\\s.*"),
        "mx1 reporting mx2 as streaming and caught up",
        "mx1");
    AgentCluster.Result json = AgentCluster.cli("status", "--address", "127.0.0.1:" + s2, "--json");
    assertEquals(0, json.code(), json.err());
    tools.jackson.databind.JsonNode d = DiagnosticsView.JSON.readTree(json.out());
    assertEquals("mx2", d.path("node").asString());
    assertEquals("SECONDARY", d.path("role").asString());
    assertTrue(d.path("initialSyncComplete").asBoolean(), json.out());

    // history names the file edit; diff of two revisions shows what it changed, on either node.
    AgentCluster.Result history =
        AgentCluster.cli("history", "--config", config2.toString(), "--json");
    assertEquals(0, history.code(), history.err());
    tools.jackson.databind.JsonNode last = null;
    for (tools.jackson.databind.JsonNode r : DiagnosticsView.JSON.readTree(history.out())) {
      last = r;
    }
    assertTrue(last != null && last.path("origin").asString().equals("file edit"), history.out());
    String editRevision = last.path("revision").asString();
    org.mailcluster.config.Revision edit = org.mailcluster.config.Revision.parse(editRevision);
    String before =
        org.mailcluster.config.Revision.of(edit.epoch(), edit.sequence() - 1).toString();
    AgentCluster.Result diff =
        AgentCluster.cli("diff", "--config", config2.toString(), before, editRevision);
    assertEquals(1, diff.code(), diff.out() + diff.err());
    assertTrue(
        diff.out()
            .startsWith(
                "[Directories] LockFiles: C:\\MDaemon\\LockFiles\\ → \\\\nas01\\mail\\LockFiles\\\n"),
        diff.out());
    assertTrue(
        AgentCluster.cli("history", "--config", config1.toString()).out().contains("file edit"));
    AgentCluster.Result missing =
        AgentCluster.cli("diff", "--address", "127.0.0.1:" + s1, "1:1", "1:999");
    assertEquals(3, missing.code(), missing.out() + missing.err());
    assertTrue(missing.err().contains("1:999"), missing.err());
    assertTrue(missing.err().contains("hint: `mailcluster history`"), missing.err());

    // clock-check: mx1 checks mx2's clock now; the same machine's clock is in step.
    AgentCluster.Result clocks = AgentCluster.cli("clock-check", "--config", config1.toString());
    assertEquals(0, clocks.code(), clocks.out() + clocks.err());
    assertTrue(
        clocks.out().matches("(?s).*\\nmx2\\s+[+-]\\d+\\.\\d\\d ms.*in step.*"), clocks.out());

    // SIGTERM: each agent shuts down gracefully and says so in its log file.
    for (Process p : List.of(mx2, mx1)) {
      p.destroy();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "a node did not stop on SIGTERM");
    }
    String log2 = cluster.log("mx2");
    assertTrue(log2.contains("initial sync complete"), log2);
    assertTrue(
        log2.contains("LockFiles: C:\\MDaemon\\LockFiles\\ → \\\\nas01\\mail\\LockFiles\\"), log2);
    assertTrue(log2.contains("stopped mx2: replication closed cleanly"), log2);
    String log1 = cluster.log("mx1");
    assertTrue(log1.contains("registered secondary mx2"), log1);
    assertTrue(log1.contains("stopped mx1: replication closed cleanly"), log1);
    // The console got the same lines.
    assertTrue(cluster.console("mx2").contains("stopped mx2"));
    assertFalse(log1.contains("ERROR"), log1);
  }
}
