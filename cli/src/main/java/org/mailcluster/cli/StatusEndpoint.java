package org.mailcluster.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.mailcluster.Diagnostics;
import org.mailcluster.membership.NodeAddress;

/**
 * The node agent's status endpoint: {@code GET /diagnostics} answers the node's {@link Diagnostics}
 * as JSON, on a loopback address only.
 *
 * <p>Why plain HTTP on loopback rather than a cluster service over gRPC: {@code
 * ClusterService.call} serves registered servers holding a certificate from the cluster CA, and
 * {@code mailcluster status} is neither; it must also answer when the node cannot reach its peers,
 * which is exactly when an operator asks. The endpoint is read-only and carries no secret (the same
 * facts go to the log file), and binding to loopback keeps it to people logged on to the machine.
 */
final class StatusEndpoint implements AutoCloseable {
  static final String PATH = "/diagnostics";
  private final HttpServer server;

  private StatusEndpoint(HttpServer server) {
    this.server = server;
  }

  /** Starts serving on {@code address} (port 0 picks a free one). */
  static StatusEndpoint start(NodeAddress address, Supplier<Diagnostics> diagnostics) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(address.host(), address.port()), 8);
    } catch (IOException e) {
      throw new InputException(
          "cannot serve status on " + address + ": " + e.getMessage(),
          "another program uses that port: choose another status.listen",
          e);
    }
    server.createContext(
        "/",
        exchange -> {
          try {
            if (!exchange.getRequestMethod().equals("GET")
                || !exchange.getRequestURI().getPath().equals(PATH)) {
              send(exchange, 404, "{\"error\":\"GET " + PATH + " is the only resource\"}");
            } else {
              send(exchange, 200, DiagnosticsView.toJsonText(diagnostics.get()));
            }
          } catch (RuntimeException e) {
            send(exchange, 500, "{\"error\":\"" + e.getClass().getSimpleName() + "\"}");
          } finally {
            exchange.close();
          }
        });
    server.start();
    return new StatusEndpoint(server);
  }

  /** Returns where it listens. */
  NodeAddress address() {
    InetSocketAddress a = server.getAddress();
    return NodeAddress.of(a.getAddress().getHostAddress(), a.getPort());
  }

  private static void send(HttpExchange exchange, int status, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try {
      exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
