package org.mailcluster.transport.grpc.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mailcluster.transport.grpc.process.Processes.awaitCondition;
import static org.mailcluster.transport.grpc.process.Processes.freePorts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority;

/**
 * The primary of a two-JVM cluster (mutual TLS, fsync per commit) is killed with SIGKILL at random
 * points of a commit stream, again and again, and restarted on the same state directory and port.
 * After each restart: the state files load (the node starts), every commit it acknowledged in any
 * cycle is there with its value, what survived of each stream is a prefix of it, and the secondary,
 * which keeps running throughout, converges to the same revision and fingerprint.
 *
 * <p>{@code -Dmailcluster.crash.cycles=N} sets the number of cycles (20 by default); {@code
 * -Dmailcluster.crash.seed=S} replays the kill points of an earlier run, whose seed the test
 * prints.
 */
@Tag("process")
class CrashCyclesTest {
  private static final Duration START = Duration.ofSeconds(40);
  private static final Duration ANSWER = Duration.ofSeconds(20);
  private static final Duration CONVERGE = Duration.ofSeconds(40);
  private static final String PREFIX = "setting/cycles/c";

  /** Longer than any cycle runs: the kill always comes mid-stream. */
  private static final int STREAM_COUNT = 100_000;

  private static final int WINDOW = 16;

  /** At most this many acknowledgements before the kill (uniformly from 0). */
  private static final int MAX_ACKS_BEFORE_KILL = 300;

  private final List<ChildNode> children = new ArrayList<>();

  @TempDir Path dir;

  @AfterEach
  void killChildren() {
    children.forEach(ChildNode::close);
  }

  @Test
  void everyAcknowledgedCommitSurvivesRepeatedKillMinusNineOfThePrimary() throws Exception {
    int cycles = Integer.getInteger("mailcluster.crash.cycles", 20);
    long seed = Long.getLong("mailcluster.crash.seed", System.nanoTime());
    System.out.println(
        "crash cycles: seed "
            + seed
            + " (replay with -Dmailcluster.crash.seed="
            + seed
            + "), "
            + cycles
            + " cycles");
    try {
      scenario(cycles, new Random(seed));
    } catch (Throwable t) {
      System.err.println("crash cycles failed with seed " + seed);
      report();
      throw t;
    }
  }

