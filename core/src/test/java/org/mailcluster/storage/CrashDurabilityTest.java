package org.mailcluster.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.StateStore;

/**
 * Kills a real appending JVM with SIGKILL and checks that every revision it acknowledged (printed
 * after {@code append} returned) is recovered. A process kill keeps what reached the kernel, so
 * this checks the write path and recovery, not the fsync calls (that would take a power cut).
 */
@Tag("process")
class CrashDurabilityTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir Path tmp;

  private Process start(Path stderr, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(StoreChild.class.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return "(cannot read " + p + ": " + e + ")";
    }
  }

  @Test
  void everyAcknowledgedRevisionSurvivesKillMinusNine() throws Exception {
    long seed = Long.getLong("crash.seed", System.nanoTime());
    System.out.println(
        "crash durability seed = " + seed + " (rerun with -Dcrash.seed=" + seed + ")");
    Random random = new Random(seed);
    Path dir = tmp.resolve("state");
    TreeSet<Revision> acked = new TreeSet<>();
    int cycles = 6;
    int repairs = 0;
    for (int cycle = 0; cycle < cycles; cycle++) {
      FsyncPolicy policy = cycle % 2 == 0 ? FsyncPolicy.PER_COMMIT : FsyncPolicy.GROUP;
      int target = 20 + random.nextInt(250);
      Path stderr = tmp.resolve("stderr-" + cycle + ".txt");
      Process p = start(stderr, "append", dir.toString(), policy.name(), "" + random.nextLong());
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
      List<String> seen = new ArrayList<>();
      int[] count = {0};
      assertTimeoutPreemptively(
          DEADLINE,
          () -> {
            while (count[0] < target) {
              String line = out.readLine();
              if (line == null) {
                fail("child exited early (" + seen + "): " + read(stderr));
              }
              seen.add(line);
              if (line.startsWith("ACK ")) {
                acked.add(Revision.parse(line.substring(4)));
                count[0]++;
              }
            }
          });
      p.destroyForcibly();
      assertTrue(p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS), "child did not die");
      // Process.destroyForcibly() also closes our end of the pipe, so ACK lines the child printed
      // after the last one read here are not seen: the check covers every acknowledgement read.
      out.close();

      try (FileStateStore s = FileStateStore.builder(dir).build()) {
        StateStore.Recovered r = s.recover();
        repairs += r.repairs().size();
        for (String repair : r.repairs()) {
          System.out.println("crash durability cycle " + cycle + ": " + repair);
        }
        ConfigSnapshot state = r.replay();
        for (Revision rev : acked) {
          assertEquals(
              Optional.of(StoreChild.valueFor(rev)),
              state.get(StoreChild.keyFor(rev)),
              "acknowledged " + rev + " lost in cycle " + cycle + " (seed " + seed + ")");
        }
        assertTrue(state.revision().compareTo(acked.last()) >= 0, "recovered " + state.revision());
        // Nothing but acknowledged or in-flight entries: the state holds exactly one key per
        // revision, in one unbroken chain.
        int blob = state.containsKey(StoreChild.BLOB_KEY) ? 1 : 0;
        assertEquals(state.size() - blob, countRevisionsUpTo(state.revision(), acked, state));
      }
    }
    System.out.println(
        "crash durability: "
            + cycles
            + " kill -9 cycles, "
            + acked.size()
            + " acknowledged revisions checked after every restart, "
            + repairs
            + " repairs (torn tails dropped), seed "
            + seed);
  }

  /** Counts keys of the form the child writes; each must belong to a revision it appended. */
  private static int countRevisionsUpTo(
      Revision last, TreeSet<Revision> acked, ConfigSnapshot state) {
    int[] n = {0};
    state.forEach(
        (k, v) -> {
          if (k.equals(StoreChild.BLOB_KEY)) {
            assertTrue(v.startsWith("blob "), "blob value starts " + v.substring(0, 20));
            return;
          }
          assertTrue(k.startsWith("setting/crash/e"), k);
          String[] parts = k.substring("setting/crash/e".length()).split("s");
          Revision r = Revision.of(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
          assertTrue(r.compareTo(last) <= 0, r + " after " + last);
          assertEquals(StoreChild.valueFor(r), v, "value of " + k);
          n[0]++;
        });
    return n[0];
  }

  @Test
  void aSecondProcessCannotOpenALockedDirectory() throws Exception {
    Path dir = tmp.resolve("state");
    Path stderr = tmp.resolve("stderr-hold.txt");
    Process p = start(stderr, "hold", dir.toString());
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
    assertEquals("LOCKED", assertTimeoutPreemptively(DEADLINE, out::readLine), () -> read(stderr));
    ClusterException e =
        assertTimeoutPreemptively(
            DEADLINE,
            () -> {
              try (FileStateStore s = FileStateStore.builder(dir).build()) {
                return fail("opened a directory another process holds: " + s);
              } catch (ClusterException refused) {
                return refused;
              }
            });
    assertEquals(ErrorCode.STORAGE_FAILURE, e.code());
    assertTrue(e.getMessage().contains("is in use by another process"), e.getMessage());
    p.getOutputStream().close();
    assertTrue(p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), () -> read(stderr));
    try (FileStateStore s = FileStateStore.builder(dir).build()) {
      s.recover();
    }
  }

  /**
   * A real short write: under a file-size limit ({@code ulimit -f}) the kernel stores part of a
   * record and then refuses the rest with EFBIG, as on a full disk.
   */
  @Test
  void aShortWriteFailsTheAppendAndLosesNothingAcknowledged() throws Exception {
    Path dir = tmp.resolve("state");
    Path stderr = tmp.resolve("stderr-fill.txt");
    List<String> cmd = new ArrayList<>();
    cmd.add("/bin/sh");
    cmd.add("-c");
    cmd.add("ulimit -f 64 && exec \"$0\" \"$@\"");
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(StoreChild.class.getName());
    cmd.add("fill");
    cmd.add(dir.toString());
    Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
    List<String> lines = new ArrayList<>();
    assertTimeoutPreemptively(
        DEADLINE,
        () -> {
          BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
          for (String line = out.readLine(); line != null; line = out.readLine()) {
            lines.add(line);
          }
        });
    assertTrue(p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), () -> read(stderr));
    TreeSet<Revision> acked = new TreeSet<>();
    String failed = null;
    String failedAgain = null;
    for (String line : lines) {
      if (line.startsWith("ACK ")) {
        acked.add(Revision.parse(line.substring(4)));
      } else if (line.startsWith("FAILED ")) {
        failed = line;
      } else if (line.startsWith("FAILED-AGAIN ")) {
        failedAgain = line;
      }
    }
    assertTrue(acked.size() > 10, lines.toString());
    assertTrue(failed != null && failed.contains("STORAGE_FAILURE"), lines.toString());
    assertTrue(failed.startsWith("FAILED " + acked.last() + " "), failed);
    assertTrue(failed.contains("none of them was stored"), failed);
    assertTrue(failed.contains("File too large"), failed);
    assertEquals("FAILED-AGAIN " + acked.last() + " STORAGE_FAILURE", failedAgain);
    Path segment = StoreFixtures.segments(dir).get(0);
    assertTrue(Files.size(segment) <= 64 * 512, "segment size " + Files.size(segment));

    // Without the limit the fault is gone: everything acknowledged is there, nothing to repair,
    // and appends work again.
    try (FileStateStore s = FileStateStore.builder(dir).build()) {
      StateStore.Recovered r = s.recover();
      assertEquals(List.of(), r.repairs());
      assertEquals(acked.last(), s.lastRevision());
      assertEquals(acked.size(), r.entries().size());
      Revision next = acked.last().next();
      s.append(List.of(StoreChild.entryFor(next)));
      assertEquals(next, s.lastRevision());
    }
    System.out.println(
        "short write: " + acked.size() + " acknowledged before the limit; child said: " + failed);
  }
}
