package org.mailcluster.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.Diagnostics;
import org.mailcluster.PromotionOptions;
import org.mailcluster.cli.StatusHttpServer.Request;
import org.mailcluster.cli.StatusHttpServer.Response;
import org.mailcluster.clock.ClockState;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;

/**
 * The node agent's status endpoint: plain HTTP on the address {@code status.listen} names, served
 * by a {@link StatusHttpServer} (bounded connections, deadlines for reading a request and writing
 * its answer). What it serves with {@code GET} changes nothing:
 *
 * <ul>
 *   <li>{@code GET /diagnostics}: the node's {@link Diagnostics} as JSON;
 *   <li>{@code GET /history}: the retained revisions, oldest first: revision, time, origin and
 *       number of changes;
 *   <li>{@code GET /diff?from=1:40&to=1:42}: the {@code ConfigDiff} between two retained revisions
 *       as JSON; {@code 400} with {@code {"error": …}} if one is not retained;
 *   <li>{@code GET /clocks}: the peers' {@code ClockState}s from a check of every peer's clock. At
 *       most one check starts per {@value #CLOCK_CHECK_INTERVAL_SECONDS} seconds, since each makes
 *       the node contact every peer: a request meanwhile shares the check under way or gets the
 *       last one's result, with an {@code Age} header in seconds. A check that takes longer than
 *       ten seconds is answered with the last periodic figures.
 * </ul>
 *
 * <p>The operator's actions are {@code POST}s that must carry the agent's token ({@code
 * Authorization: Bearer <token>}), which the agent writes at start to {@value #TOKEN_FILE} in its
 * state directory, readable by its own user only: so only that user (or root) can act on the node,
 * not everyone logged on to the machine. One action runs at a time; another meanwhile is answered
 * {@code 409}. Each answers {@code 200} with JSON once done, {@code 400} with {@code {"error": …}}
 * when the node refuses (the message says why and what to do), {@code 503} when it did not finish
 * in time.
 *
 * <ul>
 *   <li>{@code POST /recover?from=mx2&caller=cli:admin}: recovers this primary from {@code mx2}
 *       (or, without {@code from}, from the registered server with the newest state); answers
 *       {@code {"revision": "3:1"}};
 *   <li>{@code POST /confirm?file=MDaemon.ini&caller=cli:admin}: confirms the change of that file
 *       the primary holds back ({@code ClusterService.confirmHeldBack}) and answers {@code
 *       {"revision": "1:7"}} once it is committed;
 *   <li>{@code POST /promote?force=false}: promotes this secondary ({@code
 *       ClusterService.promote}); answers {@code {"revision": "2:1"}}, the first revision of its
 *       epoch;
 *   <li>{@code POST /resync?node=mx2}: a full resynchronization of {@code mx2} ({@code
 *       ClusterService.resync}), on the primary or on that node; answers {@code {"node": "mx2"}};
 *   <li>{@code POST /rollback?to=1:40&caller=cli:admin}: on the primary, restores the configuration
 *       of revision {@code 1:40} as a new revision; answers {@code {"revision": "1:44"}}.
 * </ul>
 *
 * <p>Every request must name the endpoint's own address in its {@code Host} header ({@code
 * 127.0.0.1:7480}, {@code localhost:7480} or {@code [::1]:7480} on loopback), or it is answered
 * {@code 421} with no data: a web page that an operator's browser opens cannot reach it under a
 * host name of its own (DNS rebinding) and read {@code /diff}, which carries whole values.
 *
 * <p>On loopback, reading needs no token, which keeps {@code mailcluster status} usable by anyone
 * logged on to the machine (the same facts go to the log file). Bound to any other address, every
 * request, {@code GET}s included, needs the token: the endpoint is then reachable by the network
 * and carries whole configuration values. The token then travels in clear, so such a bind belongs
 * on a management network only.
 *
 * <p>Why plain HTTP rather than a cluster service over gRPC: {@code ClusterService.call} serves
 * registered servers holding a certificate from the cluster CA, and {@code mailcluster status} is
 * neither; it must also answer when the node cannot reach its peers, which is exactly when an
 * operator asks.
 */
