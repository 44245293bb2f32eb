package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ini.IniDocument;
import tools.jackson.databind.JsonNode;

/**
 * What failed is retried, and limits instead of OutOfMemoryError (requirements S4 and S7), with
 * node agents in real JVMs: a secondary whose INI directory refuses writes, a primary whose state
 * directory refuses writes, and a 50 MB {@code MDaemon.ini} on a primary with a 64 MB heap.
 *
 * <p>How the faults are made: a directory refuses writes by {@code chmod 555} where permission bits
 * are enforced; as root they are not, so the immutable attribute ({@code chattr +i}) is used
 * instead, a real {@code EPERM} from the kernel for new files and for writes to open ones. With
 * neither available the test fails and says so (as {@code DiskFaultTest} does).
 */
@Tag("process")
class RetryProcessTest {
  private static final String OLD_LOCKS = "LockFiles=C:\\MDaemon\\LockFiles\\";
  private static final String NEW_LOCKS = "LockFiles=\\\\nas01\\mail\\LockFiles\\";

  @TempDir Path home;
  private AgentCluster cluster;
  private final List<Runnable> cleanups = new ArrayList<>();

  @BeforeEach
  void certificatesAndConfigurations() throws IOException {
    cluster = new AgentCluster(home, "mx1", "mx2");
    Files.write(cluster.app("mx1").resolve("MDaemon.ini"), DemoCommand.sample());
  }

  @AfterEach
  void clearFaultsAndKillLeftovers() {
    cleanups.forEach(Runnable::run);
    cluster.close();
  }

  private Path file(String id) {
    return cluster.app(id).resolve("MDaemon.ini");
  }

  private void startBothSynchronized() throws IOException {
    cluster.startAndAwaitStatus("mx1");
    cluster.start("mx2");
    cluster.awaitOrFail(
        () -> AgentCluster.read(file("mx2")).contains(OLD_LOCKS), "mx2's initial sync", "mx2");
  }

  private void editOnThePrimary(String section, String key, String value) throws IOException {
    IniDocument doc = IniDocument.parse(Files.readAllBytes(file("mx1")));
    doc.set(section, key, value);
    Files.write(file("mx1"), doc.toBytes());
  }

  private static boolean degraded(JsonNode d, String reasonPart) {
    if (d == null) {
      return false;
    }
    for (JsonNode x : d.path("degraded")) {
      if (x.path("reason").asString().contains(reasonPart) && x.has("since")) {
        return true;
      }
    }
    return false;
  }

  private static JsonNode member(JsonNode d, String id) {
    for (JsonNode m : d.path("members")) {
      if (m.path("id").asString().equals(id)) {
        return m;
      }
    }
    throw new AssertionError("no member " + id + " in " + d);
  }

  private static boolean eventSays(JsonNode d, String level, String part) {
    if (d == null) {
      return false;
    }
    for (JsonNode e : d.path("recentEvents")) {
      if (e.path("level").asString().equals(level) && e.path("message").asString().contains(part)) {
        return true;
      }
    }
    return false;
  }

  // ---- (a) a secondary's files ------------------------------------------------------------

  @Test
  void aSecondaryWhoseIniDirectoryRefusesWritesIsDegradedAndGetsTheValueOnceItIsWritable()
      throws Exception {
    startBothSynchronized();
    refuseWrites(cluster.app("mx2"), false);
    editOnThePrimary("Directories", "LockFiles", "\\\\nas01\\mail\\LockFiles\\");

    cluster.awaitOrFail(
        () -> degraded(cluster.statusJson("mx2"), "could not write the configuration files"),
        "mx2 reporting itself degraded",
        "mx2");
    cluster.awaitOrFail(
        () -> {
          JsonNode d = cluster.statusJson("mx1");
          return d != null && member(d, "mx2").path("degraded").isObject();
        },
        "mx1 reporting mx2 as degraded",
        "mx1");
    JsonNode onPrimary = member(cluster.statusJson("mx1"), "mx2");
    assertTrue(
        onPrimary.path("written").path("sequence").asLong()
            < onPrimary.path("acknowledged").path("sequence").asLong(),
        onPrimary.toString());
    AgentCluster.Result text = cluster.status("mx1");
    assertTrue(text.out().contains("member mx2 DEGRADED since "), text.out());
    assertTrue(text.out().contains("(behind)"), text.out());
    assertTrue(
        cluster.status("mx2").out().contains("DEGRADED since "), cluster.status("mx2").out());
    // The state has the value, the file does not.
    assertTrue(AgentCluster.read(file("mx2")).contains(OLD_LOCKS), AgentCluster.read(file("mx2")));

    cleanups.forEach(Runnable::run);
    cleanups.clear();
    cluster.awaitOrFail(
        () -> AgentCluster.read(file("mx2")).contains(NEW_LOCKS),
        "the value reaching mx2's file once its directory is writable, without a restart",
        "mx2");
    cluster.awaitOrFail(
        () -> {
          JsonNode d = cluster.statusJson("mx2");
          return d != null
              && d.path("degraded").isEmpty()
              && eventSays(d, "INFO", "no longer degraded");
        },
        "mx2 no longer degraded",
        "mx2");
    cluster.awaitOrFail(
        () -> {
          JsonNode d = cluster.statusJson("mx1");
          return d != null && !member(d, "mx2").path("degraded").isObject();
        },
        "mx1 no longer reporting mx2 as degraded",
        "mx1");
  }

