package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class LoggingTest {
  @AfterEach
  void quiet() {
    Logging.console(Level.WARN);
  }

  @Test
  void warningsThatGrpcLogsThroughJavaUtilLoggingReachTheLogFile(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("node.log");
    Logging.consoleAndFile(Level.INFO, file, Logging.Rotation.defaults());
    Logger grpc = Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport");
    grpc.warning("connection reset by peer 10.0.0.12:50412");
    grpc.fine("a frame was read"); // below WARN for io.grpc: not logged
    Logging.stop();
    String log = Files.readString(file, StandardCharsets.UTF_8);
    assertTrue(log.contains("WARN"), log);
    assertTrue(log.contains("connection reset by peer 10.0.0.12:50412"), log);
    assertFalse(log.contains("a frame was read"), log);
  }

  @Test
  void theLogFileRotatesAtItsSizeAndTheFilesStayWithinTheirCap(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("mailcluster-mx1.log");
    Logging.Rotation rotation = new Logging.Rotation(16 * 1024, 4);
    int lines = 4000;
    // The console gets the same lines: keep them out of the test's output.
    PrintStream console = System.err;
    System.setErr(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
    try {
      Logging.consoleAndFile(Level.INFO, file, rotation);
      org.slf4j.Logger log = LoggerFactory.getLogger("mailcluster.agent");
      // About 600 KB: some 37 rotations of 16 KB. What a flood of refusals would do to the
      // file, in small.
      String padding = "x".repeat(100);
      for (int i = 0; i < lines; i++) {
        log.info("refused a caller without a certificate, line {} {}", i, padding);
        if (i % 100 == 99) {
          // The cap holds at every moment, not only at the end.
          assertWithinCap(dir, rotation);
        }
      }
      Logging.stop();
    } finally {
      System.setErr(console);
    }

    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(
          Set.of(
              "mailcluster-mx1.log",
              "mailcluster-mx1.1.log",
              "mailcluster-mx1.2.log",
              "mailcluster-mx1.3.log"),
          files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
    }
    assertWithinCap(dir, rotation);
    String current = Files.readString(file, StandardCharsets.UTF_8);
    String previous =
        Files.readString(dir.resolve("mailcluster-mx1.1.log"), StandardCharsets.UTF_8);
    String oldest = Files.readString(dir.resolve("mailcluster-mx1.3.log"), StandardCharsets.UTF_8);
    assertTrue(
        current.contains("line " + (lines - 1) + " "), "the newest line is in the live file");
    assertTrue(lastLine(previous) < firstLine(current), "archives are older, in order");
    assertTrue(lastLine(oldest) < firstLine(previous));
    assertFalse(oldest.contains("line 0 "), "the first lines were deleted with their archive");
    // Each archive is a whole file: it was rotated at the size, not cut.
    long archived = Files.size(dir.resolve("mailcluster-mx1.2.log"));
    assertTrue(archived >= rotation.fileBytes(), archived + " bytes");
  }

  private static void assertWithinCap(Path dir, Logging.Rotation rotation) throws IOException {
    long oneLine = 300;
    long total = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        long size = Files.size(p);
        assertTrue(size <= rotation.fileBytes() + oneLine, p + " has " + size + " bytes");
        total += size;
      }
    }
    assertTrue(total <= rotation.totalBytes() + oneLine, "the log takes " + total + " bytes");
  }

  private static int firstLine(String log) {
    return lineNumber(log.lines().findFirst().orElseThrow());
  }

  private static int lastLine(String log) {
    return lineNumber(log.lines().reduce((a, b) -> b).orElseThrow());
  }

  private static int lineNumber(String line) {
    Matcher m = Pattern.compile(" line (\\d+) ").matcher(line);
    assertTrue(m.find(), line);
    return Integer.parseInt(m.group(1));
  }

  @Test
  void theRotationSettingsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> new Logging.Rotation(100, 10));
    assertThrows(IllegalArgumentException.class, () -> new Logging.Rotation(1 << 20, 1));
    assertThrows(IllegalArgumentException.class, () -> new Logging.Rotation(1 << 20, 22));
    assertEquals(
        Path.of("/var/log/mailcluster-mx1.%i.log").toString(),
        Logging.archivePattern(Path.of("/var/log/mailcluster-mx1.log")));
    assertEquals(
        Path.of("/var/log/agent.%i").toString(), Logging.archivePattern(Path.of("/var/log/agent")));
  }
}
