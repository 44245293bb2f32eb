package org.mailcluster.transport.grpc.process;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/** What the multi-process tests share: node arguments, free ports, waiting for a condition. */
final class Processes {
  private Processes() {}

  /** The {@link NodeProcess} arguments of a node whose files live under {@code dir/<id>}. */
  static List<String> args(Path dir, String id, String role, int port, String... more) {
    List<String> out = new ArrayList<>();
    out.addAll(
        List.of(
            "--id",
            id,
            "--role",
            role,
            "--port",
            Integer.toString(port),
            "--state",
            dir.resolve(id).resolve("Cluster").toString(),
            "--app",
            dir.resolve(id).resolve("App").toString(),
            "--certs",
            dir.resolve("certs").resolve(id).toString()));
    out.addAll(List.of(more));
    return out;
  }

  /** Distinct ports free right now (held open together, so no two are the same). */
  static int[] freePorts(int n) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket socket = new ServerSocket(0);
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : sockets) {
        try {
          s.close();
        } catch (IOException e) {
          // already closed: nothing to free
        }
      }
    }
  }

  /** Polls a condition every 20 ms until it holds; fails naming it after the timeout. */
  static void awaitCondition(String what, Supplier<Boolean> condition, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.get()) {
      if (System.nanoTime() - end > 0) {
        fail("timed out after " + timeout + " waiting until " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }
}
