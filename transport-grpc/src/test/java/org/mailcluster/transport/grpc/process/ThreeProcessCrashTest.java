package org.mailcluster.transport.grpc.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mailcluster.transport.grpc.process.Processes.awaitCondition;
import static org.mailcluster.transport.grpc.process.Processes.freePorts;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority;

/**
 * Three nodes in three JVMs on 127.0.0.1, talking gRPC with mutual TLS, each with its own state
 * directory (fsync per commit) and INI directory. A commit on the primary reaches both secondaries;
 * then the primary is killed with SIGKILL while it commits and streams, restarted on the same state
 * directory and port, and the test checks that every revision it acknowledged before the kill is
 * still there with its value, that the secondaries lost nothing either, and that all three converge
 * to the same revision and fingerprint with no error on the way. Then a secondary is killed the
 * same way while it applies a second stream, restarted, and catches up.
 */
@Tag("process")
class ThreeProcessCrashTest {
  private static final Charset CP1252 = Charset.forName("windows-1252");
  private static final Duration START = Duration.ofSeconds(40);
  private static final Duration ANSWER = Duration.ofSeconds(20);
  private static final Duration CONVERGE = Duration.ofSeconds(40);
  private static final String LOCK_FILES = "config/MDaemon.ini/Directories/LockFiles";
  private static final String SHARED_LOCK_FILES = "\\\\nas01\\mail\\LockFiles\\";
  private static final String STREAM_PREFIX = "setting/crash/s";
  private static final int STREAM_COUNT = 50_000;
  private static final int STREAM_WINDOW = 16;
  private static final int ACKED_BEFORE_KILL = 300;
  private static final String SECOND_PREFIX = "setting/crash/t";
  private static final int SECOND_COUNT = 1_000;

  private final List<ChildNode> children = new ArrayList<>();

  @TempDir Path dir;

  @AfterEach
  void killChildren() {
    children.forEach(ChildNode::close);
  }

  @Test
  void killingThePrimaryMidStreamLosesNoAcknowledgedRevision() throws Exception {
    try {
      scenario();
    } catch (Throwable t) {
      report();
      throw t;
    }
  }

