package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.runtime.SystemScheduler;

/**
 * An OutOfMemoryError on a node's loop stops the agent's JVM with exit code 6 and a clear message,
 * instead of leaving a process that looks alive but answers nothing: a JVM with 32 MB of heap runs
 * the agent's uncaught-exception handler and a {@link SystemScheduler} task that fills the heap.
 */
@Tag("process")
class FatalErrorProcessTest {
  @TempDir Path dir;

  /** The JVM under test: the agent's handler, then a loop task that runs out of memory. */
  public static void main(String[] args) throws InterruptedException {
    Thread.setDefaultUncaughtExceptionHandler(NodeCommand::uncaught);
    SystemScheduler scheduler = SystemScheduler.create("mx1");
    scheduler.execute(
        () -> {
          List<byte[]> hog = new ArrayList<>();
          while (true) {
            hog.add(new byte[1 << 20]);
          }
        });
    new CountDownLatch(1).await(); // the process must end by the handler, not by returning
  }

  @Test
  void anOutOfMemoryErrorOnTheNodesLoopEndsTheProcessWithExitCodeSix() throws Exception {
    Path console = dir.resolve("console.txt");
    Process p =
        new ProcessBuilder(
                System.getProperty("java.home") + "/bin/java",
                "-Xmx32m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                FatalErrorProcessTest.class.getName())
            .redirectErrorStream(true)
            .redirectOutput(console.toFile())
            .start();
    try {
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process did not end");
      String text = AgentCluster.readUtf8(console);
      assertEquals(Main.FATAL, p.exitValue(), text);
      assertTrue(text.contains("mailcluster node: fatal java.lang.OutOfMemoryError"), text);
      assertTrue(text.contains("in thread mailcluster-mx1; exiting with code 6"), text);
    } finally {
      p.destroyForcibly();
    }
  }
}
