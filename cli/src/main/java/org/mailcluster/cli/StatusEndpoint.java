package org.mailcluster.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.Diagnostics;
import org.mailcluster.clock.ClockState;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;

/**
 * The node agent's status endpoint, on a loopback address only. What it serves with {@code GET}
 * changes nothing:
 *
 * <ul>
 *   <li>{@code GET /diagnostics}: the node's {@link Diagnostics} as JSON;
 *   <li>{@code GET /history}: the retained revisions, oldest first: revision, time, origin and
 *       number of changes;
 *   <li>{@code GET /diff?from=1:40&to=1:42}: the {@code ConfigDiff} between two retained revisions
 *       as JSON; {@code 400} with {@code {"error": …}} if one is not retained;
 *   <li>{@code GET /clocks}: checks every peer's clock now and answers the {@code ClockState}s (the
 *       last periodic figures if the check takes longer than ten seconds).
 * </ul>
 *
 * <p>The operator's actions are {@code POST}s that must carry the agent's token ({@code
 * Authorization: Bearer <token>}), which the agent writes at start to {@value #TOKEN_FILE} in its
 * state directory, readable by its own user only: so only that user (or root) can act on the node,
 * not everyone logged on to the machine.
 *
 * <ul>
 *   <li>{@code POST /recover?from=mx2}: recovers this primary from {@code mx2} (or, without {@code
 *       from}, from the registered server with the newest state); answers the revision recovered;
 *   <li>{@code POST /confirm?file=MDaemon.ini&caller=cli:admin}: confirms the change of that file
 *       the primary holds back ({@code ClusterService.confirmHeldBack}) and answers {@code
 *       {"revision": "1:7"}} once it is committed; {@code 400} with {@code {"error": …}} if nothing
 *       of that file is held back or this node is a secondary (the message names the primary).
 * </ul>
 *
 * <p>Why plain HTTP on loopback rather than a cluster service over gRPC: {@code
 * ClusterService.call} serves registered servers holding a certificate from the cluster CA, and
 * {@code mailcluster status} is neither; it must also answer when the node cannot reach its peers,
 * which is exactly when an operator asks. What it serves with {@code GET} changes nothing and
 * carries no secret (the same facts go to the log file), and binding to loopback keeps it to people
 * logged on to the machine; what changes the node takes the token as well.
 */
final class StatusEndpoint implements AutoCloseable {
  static final String DIAGNOSTICS = "/diagnostics";
  static final String HISTORY = "/history";
  static final String DIFF = "/diff";
  static final String CLOCKS = "/clocks";
  static final String RECOVER = "/recover";
  static final String CONFIRM = "/confirm";
  static final String TOKEN_FILE = "status.token";
  private static final Duration RECOVERY_LIMIT = Duration.ofMinutes(2);
  private static final Duration CONFIRM_LIMIT = Duration.ofSeconds(30);
  private static final Duration CLOCK_CHECK_LIMIT = Duration.ofSeconds(10);
  private final HttpServer server;

  private StatusEndpoint(HttpServer server) {
    this.server = server;
  }