  // ---- (b) the primary's state store ------------------------------------------------------

  @Test
  void aFileEditThePrimarysStateDirectoryRefusedIsCommittedOnceItIsWritable() throws Exception {
    startBothSynchronized();
    String revision = cluster.statusJson("mx1").path("revision").toString();
    refuseWrites(cluster.state("mx1"), true);
    editOnThePrimary("Directories", "LockFiles", "\\\\nas01\\mail\\LockFiles\\");

    cluster.awaitOrFail(
        () -> degraded(cluster.statusJson("mx1"), "could not be committed"),
        "mx1 reporting a pending edit",
        "mx1");
    assertTrue(
        eventSays(cluster.statusJson("mx1"), "ERROR", "could not be committed"),
        cluster.status("mx1").out());
    // A second edit while the store refuses writes folds into the pending change.
    editOnThePrimary("Directories", "Temp", "D:\\MDaemon\\Temp\\");
    assertEquals(revision, cluster.statusJson("mx1").path("revision").toString());
    assertTrue(AgentCluster.read(file("mx2")).contains(OLD_LOCKS));

    cleanups.forEach(Runnable::run);
    cleanups.clear();
    cluster.awaitOrFail(
        () -> {
          String mx2 = AgentCluster.read(file("mx2"));
          return mx2.contains(NEW_LOCKS) && mx2.contains("Temp=D:\\MDaemon\\Temp\\");
        },
        "both edits reaching mx2 once mx1's state directory is writable, without a restart",
        "mx1");
    cluster.awaitOrFail(
        () -> {
          JsonNode d = cluster.statusJson("mx1");
          return d != null
              && d.path("degraded").isEmpty()
              && eventSays(d, "INFO", "no longer degraded");
        },
        "mx1 no longer degraded",
        "mx1");
  }

  // ---- (c) a file over the limit ------------------------------------------------------------