final class StatusEndpoint implements AutoCloseable {
  static final String DIAGNOSTICS = "/diagnostics";
  static final String HISTORY = "/history";
  static final String DIFF = "/diff";
  static final String CLOCKS = "/clocks";
  static final String RECOVER = "/recover";
  static final String CONFIRM = "/confirm";
  static final String PROMOTE = "/promote";
  static final String RESYNC = "/resync";
  static final String ROLLBACK = "/rollback";
  static final String TOKEN_FILE = "status.token";
  static final int CLOCK_CHECK_INTERVAL_SECONDS = 5;
  static final Duration RECOVERY_LIMIT = Duration.ofMinutes(2);
  static final Duration CONFIRM_LIMIT = Duration.ofSeconds(30);
  static final Duration PROMOTION_LIMIT = Duration.ofSeconds(60);
  static final Duration RESYNC_LIMIT = Duration.ofSeconds(90);
  static final Duration ROLLBACK_LIMIT = Duration.ofSeconds(30);
  private static final Duration CLOCK_CHECK_LIMIT = Duration.ofSeconds(10);
  private static final List<String> RESOURCES =
      List.of(DIAGNOSTICS, HISTORY, DIFF, CLOCKS, RECOVER, CONFIRM, PROMOTE, RESYNC, ROLLBACK);

  private final StatusHttpServer server;
  private final ClusterService node;
  private final String token;
  private final boolean tokenForEveryRequest;
  private final Set<String> hosts;
  private final InstantSource clock;
  private final Semaphore action = new Semaphore(1);
  private volatile String runningAction = "";
  private final Object clockLock = new Object();
  private CompletableFuture<List<ClockState>> clockCheck; // guarded by clockLock
  private Instant clockCheckStarted; // guarded by clockLock

  private StatusEndpoint(
      StatusHttpServer server,
      ClusterService node,
      String token,
      boolean tokenForEveryRequest,
      Set<String> hosts,
      InstantSource clock) {
    this.server = server;
    this.node = node;
    this.token = token;
    this.tokenForEveryRequest = tokenForEveryRequest;
    this.hosts = hosts;
    this.clock = clock;
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
    return readTokenFile(stateDirectory.resolve(TOKEN_FILE));
  }