  private void scenario() throws Exception {
    long t0 = System.nanoTime();
    int[] ports = freePorts(3);
    ClusterCertificateAuthority ca = ClusterCertificateAuthority.create("crash-test");
    for (String id : List.of("mx1", "mx2", "mx3")) {
      ca.issue(NodeId.of(id), List.of("127.0.0.1")).writeTo(dir.resolve("certs").resolve(id));
      Files.createDirectories(dir.resolve(id).resolve("App"));
    }
    Files.writeString(
        dir.resolve("mx1/App/MDaemon.ini"),
        "[Directories]\r\nLockFiles=C:\\MDaemon\\LockFiles\\\r\n",
        CP1252);
    List<String> primaryArgs =
        Processes.args(
            dir,
            "mx1",
            "primary",
            ports[0],
            "--server",
            "mx2=127.0.0.1:" + ports[1],
            "--server",
            "mx3=127.0.0.1:" + ports[2]);

    // 1. Primary, then two secondaries that sync from it.
    ChildNode mx1 = start("mx1", primaryArgs);
    assertTrue(
        mx1.next("start", START).startsWith("ready mx1 primary"), mx1.transcript()::toString);
    ChildNode mx2 =
        start("mx2", Processes.args(dir, "mx2", "secondary", ports[1], "--primary", at(ports[0])));
    ChildNode mx3 =
        start("mx3", Processes.args(dir, "mx3", "secondary", ports[2], "--primary", at(ports[0])));
    for (ChildNode s : List.of(mx2, mx3)) {
      assertTrue(s.next("start", START).startsWith("ready " + s.name()), s.transcript()::toString);
      assertTrue(s.ask("synced", START).startsWith("synced "), s.transcript()::toString);
    }
    long started = System.nanoTime();

    // 2. A commit on the primary is applied on both secondaries, INI files included.
    String committed = mx1.ask("commit " + LOCK_FILES + " " + SHARED_LOCK_FILES, ANSWER);
    assertTrue(committed.startsWith("committed "), committed);
    Revision first = Revision.parse(committed.substring("committed ".length()));
    for (ChildNode s : List.of(mx2, mx3)) {
      awaitCondition(
          s.name() + " applies " + first,
          () -> s.ask("get " + LOCK_FILES, ANSWER).equals("value " + SHARED_LOCK_FILES),
          CONVERGE);
      awaitCondition(
          s.name() + " writes the value to its MDaemon.ini",
          () -> ini(s.name()).contains("LockFiles=" + SHARED_LOCK_FILES),
          CONVERGE);
    }

    // 3. The primary commits without pause while the secondaries apply; kill it in the middle.
    assertEquals(
        "streaming",
        mx1.ask("stream " + STREAM_PREFIX + " " + STREAM_COUNT + " " + STREAM_WINDOW, ANSWER));
    awaitCondition(
        "the primary acknowledges " + ACKED_BEFORE_KILL + " streamed commits",
        () -> mx1.streamLines().size() >= ACKED_BEFORE_KILL,
        CONVERGE);
    awaitCondition(
        "both secondaries apply streamed commits",
        () -> applied(mx2) > 0 && applied(mx3) > 0,
        CONVERGE);
    long killedAt = System.nanoTime();
    mx1.killMinusNine(ANSWER);
    List<String> streamed = mx1.streamLines();
    Map<String, String> acked = new LinkedHashMap<>();
    Revision lastAcked = Revision.INITIAL;
    for (String line : streamed) {
      String[] w = line.split(" ");
      assertEquals("acked", w[0], "the stream failed before the kill: " + line);
      acked.put(w[1], w[2]);
      Revision r = Revision.parse(w[3]);
      lastAcked = r.compareTo(lastAcked) > 0 ? r : lastAcked;
    }
    assertTrue(acked.size() >= ACKED_BEFORE_KILL, "acknowledged " + acked.size());
    assertTrue(acked.size() < STREAM_COUNT, "the kill came after the stream had ended");

    // 4. While the primary is down, the secondaries keep serving what they applied.
    Map<ChildNode, Revision> atKill = new LinkedHashMap<>();
    for (ChildNode s : List.of(mx2, mx3)) {
      atKill.put(s, s.revision(ANSWER));
      assertEquals("value " + SHARED_LOCK_FILES, s.ask("get " + LOCK_FILES, ANSWER));
    }

    // 5. Restart it on the same state directory and port.
    ChildNode mx1again = start("mx1-restarted", primaryArgs);
    String ready = mx1again.next("restart", START);
    assertTrue(ready.startsWith("ready mx1 primary"), ready);
    long restartedAt = System.nanoTime();
    Revision recovered = mx1again.revision(ANSWER);
    assertTrue(
        recovered.compareTo(lastAcked) >= 0,
        "the restarted primary is at " + recovered + " but acknowledged " + lastAcked);
    atKill.forEach(
        (s, r) ->
            assertTrue(
                recovered.compareTo(r) >= 0,
                s.name() + " had applied " + r + " but the primary came back at " + recovered));

    // Every acknowledged commit is there with its value, and what survived is a prefix of the
    // commits in the order they were made (no later commit without an earlier one).
    Map<String, String> stored = new LinkedHashMap<>();
    for (String line : mx1again.askLines("dump " + STREAM_PREFIX, ANSWER)) {
      String[] w = line.split(" ", 3);
      stored.put(w[1], w[2]);
    }
    acked.forEach(
        (key, value) ->
            assertEquals(
                Optional.of(value),
                Optional.ofNullable(stored.get(key)),
                "acknowledged " + key + " after the restart"));
    for (int i = 1; i <= stored.size(); i++) {
      assertEquals("v" + i, stored.get(STREAM_PREFIX + i), "commit " + i + " of the survivors");
    }

    // 6. A new commit, and all three converge on it: same revision, same fingerprint.
    String after = mx1again.ask("commit setting/crash/after restarted", ANSWER);
    assertTrue(after.startsWith("committed "), after);
    Revision last = Revision.parse(after.substring("committed ".length()));
    assertTrue(last.compareTo(recovered) > 0, "new commit " + last + " after " + recovered);
    String expected = mx1again.ask("fingerprint", ANSWER);
    assertEquals("fingerprint " + last, expected.substring(0, expected.lastIndexOf(' ')));
    for (ChildNode s : List.of(mx2, mx3)) {
      awaitCondition(
          s.name() + " converges to " + expected,
          () -> s.ask("fingerprint", ANSWER).equals(expected),
          CONVERGE);
      assertEquals("value restarted", s.ask("get setting/crash/after", ANSWER));
      assertTrue(ini(s.name()).contains("LockFiles=" + SHARED_LOCK_FILES), ini(s.name()));
    }
    long convergedAt = System.nanoTime();

    // 7. A secondary killed the same way while it applies a stream catches up from its own state.
    assertEquals(
        "streaming",
        mx1again.ask("stream " + SECOND_PREFIX + " " + SECOND_COUNT + " " + STREAM_WINDOW, ANSWER));
    awaitCondition(
        "mx3 applies commits of the second stream",
        () -> mx3.askLines("dump " + SECOND_PREFIX, ANSWER).size() >= 20,
        CONVERGE);
    List<String> streamedBeforeKill = mx1again.streamLines();
    mx3.killMinusNine(ANSWER);
    assertFalse(
        streamedBeforeKill.contains("done " + SECOND_COUNT),
        "the kill came after the second stream had ended");
    int streamedBefore = streamedBeforeKill.size();
    ChildNode mx3again =
        start(
            "mx3-restarted",
            Processes.args(dir, "mx3", "secondary", ports[2], "--primary", at(ports[0])));
    assertTrue(mx3again.next("restart", START).startsWith("ready mx3"), mx3again::toString);
    awaitCondition(
        "the second stream ends",
        () -> mx1again.streamLines().contains("done " + SECOND_COUNT),
        CONVERGE);
    String end = mx1again.ask("fingerprint", ANSWER);
    for (ChildNode s : List.of(mx2, mx3again)) {
      awaitCondition(
          s.name() + " converges to " + end,
          () -> s.ask("fingerprint", ANSWER).equals(end),
          CONVERGE);
    }
    assertEquals(
        SECOND_COUNT, mx3again.askLines("dump " + SECOND_PREFIX, ANSWER).size(), "keys on mx3");

    // 8. No errors anywhere: none in the answers, the logs or the nodes' diagnostics.
    for (ChildNode node : List.of(mx2, mx3again, mx1again)) {
      for (String line : node.askLines("events", ANSWER)) {
        assertFalse(line.startsWith("event ERROR"), node.name() + " reported " + line);
      }
    }
    for (ChildNode node : List.of(mx2, mx3again, mx1again)) {
      assertEquals("bye", node.ask("quit", ANSWER), node.name() + " did not close");
      assertTrue(node.process().waitFor(ANSWER.toSeconds(), TimeUnit.SECONDS), node.name());
      assertEquals(0, node.process().exitValue(), node.name() + "'s exit status");
      node.awaitOutputDrained(ANSWER);
    }
    for (ChildNode node : children) {
      for (String line : node.transcript()) {
        assertFalse(
            line.startsWith("error ") || line.startsWith("failed ") || line.startsWith("stream f"),
            node.name() + " answered " + line);
      }
      for (String line : node.stderr()) {
        assertFalse(
            line.contains(" ERROR ") || line.startsWith("SEVERE"), node.name() + " logged " + line);
      }
    }

    System.out.printf(
        "three-process crash test: cluster up in %d ms; %d commits acknowledged before the kill"
            + " (last %s); primary back %d ms after the kill at %s; converged at %s %d ms after"
            + " the restart; secondary killed after %d of %d commits, converged at %s;"
            + " %d ms in all%n",
        millis(started - t0),
        acked.size(),
        lastAcked,
        millis(restartedAt - killedAt),
        recovered,
        last,
        millis(convergedAt - restartedAt),
        streamedBefore,
        SECOND_COUNT,
        end.split(" ")[1],
        millis(System.nanoTime() - t0));
  }

  private ChildNode start(String name, List<String> arguments) {
    ChildNode child = ChildNode.start(name, arguments);
    children.add(child);
    return child;
  }

  /** How many streamed commits a node holds. */
  private static int applied(ChildNode node) {
    return node.askLines("dump " + STREAM_PREFIX, ANSWER).size();
  }

  private String ini(String id) {
    try {
      return Files.readString(dir.resolve(id).resolve("App").resolve("MDaemon.ini"), CP1252);
    } catch (IOException e) {
      return "";
    }
  }

  private static String at(int port) {
    return "127.0.0.1:" + port;
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private void report() {
    for (ChildNode child : children) {
      System.err.println("==== " + child + ": standard output ====");
      child.transcript().stream().limit(400).forEach(System.err::println);
      System.err.println("==== " + child + ": standard error ====");
      child.stderr().forEach(System.err::println);
    }
  }
}