  @Test
  void aFiftyMegabyteIniFileOnAPrimaryWithSixtyFourMegabytesOfHeapIsRefusedAndTheAgentGoesOn()
      throws Exception {
    cluster.start("mx1", "-Xmx64m");
    cluster.awaitOrFail(() -> cluster.status("mx1").code() == 0, "mx1's status endpoint", "mx1");
    cluster.start("mx2");
    cluster.awaitOrFail(
        () -> AgentCluster.read(file("mx2")).contains(OLD_LOCKS), "mx2's initial sync", "mx2");
    byte[] mx2Before = AgentCluster.bytes(file("mx2"));
    AgentCluster.Result historyBefore =
        AgentCluster.cli("history", "--address", cluster.agent("mx1").statusAddress());
    assertEquals(0, historyBefore.code(), historyBefore.toString());
    String revision = cluster.statusJson("mx1").path("revision").toString();

    // 50 MB: the sample, then one long value.
    Path staged = cluster.app("mx1").resolve(".staged");
    try (OutputStream out = Files.newOutputStream(staged)) {
      out.write(DemoCommand.sample());
      out.write("\r\n[Big]\r\nValue=".getBytes(AgentCluster.CP1252));
      byte[] block = new byte[1 << 20];
      java.util.Arrays.fill(block, (byte) 'x');
      for (int i = 0; i < 50; i++) {
        out.write(block);
      }
      out.write("\r\n".getBytes(AgentCluster.CP1252));
    }
    Files.move(staged, file("mx1"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    cluster.awaitOrFail(
        () -> eventSays(cluster.statusJson("mx1"), "ERROR", "more than the limit of 8388608"),
        "mx1 refusing the 50 MB file with the limit in its status",
        "mx1");
    JsonNode d = cluster.statusJson("mx1");
    String refusal = "";
    for (JsonNode e : d.path("recentEvents")) {
      if (e.path("message").asString().contains("more than the limit")) {
        refusal = e.path("message").asString();
      }
    }
    assertTrue(refusal.contains("MDaemon.ini has "), refusal);
    assertTrue(refusal.contains(" bytes"), refusal);
    assertTrue(cluster.agent("mx1").process.isAlive(), cluster.console("mx1"));
    assertEquals(revision, d.path("revision").toString(), "nothing committed");
    assertArrayEquals(mx2Before, AgentCluster.bytes(file("mx2")), "mx2's file intact");
    AgentCluster.Result historyAfter =
        AgentCluster.cli("history", "--address", cluster.agent("mx1").statusAddress());
    assertEquals(historyBefore.out(), historyAfter.out(), "history intact");

    // Back under the limit, edits replicate again: the agent is alive, not a zombie.
    Files.write(file("mx1"), DemoCommand.sample());
    editOnThePrimary("Directories", "LockFiles", "\\\\nas01\\mail\\LockFiles\\");
    cluster.awaitOrFail(
        () -> AgentCluster.read(file("mx2")).contains(NEW_LOCKS),
        "an edit under the limit reaching mx2",
        "mx1");
  }

  @Test
  void aPrimaryWhoseIniFileIsOverTheLimitAtStartDoesNotStartAndSaysWhy() throws Exception {
    cluster.configure(
        "mx1",
        "role = primary",
        "listen = " + cluster.agent("mx1").address(),
        "status.listen = " + cluster.agent("mx1").statusAddress(),
        "limits.value = 1000",
        "limits.file = 2000");
    Files.write(file("mx1"), ("[Big]\r\nValue=" + "x".repeat(3000) + "\r\n").getBytes());
    Process mx1 = cluster.start("mx1");
    assertTrue(mx1.waitFor(60, TimeUnit.SECONDS), "mx1 did not stop\n" + cluster.console("mx1"));
    String console = cluster.console("mx1") + AgentCluster.readUtf8(home.resolve("mx1/stdout.txt"));
    assertTrue(mx1.exitValue() != 0, console);
    assertTrue(console.contains("more than the limit of 2000 for one file"), console);
    assertTrue(console.contains("MDaemon.ini has 3015 bytes"), console);
  }

  // ---- faults -------------------------------------------------------------------------------

  /**
   * Makes {@code dir} refuse writes: new files by {@code chmod 555}, or as root by {@code chattr
   * +i}; with {@code andItsFiles}, as root its files too (a process keeps writing to files it has
   * open whatever their permission bits, but not once they are immutable).
   */
  private void refuseWrites(Path dir, boolean andItsFiles) throws IOException {
    Set<PosixFilePermission> before = Files.getPosixFilePermissions(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
    cleanups.add(() -> setPermissions(dir, before));
    if (refusesNewFiles(dir) && !andItsFiles) {
      System.out.println("retry test: " + dir + " made read-only by chmod 555");
      return;
    }
    setPermissions(dir, before);
    List<String> command = new ArrayList<>(List.of("chattr"));
    if (andItsFiles) {
      command.add("-R");
    }
    command.add("+i");
    command.add(dir.toString());
    int status = run(command);
    List<String> undo = new ArrayList<>(command);
    undo.set(undo.indexOf("+i"), "-i");
    cleanups.add(0, () -> run(undo));
    if (status != 0 || !refusesNewFiles(dir)) {
      fail(
          "cannot make "
              + dir
              + " refuse writes here: "
              + (andItsFiles
                  ? "files a process holds open refuse writes only once immutable, and"
                  : "permission bits are not enforced (running as root), and")
              + " chattr +i failed with status "
              + status
              + "; run the tests where chattr +i is allowed");
    }
    System.out.println("retry test: " + dir + " made immutable by " + String.join(" ", command));
  }

  private static void setPermissions(Path dir, Set<PosixFilePermission> perms) {
    try {
      Files.setPosixFilePermissions(dir, perms);
    } catch (IOException e) {
      throw new IllegalStateException("could not restore " + dir, e);
    }
  }

  private static boolean refusesNewFiles(Path dir) {
    Path probe = dir.resolve("probe");
    try {
      Files.createFile(probe);
      Files.delete(probe);
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static int run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().transferTo(OutputStream.nullOutputStream());
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1; // no chattr here
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