  /** Reads a token file (the agent's {@value #TOKEN_FILE}, or an operator's copy of it). */
  static String readTokenFile(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw InputException.of(
          "cannot read the node's token " + file + ": " + e.getMessage(),
          "run this command on the node's machine as the user that runs the node, with --config");
    }
  }

  /**
   * Starts serving {@code node}'s status on {@code address} (port 0 picks a free one); on an
   * address that is not loopback, every request needs {@code token}.
   */
  static StatusEndpoint start(NodeAddress address, ClusterService node, String token) {
    return start(
        address,
        node,
        token,
        !isLoopback(address.host()),
        InstantSource.system(),
        StatusHttpServer.Limits.defaults());
  }

  /** As {@link #start(NodeAddress, ClusterService, String)}, with everything chosen. */
  static StatusEndpoint start(
      NodeAddress address,
      ClusterService node,
      String token,
      boolean tokenForEveryRequest,
      InstantSource clock,
      StatusHttpServer.Limits limits) {
    StatusEndpoint[] endpoint = new StatusEndpoint[1];
    StatusHttpServer server;
    try {
      server =
          StatusHttpServer.start(
              new InetSocketAddress(address.host(), address.port()),
              limits,
              request -> endpoint[0].handle(request));
    } catch (IOException e) {
      throw new InputException(
          "cannot serve status on " + address + ": " + e.getMessage(),
          "another program uses that port: choose another status.listen",
          e);
    }
    int port = server.address().getPort();
    Set<String> hosts = new HashSet<>();
    hosts.add(hostHeader(address.host(), port));
    hosts.add(hostHeader(server.address().getAddress().getHostAddress(), port));
    if (server.address().getAddress().isLoopbackAddress()) {
      hosts.addAll(List.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port));
    }
    endpoint[0] =
        new StatusEndpoint(server, node, token, tokenForEveryRequest, Set.copyOf(hosts), clock);
    return endpoint[0];
  }

  private static String hostHeader(String host, int port) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.contains(":") && !h.startsWith("[")) {
      // An IPv6 literal is bracketed in a Host header; the JDK writes ::1 as 0:0:0:0:0:0:0:1.
      h = "[" + (h.equals("0:0:0:0:0:0:0:1") ? "::1" : h) + "]";
    }
    return h + ":" + port;
  }

  private Response handle(Request request) {
    String host = request.header("Host").orElse("").toLowerCase(Locale.ROOT);
    if (!hosts.contains(host)) {
      return Response.json(
          421,
          error(
              "this endpoint answers only requests to "
                  + address()
                  + ", not to "
                  + (host.isEmpty() ? "a request without a Host header" : "'" + host + "'")));
    }
    String path = request.path();
    boolean post = request.method().equals("POST");
    if (!post && !request.method().equals("GET")) {
      return Response.json(405, error("only GET and POST are served"));
    }
    if ((post || tokenForEveryRequest) && !authorized(request)) {
      return Response.json(
          403,
          error(
              (post
                      ? "this action"
                      : "this endpoint listens on a non-loopback address, so every" + " request")
                  + " needs the node's token from "
                  + TOKEN_FILE
                  + " in its state directory: run the command with --config on the node's machine"
                  + " as the user that runs the node, or give a copy of the file with"
                  + " --token-file"));
    }
    Map<String, String> query = request.query();
    if (post) {
      return switch (path) {
        case RECOVER -> act("recover", () -> recover(query));
        case CONFIRM -> act("confirm", () -> confirm(query));
        case PROMOTE -> act("promote", () -> promote(query));
        case RESYNC -> act("resync", () -> resync(query));
        case ROLLBACK -> act("rollback", () -> rollback(query));
        default -> notFound();
      };
    }
    return switch (path) {
      case DIAGNOSTICS -> Response.json(200, DiagnosticsView.toJsonText(node.diagnostics()));
      case HISTORY -> Response.json(200, history());
      case DIFF -> diff(query);
      case CLOCKS -> clocks();
      default -> notFound();
    };
  }

  private static Response notFound() {
    return Response.json(
        404,
        error(
            "the resources are GET "
                + String.join(", ", RESOURCES.subList(0, 4))
                + " and POST "
                + String.join(", ", RESOURCES.subList(4, RESOURCES.size()))));
  }

  private boolean authorized(Request request) {
    byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    return request
        .header("Authorization")
        .map(given -> MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8)))
        .orElse(false);
  }

  /** Runs one action at a time: two at once (a rollback during a recovery) help nobody. */
  private Response act(String name, Supplier<Response> work) {
    if (!action.tryAcquire()) {
      return Response.json(
          409,
          error(
              "the node is busy with "
                  + runningAction
                  + " asked earlier: wait until it has finished (see `mailcluster status`)"));
    }
    try {
      runningAction = name;
      return work.get();
    } finally {
      runningAction = "";
      action.release();
    }
  }

  private static String caller(Map<String, String> query) {
    String caller = query.getOrDefault("caller", "").strip();
    return caller.isEmpty() ? "cli:operator" : caller;
  }

  private Response recover(Map<String, String> query) {
    String from = query.getOrDefault("from", "").strip();
    String caller = caller(query);
    CompletableFuture<Revision> recovering;
    try {
      recovering =
          from.isEmpty() ? node.recover(caller) : node.recoverFrom(NodeId.of(from), caller);
    } catch (IllegalArgumentException e) {
      return Response.json(400, error(e.getMessage()));
    }
    return await(recovering, RECOVERY_LIMIT, "the recovery", r -> Map.of("revision", r.toString()));
  }

  private Response confirm(Map<String, String> query) {
    String file = query.getOrDefault("file", "");
    if (file.isBlank()) {
      return Response.json(400, error("name the file: /confirm?file=…&caller=…"));
    }
    return await(
        node.confirmHeldBack(file, caller(query)),
        CONFIRM_LIMIT,
        "the confirmation",
        r -> Map.of("revision", r.toString()));
  }

  private Response promote(Map<String, String> query) {
    String force = query.getOrDefault("force", "false");
    if (!force.equals("true") && !force.equals("false")) {
      return Response.json(400, error("force must be true or false, not '" + force + "'"));
    }
    PromotionOptions options =
        force.equals("true") ? PromotionOptions.forced() : PromotionOptions.defaults();
    return await(
        node.promote(options),
        PROMOTION_LIMIT,
        "the promotion",
        r -> Map.of("revision", r.toString()));
  }

  private Response resync(Map<String, String> query) {
    NodeId which;
    try {
      which = NodeId.of(query.getOrDefault("node", "").strip());
    } catch (IllegalArgumentException e) {
      return Response.json(
          400, error("name the node to resync: /resync?node=mx2 (" + e.getMessage() + ")"));
    }
    return await(
        node.resync(which), RESYNC_LIMIT, "the resync", v -> Map.of("node", which.toString()));
  }

  private Response rollback(Map<String, String> query) {
    Revision to;
    try {
      to = Revision.parse(query.getOrDefault("to", "").strip());
    } catch (IllegalArgumentException e) {
      return Response.json(400, error(e.getMessage()));
    }
    return await(
        node.rollback(to, caller(query)),
        ROLLBACK_LIMIT,
        "the rollback",
        r -> Map.of("revision", r.toString()));
  }

  /** Waits for an action's future: 200 with its result, 400 if refused, 503 if not done in time. */
  private static <T> Response await(
      CompletableFuture<T> future,
      Duration limit,
      String what,
      Function<T, Map<String, String>> answer) {
    try {
      T result = future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
      return Response.json(200, DiagnosticsView.JSON.writeValueAsString(answer.apply(result)));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      return Response.json(
          400,
          error(
              cause instanceof ClusterException ce
                  ? ce.code() + ": " + ce.getMessage()
                  : String.valueOf(cause.getMessage())));
    } catch (TimeoutException e) {
      return Response.json(
          503,
          error(what + " did not complete within " + limit.toSeconds() + " s; see the node's log"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Response.json(503, error("interrupted: the node is stopping"));
    }
  }

  private String history() {
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

  private Response diff(Map<String, String> query) {
    Revision from;
    Revision to;
    try {
      from = Revision.parse(query.getOrDefault("from", ""));
      to = Revision.parse(query.getOrDefault("to", ""));
    } catch (IllegalArgumentException e) {
      return Response.json(400, error(e.getMessage()));
    }
    try {
      return Response.json(200, node.diff(from, to).toJson());
    } catch (ClusterException e) {
      return Response.json(400, error(e.getMessage()));
    }
  }

  /**
   * The peers' clocks: a new check only if none ran in the last {@value
   * #CLOCK_CHECK_INTERVAL_SECONDS} seconds, otherwise the one under way or the last one's result.
   */
  private Response clocks() {
    CompletableFuture<List<ClockState>> check;
    Instant started;
    synchronized (clockLock) {
      Instant now = clock.instant();
      if (clockCheck == null
          || (clockCheck.isDone()
              && !now.isBefore(clockCheckStarted.plusSeconds(CLOCK_CHECK_INTERVAL_SECONDS)))) {
        clockCheck = node.checkClocks();
        clockCheckStarted = now;
      }
      check = clockCheck;
      started = clockCheckStarted;
    }
    List<ClockState> clocks;
    try {
      clocks = check.get(CLOCK_CHECK_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // What the node knew before: the periodic checks' figures.
      clocks = node.diagnostics().clocks();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      clocks = node.diagnostics().clocks();
    }
    long age = Math.max(0, Duration.between(started, clock.instant()).toSeconds());
    return Response.json(200, DiagnosticsView.JSON.writeValueAsString(clocks))
        .withHeader("Age", Long.toString(age));
  }

  static String error(String message) {
    return DiagnosticsView.JSON.writeValueAsString(Map.of("error", message));
  }

  /** Returns where it listens. */
  NodeAddress address() {
    InetSocketAddress a = server.address();
    return NodeAddress.of(a.getAddress().getHostAddress(), a.getPort());
  }

  static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
