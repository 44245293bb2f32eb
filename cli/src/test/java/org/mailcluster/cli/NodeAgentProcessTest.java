package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
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
  private static final Charset CP1252 = Charset.forName("windows-1252");
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private final List<Process> processes = new ArrayList<>();
  @TempDir Path home;

  @AfterEach
  void killLeftovers() {
    processes.forEach(Process::destroyForcibly);
  }

  @Test
  void anEditOfThePrimarysIniFileAppearsInTheSecondarysFile() throws Exception {
    assertEquals(
        0,
        cli(
                "certs",
                "--dir",
                home.resolve("certs").toString(),
                "--cluster",
                "test",
                "mx1=127.0.0.1,localhost",
                "mx2=127.0.0.1,localhost")
            .code);
    int p1 = freePort();
    int p2 = freePort();
    int s1 = freePort();
    int s2 = freePort();
    Path app1 = Files.createDirectories(home.resolve("mx1/app"));
    Files.write(app1.resolve("MDaemon.ini"), DemoCommand.sample());
    Files.createDirectories(home.resolve("mx2/app"));
    Path config1 =
        config(
            "mx1",
            "role = primary",
            "listen = 127.0.0.1:" + p1,
            "servers = mx2=127.0.0.1:" + p2,
            "status.listen = 127.0.0.1:" + s1);
    Path config2 =
        config(
            "mx2",
            "role = secondary",
            "listen = 127.0.0.1:" + p2,
            "primary = 127.0.0.1:" + p1,
            "status.listen = 127.0.0.1:" + s2);

    Process mx1 = start("mx1", config1);
    awaitOrFail(() -> cli("status", "--config", config1.toString()).code == 0, "mx1's status", mx1);
    Process mx2 = start("mx2", config2);
    Path file2 = home.resolve("mx2/app/MDaemon.ini");
    awaitOrFail(
        () -> read(file2).contains("LockFiles=C:\\MDaemon\\LockFiles\\"),
        "mx2's initial sync",
        mx2);

    // The mail server (not the library) edits the primary's file.
    Path file1 = app1.resolve("MDaemon.ini");
    IniDocument doc = IniDocument.parse(Files.readAllBytes(file1));
    doc.set("Directories", "LockFiles", "\\\\nas01\\mail\\LockFiles\\");
    Files.write(file1, doc.toBytes());
    awaitOrFail(
        () -> read(file2).contains("LockFiles=\\\\nas01\\mail\\LockFiles\\"),
        "the edit reaching mx2's file",
        mx2);
    String onMx2 = read(file2);
    assertTrue(onMx2.contains("Organization=Societ\u00e0 Esempio S.p.A."), onMx2);

    // status sees both, caught up.
    awaitOrFail(
        () ->
            cli("status", "--config", config1.toString())
                .out
                .matches("(?s).*mx2\\s+SECONDARY\\s+\\S+\\s+streaming\\s+\\S+\\s+0\\s.*"),
        "mx1 reporting mx2 as streaming and caught up",
        mx1);
    Result json = cli("status", "--address", "127.0.0.1:" + s2, "--json");
    assertEquals(0, json.code, json.err);
    tools.jackson.databind.JsonNode d = DiagnosticsView.JSON.readTree(json.out);
    assertEquals("mx2", d.path("node").asString());
    assertEquals("SECONDARY", d.path("role").asString());
    assertTrue(d.path("initialSyncComplete").asBoolean(), json.out);

    // history names the file edit; diff of two revisions shows what it changed, on either node.
    Result history = cli("history", "--config", config2.toString(), "--json");
    assertEquals(0, history.code, history.err);
    tools.jackson.databind.JsonNode last = null;
    for (tools.jackson.databind.JsonNode r : DiagnosticsView.JSON.readTree(history.out)) {
      last = r;
    }
    assertTrue(last != null && last.path("origin").asString().equals("file edit"), history.out);
    String editRevision = last.path("revision").asString();
    org.mailcluster.config.Revision edit = org.mailcluster.config.Revision.parse(editRevision);
    String before =
        org.mailcluster.config.Revision.of(edit.epoch(), edit.sequence() - 1).toString();
    Result diff = cli("diff", "--config", config2.toString(), before, editRevision);
    assertEquals(1, diff.code, diff.out + diff.err);
    assertTrue(
        diff.out.startsWith(
            "[Directories] LockFiles: C:\\MDaemon\\LockFiles\\ → \\\\nas01\\mail\\LockFiles\\\n"),
        diff.out);
    assertTrue(cli("history", "--config", config1.toString()).out.contains("file edit"));
    Result missing = cli("diff", "--address", "127.0.0.1:" + s1, "1:1", "1:999");
    assertEquals(3, missing.code, missing.out + missing.err);
    assertTrue(missing.err.contains("1:999"), missing.err);
    assertTrue(missing.err.contains("hint: `mailcluster history`"), missing.err);

    // clock-check: mx1 checks mx2's clock now; the same machine's clock is in step.
    Result clocks = cli("clock-check", "--config", config1.toString());
    assertEquals(0, clocks.code, clocks.out + clocks.err);
    assertTrue(clocks.out.matches("(?s).*\\nmx2\\s+[+-]\\d+\\.\\d\\d ms.*in step.*"), clocks.out);

    // SIGTERM: each agent shuts down gracefully and says so in its log file.
    for (Process p : List.of(mx2, mx1)) {
      p.destroy();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "a node did not stop on SIGTERM");
    }
    String log2 = readLog(home.resolve("mx2/mailcluster-mx2.log"));
    assertTrue(log2.contains("initial sync complete"), log2);
    assertTrue(
        log2.contains("LockFiles: C:\\MDaemon\\LockFiles\\ → \\\\nas01\\mail\\LockFiles\\"), log2);
    assertTrue(log2.contains("stopped mx2: replication closed cleanly"), log2);
    String log1 = readLog(home.resolve("mx1/mailcluster-mx1.log"));
    assertTrue(log1.contains("registered secondary mx2"), log1);
    assertTrue(log1.contains("stopped mx1: replication closed cleanly"), log1);
    // The console got the same lines.
    assertTrue(readLog(home.resolve("mx2/console.txt")).contains("stopped mx2"));
    assertFalse(log1.contains("ERROR"), log1);
  }

  private Path config(String id, String... lines) throws IOException {
    List<String> all = new ArrayList<>(List.of(lines));
    all.add("node.id = " + id);
    all.add("ini.directory = app");
    all.add("state.directory = state");
    all.add("tls.directory = ../certs/" + id);
    all.add("product.version = 23.5.2");
    all.add("ini.debounce.millis = 100");
    all.add("ini.rescan.seconds = 2");
    return Files.write(home.resolve(id).resolve(id + ".properties"), all);
  }

  private Process start(String id, Path config) throws IOException {
    Path dir = home.resolve(id);
    ProcessBuilder b =
        new ProcessBuilder(
                System.getProperty("java.home") + "/bin/java",
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "node",
                config.toString())
            .redirectOutput(dir.resolve("stdout.txt").toFile())
            .redirectError(dir.resolve("console.txt").toFile());
    Process p = b.start();
    processes.add(p);
    return p;
  }

  private void awaitOrFail(BooleanSupplier condition, String what, Process process)
      throws IOException {
    long end = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      if (!process.isAlive() || System.nanoTime() - end > 0) {
        StringBuilder logs = new StringBuilder();
        for (String id : List.of("mx1", "mx2")) {
          Path console = home.resolve(id).resolve("console.txt");
          logs.append("--- ").append(id).append(" ---\n");
          logs.append(Files.exists(console) ? readLog(console) : "(not started)\n");
        }
        throw new AssertionError(
            what + (process.isAlive() ? " timed out" : " failed: the process ended") + "\n" + logs);
      }
      LockSupport.parkNanos(50_000_000);
    }
  }

  private static String readLog(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, CP1252) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private record Result(int code, String out, String err) {}

  private static Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Result(code, out.toString(), err.toString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