  /**
   * Writes a new random token to {@value #TOKEN_FILE} in {@code stateDirectory}, readable by this
   * user only, and returns it.
   */
  static String writeToken(Path stateDirectory) {
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String token = HexFormat.of().formatHex(random);
    Path file = stateDirectory.resolve(TOKEN_FILE);
    try {
      Files.deleteIfExists(file);
      if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      }
      Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InputException(
          "cannot write " + file + ": " + e.getMessage(),
          "the state directory must be writable by the user that runs the node",
          e);
    }
    return token;
  }

  /** Reads the token a running agent wrote to {@code stateDirectory}. */
  static String readToken(Path stateDirectory) {
    Path file = stateDirectory.resolve(TOKEN_FILE);
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw InputException.of(
          "cannot read the node's token " + file + ": " + e.getMessage(),
          "run this command on the node's machine as the user that runs the node, with --config");
    }
  }

  /** Starts serving {@code node}'s status on {@code address} (port 0 picks a free one). */
  static StatusEndpoint start(NodeAddress address, ClusterService node, String token) {
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
            String path = exchange.getRequestURI().getPath();
            if (exchange.getRequestMethod().equals("POST") && path.equals(RECOVER)) {
              if (authorized(exchange, token)) {
                recover(exchange, node);
              }
            } else if (exchange.getRequestMethod().equals("POST") && path.equals(CONFIRM)) {
              if (authorized(exchange, token)) {
                confirm(exchange, node);
              }
            } else if (!exchange.getRequestMethod().equals("GET")) {
              send(
                  exchange,
                  405,
                  error("only GET is served, and POST " + RECOVER + " and " + CONFIRM));
            } else if (path.equals(DIAGNOSTICS)) {
              send(exchange, 200, DiagnosticsView.toJsonText(node.diagnostics()));
            } else if (path.equals(HISTORY)) {
              send(exchange, 200, history(node));
            } else if (path.equals(DIFF)) {
              diff(exchange, node);
            } else if (path.equals(CLOCKS)) {
              clocks(exchange, node);
            } else {
              send(
                  exchange,
                  404,
                  error(
                      "the resources are "
                          + String.join(
                              ", ", DIAGNOSTICS, HISTORY, DIFF, CLOCKS, RECOVER, CONFIRM)));
            }
          } catch (RuntimeException e) {
            send(exchange, 500, error(e.getClass().getSimpleName()));
          } finally {
            exchange.close();
          }
        });
    // Two threads: a clock check that waits for slow peers must not hold up a status request.
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "mailcluster-status");
              t.setDaemon(true);
              return t;
            }));
    server.start();
    return new StatusEndpoint(server);
  }

  private static boolean authorized(HttpExchange exchange, String token) {
    String given = exchange.getRequestHeaders().getFirst("Authorization");
    byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    if (given != null && MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
      return true;
    }
    send(
        exchange,
        403,
        error(
            "this action needs the node's token from "
                + TOKEN_FILE
                + " in its state directory: run the command with --config on the node's machine"
                + " as the user that runs the node"));
    return false;
  }

  private static void recover(HttpExchange exchange, ClusterService node) {
    String from = query(exchange.getRequestURI().getRawQuery()).get("from");
    String caller = "cli:" + System.getProperty("user.name", "operator");
    try {
      var recovering =
          from == null || from.isBlank()
              ? node.recover(caller)
              : node.recoverFrom(NodeId.of(from.strip()), caller);
      Revision at = recovering.get(RECOVERY_LIMIT.toSeconds(), TimeUnit.SECONDS);
      send(
          exchange,
          200,
          DiagnosticsView.JSON.writeValueAsString(Map.of("revision", at.toString())));
    } catch (IllegalArgumentException e) {
      send(exchange, 400, error(e.getMessage()));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      send(
          exchange,
          400,
          error(
              cause instanceof ClusterException ce
                  ? ce.code() + ": " + ce.getMessage()
                  : String.valueOf(cause)));
    } catch (TimeoutException e) {
      send(
          exchange,
          400,
          error("the recovery did not complete within " + RECOVERY_LIMIT + "; see the node's log"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      send(exchange, 400, error("interrupted"));
    }
  }

  private static String history(ClusterService node) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (LogEntry e : node.history()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("revision", e.revision().toString());
      row.put("committedAt", e.committedAt().toString());
      row.put("origin", e.origin());
      row.put("changes", e.diff().size());
      rows.add(row);
    }
    return DiagnosticsView.JSON.writeValueAsString(rows);
  }

  private static void diff(HttpExchange exchange, ClusterService node) {
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    Revision from;
    Revision to;
    try {
      from = Revision.parse(query.getOrDefault("from", ""));
      to = Revision.parse(query.getOrDefault("to", ""));
    } catch (IllegalArgumentException e) {
      send(exchange, 400, error(e.getMessage()));
      return;
    }
    try {
      send(exchange, 200, node.diff(from, to).toJson());
    } catch (ClusterException e) {
      send(exchange, 400, error(e.getMessage()));
    }
  }

  /** Checks the peers' clocks now; the answer is the node's view once every peer answered. */
  private static void clocks(HttpExchange exchange, ClusterService node) {
    List<ClockState> clocks;
    try {
      clocks = node.checkClocks().get(CLOCK_CHECK_LIMIT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // What the node knew before: the periodic checks' figures.
      clocks = node.diagnostics().clocks();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      clocks = node.diagnostics().clocks();
    }
    send(exchange, 200, DiagnosticsView.JSON.writeValueAsString(clocks));
  }

  /** Confirms a held-back change; the answer waits until its revision is committed. */
  private static void confirm(HttpExchange exchange, ClusterService node) {
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    String file = query.getOrDefault("file", "");
    String caller = query.getOrDefault("caller", "");
    if (file.isBlank() || caller.isBlank()) {
      send(exchange, 400, error("name the file and the caller: /confirm?file=…&caller=…"));
      return;
    }
    try {
      Revision r =
          node.confirmHeldBack(file, caller).get(CONFIRM_LIMIT.toSeconds(), TimeUnit.SECONDS);
      send(
          exchange, 200, DiagnosticsView.JSON.writeValueAsString(Map.of("revision", r.toString())));
    } catch (ExecutionException e) {
      String why =
          e.getCause() instanceof ClusterException ce
              ? ce.code() + ": " + ce.getMessage()
              : String.valueOf(e.getCause());
      send(exchange, 400, error(why));
    } catch (TimeoutException e) {
      send(
          exchange,
          503,
          error("the confirmation was not committed within " + CONFIRM_LIMIT.toSeconds() + " s"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      send(exchange, 503, error("interrupted"));
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> result = new HashMap<>();
    if (raw == null) {
      return result;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        result.put(
            pair.substring(0, eq),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return result;
  }

  private static String error(String message) {
    return DiagnosticsView.JSON.writeValueAsString(Map.of("error", message));
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
