package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoggingTest {
  @AfterEach
  void quiet() {
    Logging.console(Level.WARN);
  }

  @Test
  void warningsThatGrpcLogsThroughJavaUtilLoggingReachTheLogFile(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("node.log");
    Logging.consoleAndFile(Level.INFO, file);
    Logger grpc = Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport");
    grpc.warning("connection reset by peer 10.0.0.12:50412");
    grpc.fine("a frame was read"); // below WARN for io.grpc: not logged
    Logging.stop();
    String log = Files.readString(file, StandardCharsets.UTF_8);
    assertTrue(log.contains("WARN"), log);
    assertTrue(log.contains("connection reset by peer 10.0.0.12:50412"), log);
    assertFalse(log.contains("a frame was read"), log);
  }
}