  private void scenario(int cycles, Random random) throws Exception {
    long t0 = System.nanoTime();
    int[] ports = freePorts(2);
    ClusterCertificateAuthority ca = ClusterCertificateAuthority.create("crash-cycles");
    for (String id : List.of("mx1", "mx2")) {
      ca.issue(NodeId.of(id), List.of("127.0.0.1")).writeTo(dir.resolve("certs").resolve(id));
      Files.createDirectories(dir.resolve(id).resolve("App"));
    }
    List<String> primaryArgs =
        Processes.args(dir, "mx1", "primary", ports[0], "--server", "mx2=127.0.0.1:" + ports[1]);
    ChildNode primary = start("mx1", primaryArgs);
    assertTrue(primary.next("start", START).startsWith("ready mx1 primary"), primary::toString);
    ChildNode secondary =
        start(
            "mx2",
            Processes.args(
                dir, "mx2", "secondary", ports[1], "--primary", "127.0.0.1:" + ports[0]));
    assertTrue(secondary.next("start", START).startsWith("ready mx2"), secondary::toString);
    assertTrue(secondary.ask("synced", START).startsWith("synced "), secondary::toString);

    // Every acknowledged commit of every cycle, and how far each stream got.
    Map<String, String> acked = new HashMap<>();
    long ackedTotal = 0;
    long survivedUnacked = 0;
    long restartMillis = 0;
    Revision lastAcked = Revision.INITIAL;
    for (int cycle = 1; cycle <= cycles; cycle++) {
      String prefix = PREFIX + cycle + "/k";
      int killAfter = random.nextInt(MAX_ACKS_BEFORE_KILL + 1);
      assertEquals(
          "streaming", primary.ask("stream " + prefix + " " + STREAM_COUNT + " " + WINDOW, ANSWER));
      ChildNode streaming = primary;
      awaitCondition(
          "cycle " + cycle + ": " + killAfter + " acknowledgements before the kill",
          () -> streaming.streamLines().size() >= killAfter,
          CONVERGE);
      primary.killMinusNine(ANSWER);
      int ackedThisCycle = 0;
      for (String line : primary.streamLines()) {
        String[] w = line.split(" ");
        assertEquals("acked", w[0], "cycle " + cycle + ": the stream failed before the kill");
        acked.put(w[1], w[2]);
        ackedThisCycle++;
        Revision r = Revision.parse(w[3]);
        lastAcked = r.compareTo(lastAcked) > 0 ? r : lastAcked;
      }
      ackedTotal += ackedThisCycle;

      long killedAt = System.nanoTime();
      primary = start("mx1-" + cycle, primaryArgs);
      String ready = primary.next("restart", START);
      assertTrue(ready.startsWith("ready mx1 primary"), "cycle " + cycle + ": " + ready);
      restartMillis += TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      Revision recovered = primary.revision(ANSWER);
      assertTrue(
          recovered.compareTo(lastAcked) >= 0,
          "cycle " + cycle + ": back at " + recovered + " but acknowledged " + lastAcked);

      // Every commit acknowledged so far, in any cycle, is there with its value.
      Map<String, String> stored = new HashMap<>();
      for (String line : primary.askLines("dump " + PREFIX, ANSWER)) {
        String[] w = line.split(" ", 3);
        stored.put(w[1], w[2]);
      }
      for (Map.Entry<String, String> e : acked.entrySet()) {
        assertEquals(
            e.getValue(),
            stored.get(e.getKey()),
            "cycle " + cycle + ": acknowledged " + e.getKey() + " after the restart");
      }
      // What survived of this cycle's stream is a prefix of it: no later commit without an
      // earlier one. (Commits in flight at the kill may survive unacknowledged.)
      int survived = 0;
      while (stored.containsKey(prefix + (survived + 1))) {
        survived++;
        assertEquals("v" + survived, stored.get(prefix + survived));
      }
      for (String key : stored.keySet()) {
        if (key.startsWith(prefix)) {
          int n = Integer.parseInt(key.substring(prefix.length()));
          assertTrue(
              n <= survived, "cycle " + cycle + ": " + key + " survived without k" + survived + 1);
        }
      }
      assertTrue(survived >= ackedThisCycle, "cycle " + cycle + ": " + survived + " survived");
      survivedUnacked += survived - ackedThisCycle;

      // The secondary, which never stopped, converges on the restarted primary.
      String expected = primary.ask("fingerprint", ANSWER);
      assertTrue(expected.startsWith("fingerprint "), expected);
      awaitCondition(
          "cycle " + cycle + ": mx2 converges to " + expected,
          () -> secondary.ask("fingerprint", ANSWER).equals(expected),
          CONVERGE);
    }

    // A last commit after all the crashes, and both nodes agree on it.
    String after = primary.ask("commit setting/cycles/after done", ANSWER);
    assertTrue(after.startsWith("committed "), after);
    String end = primary.ask("fingerprint", ANSWER);
    ChildNode last = primary;
    awaitCondition(
        "mx2 converges to " + end,
        () -> secondary.ask("fingerprint", ANSWER).equals(end),
        CONVERGE);
    assertEquals(
        acked.size() + survivedUnacked,
        (long) secondary.askLines("dump " + PREFIX, ANSWER).size(),
        "keys on mx2");
    for (ChildNode node : List.of(secondary, last)) {
      for (String line : node.askLines("events", ANSWER)) {
        assertFalse(line.startsWith("event ERROR"), node.name() + " reported " + line);
      }
      assertEquals("bye", node.ask("quit", ANSWER), node.name() + " did not close");
      assertTrue(node.process().waitFor(ANSWER.toSeconds(), TimeUnit.SECONDS), node.name());
      assertEquals(0, node.process().exitValue(), node.name() + "'s exit status");
    }
    System.out.printf(
        "crash cycles: %d kill -9 of the primary, %d commits acknowledged and all %d found after"
            + " every restart (%d more in flight at a kill survived), no commit lost, no corrupt"
            + " file; mean restart %d ms; secondary converged %d times, last at %s; %d ms in"
            + " all%n",
        cycles,
        ackedTotal,
        acked.size(),
        survivedUnacked,
        restartMillis / Math.max(1, cycles),
        cycles + 1,
        end.split(" ")[1],
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  private ChildNode start(String name, List<String> arguments) {
    ChildNode child = ChildNode.start(name, arguments);
    children.add(child);
    return child;
  }

  private void report() {
    for (ChildNode child : children) {
      System.err.println("==== " + child + ": standard output (last lines) ====");
      List<String> out = child.transcript();
      out.subList(Math.max(0, out.size() - 50), out.size()).forEach(System.err::println);
      System.err.println("==== " + child + ": standard error ====");
      child.stderr().forEach(System.err::println);
    }
  }
}
