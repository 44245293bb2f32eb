package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterService;
import org.mailcluster.Diagnostics;
import org.mailcluster.Role;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;

/**
 * The status endpoint attacked over raw sockets: stalled clients (slowloris), more connections than
 * it serves, a foreign Host header (DNS rebinding), a flood of clock checks, requests without the
 * token. The node behind it is a stand-in that counts what it is asked.
 */
class StatusEndpointTest {
  private static final String TOKEN = "0123456789abcdef";
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private final FakeNode fake = new FakeNode();
  private final List<Socket> sockets = new ArrayList<>();
  private StatusEndpoint endpoint;

  @AfterEach
  void close() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (endpoint != null) {
      endpoint.close();
    }
  }

  private void start(boolean tokenForEveryRequest, InstantSource clock, StatusHttpServer.Limits l) {
    endpoint =
        StatusEndpoint.start(
            NodeAddress.of("127.0.0.1", freePort()),
            fake.proxy(),
            TOKEN,
            tokenForEveryRequest,
            clock,
            l);
  }

  private static int freePort() {
    try {
      return AgentCluster.freePort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void start() {
    start(false, InstantSource.system(), StatusHttpServer.Limits.defaults());
  }

  private int port() {
    return endpoint.address().port();
  }

  private String host() {
    return "127.0.0.1:" + port();
  }

  /** A socket that has sent the start of a request and then nothing more. */
  private Socket stalled() throws IOException {
    Socket s = new Socket("127.0.0.1", port());
    sockets.add(s);
    OutputStream out = s.getOutputStream();
    out.write(("GET /diagnostics HTTP/1.1\r\nHost: " + host() + "\r\nX-Wait: ").getBytes());
    out.flush();
    return s;
  }

  /** One raw request; returns the whole answer, head and body. */
  private String raw(String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port())) {
      s.setSoTimeout((int) PATIENCE.toMillis());
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private String get(String path, String hostHeader, String... headers) throws IOException {
    StringBuilder r = new StringBuilder("GET " + path + " HTTP/1.1\r\n");
    if (hostHeader != null) {
      r.append("Host: ").append(hostHeader).append("\r\n");
    }
    for (String h : headers) {
      r.append(h).append("\r\n");
    }
    return raw(r.append("\r\n").toString());
  }

  private static AgentCluster.Result status(String address) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new String[] {"status", "--address", address, "--timeout", "20"},
            new PrintWriter(out),
            new PrintWriter(err));
    return new AgentCluster.Result(code, out.toString(), err.toString());
  }

  /** Waits until the server closes {@code s}; fails if it is still open after the patience. */
  private static void awaitClosedByServer(Socket s) throws IOException {
    s.setSoTimeout((int) PATIENCE.toMillis());
    InputStream in = s.getInputStream();
    try {
      // The server answers nothing to a request it never received whole: end of stream.
      assertEquals(-1, in.read(), "the server sent bytes to a stalled client");
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the stalled connection was still open after " + PATIENCE, e);
    } catch (IOException e) {
      // connection reset: closed as well
    }
  }

  @Test
  void stalledClientsBlockNobodyAndAreClosedAtTheHeadDeadline() throws IOException {
    start(
        false,
        InstantSource.system(),
        new StatusHttpServer.Limits(32, Duration.ofSeconds(2), 8192, Duration.ofSeconds(10)));
    List<Socket> stalled = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      stalled.add(stalled());
    }
    // A client that trickles a byte now and then keeps nothing open either.
    Socket trickle = stalled();
    for (int i = 0; i < 3; i++) {
      trickle.getOutputStream().write('x');
    }

    AgentCluster.Result status = status(host());
    assertEquals(0, status.code(), status.toString());
    assertTrue(status.out().contains("node mx1 (PRIMARY)"), status.out());

    for (Socket s : stalled) {
      awaitClosedByServer(s);
    }
    awaitClosedByServer(trickle);
    assertEquals(0, status(host()).code());
  }

  @Test
  void connectionsBeyondTheLimitAreAnswered503AtOnceAndServedAgainOnceTheStalledOnesAreClosed()
      throws IOException {
    start(
        false,
        InstantSource.system(),
        new StatusHttpServer.Limits(4, Duration.ofSeconds(3), 8192, Duration.ofSeconds(10)));
    List<Socket> stalled = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      stalled.add(stalled());
    }
    // Each stalled connection has its thread once the server read its first bytes.
    String refused = "";
    long end = System.nanoTime() + PATIENCE.toNanos();
    while (!refused.startsWith("HTTP/1.1 503") && System.nanoTime() < end) {
      refused = get("/diagnostics", host());
    }
    assertTrue(refused.startsWith("HTTP/1.1 503"), refused);
    assertTrue(refused.contains("serves 4 connections at a time"), refused);
    assertTrue(refused.contains("Retry-After: 1"), refused);

    for (Socket s : stalled) {
      awaitClosedByServer(s);
    }
    assertTrue(get("/diagnostics", host()).startsWith("HTTP/1.1 200"));
  }

  @Test
  void aForeignHostHeaderIsRefusedWithoutData() throws IOException {
    start();
    for (String foreign :
        List.of("evil.example:" + port(), "evil.example", "127.0.0.1:1", "127.0.0.1")) {
      String answer = get("/diff?from=1:1&to=1:2", foreign);
      assertTrue(answer.startsWith("HTTP/1.1 421 "), foreign + ": " + answer);
      assertTrue(answer.contains("answers only requests to 127.0.0.1:" + port()), answer);
      assertFalse(answer.contains("mx1"), answer);
      answer = get("/diagnostics", foreign);
      assertTrue(answer.startsWith("HTTP/1.1 421 "), foreign + ": " + answer);
      assertFalse(answer.contains("mx1"), answer);
    }
    String none = get("/diagnostics", null);
    assertTrue(none.startsWith("HTTP/1.1 421 "), none);
    assertTrue(none.contains("without a Host header"), none);
    assertEquals(0, fake.diffs.get(), "no diff was computed for a refused request");

    for (String own :
        List.of(host(), "localhost:" + port(), "[::1]:" + port(), "LOCALHOST:" + port())) {
      String answer = get("/diagnostics", own);
      assertTrue(answer.startsWith("HTTP/1.1 200 "), own + ": " + answer);
      assertTrue(answer.contains("\"mx1\""), answer);
    }
  }

  @Test
  void aClockCheckFloodMakesOneRealCheckPerInterval() throws Exception {
    MutableClock clock = new MutableClock();
    start(false, clock, StatusHttpServer.Limits.defaults());
    CompletableFuture<List<org.mailcluster.clock.ClockState>> pending = new CompletableFuture<>();
    fake.clocks.set(pending);
    ExecutorService flood = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        answers.add(flood.submit(() -> get("/clocks", host())));
      }
      // The requests wait on the one check under way; let it finish.
      long end = System.nanoTime() + PATIENCE.toNanos();
      while (fake.clockChecks.get() == 0 && System.nanoTime() < end) {
        LockSupport.parkNanos(10_000_000);
      }
      pending.complete(List.of());
      for (Future<String> a : answers) {
        String answer = a.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        assertTrue(answer.endsWith("[]"), answer);
      }
      assertEquals(1, fake.clockChecks.get(), "40 requests within the interval: one real check");

      fake.clocks.set(CompletableFuture.completedFuture(List.of()));
      clock.advance(Duration.ofSeconds(StatusEndpoint.CLOCK_CHECK_INTERVAL_SECONDS - 1));
      String cached = get("/clocks", host());
      assertTrue(
          cached.contains("Age: " + (StatusEndpoint.CLOCK_CHECK_INTERVAL_SECONDS - 1)), cached);
      assertEquals(1, fake.clockChecks.get());
      clock.advance(Duration.ofSeconds(1));
      for (int i = 0; i < 10; i++) {
        assertTrue(get("/clocks", host()).startsWith("HTTP/1.1 200 "));
      }
      assertEquals(2, fake.clockChecks.get(), "a new check once the interval has passed");
    } finally {
      flood.shutdownNow();
    }
  }

  @Test
  void actionsNeedTheTokenAndRunOneAtATime() throws Exception {
    start();
    String post = "POST /rollback?to=1:1 HTTP/1.1\r\nHost: " + host() + "\r\n";
    String none = raw(post + "\r\n");
    assertTrue(none.startsWith("HTTP/1.1 403 "), none);
    assertTrue(none.contains(StatusEndpoint.TOKEN_FILE), none);
    String wrong = raw(post + "Authorization: Bearer " + TOKEN + "0\r\n\r\n");
    assertTrue(wrong.startsWith("HTTP/1.1 403 "), wrong);
    assertEquals(0, fake.rollbacks.get(), "refused requests did nothing");

    String ok = raw(post + "Authorization: Bearer " + TOKEN + "\r\n\r\n");
    assertTrue(ok.startsWith("HTTP/1.1 200 "), ok);
    assertTrue(ok.contains("\"revision\":\"1:9\""), ok);
    assertEquals(1, fake.rollbacks.get());

    // A promotion that waits for its peers holds the action slot; a rollback meanwhile is refused.
    ExecutorService one = Executors.newSingleThreadExecutor();
    try {
      Future<String> promoting =
          one.submit(
              () ->
                  raw(
                      "POST /promote HTTP/1.1\r\nHost: "
                          + host()
                          + "\r\nAuthorization: Bearer "
                          + TOKEN
                          + "\r\n\r\n"));
      long end = System.nanoTime() + PATIENCE.toNanos();
      while (fake.promotions.get() == 0 && System.nanoTime() < end) {
        LockSupport.parkNanos(10_000_000);
      }
      String busy = raw(post + "Authorization: Bearer " + TOKEN + "\r\n\r\n");
      assertTrue(busy.startsWith("HTTP/1.1 409 "), busy);
      assertTrue(busy.contains("busy with promote"), busy);
      fake.promotion.complete(Revision.of(2, 1));
      String promoted = promoting.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
      assertTrue(promoted.contains("\"revision\":\"2:1\""), promoted);
    } finally {
      one.shutdownNow();
    }
    assertEquals(1, fake.rollbacks.get(), "the refused rollback did nothing");
  }

  @Test
  void onANonLoopbackBindEveryRequestNeedsTheToken(@TempDir Path dir) throws IOException {
    start(true, InstantSource.system(), StatusHttpServer.Limits.defaults());
    String none = get("/diagnostics", host());
    assertTrue(none.startsWith("HTTP/1.1 403 "), none);
    assertFalse(none.contains("\"mx1\""), none);
    assertTrue(get("/history", host()).startsWith("HTTP/1.1 403 "));
    String ok = get("/diagnostics", host(), "Authorization: Bearer " + TOKEN);
    assertTrue(ok.startsWith("HTTP/1.1 200 ") && ok.contains("\"mx1\""), ok);

    // The CLI sends the token of --token-file.
    assertEquals(3, status(host()).code());
    Path token = Files.writeString(dir.resolve("mx1.token"), TOKEN + "\n");
    StringWriter out = new StringWriter();
    int code =
        Main.run(
            new String[] {"status", "--address", host(), "--token-file", token.toString()},
            new PrintWriter(out),
            new PrintWriter(new StringWriter()));
    assertEquals(0, code, out.toString());

    // The agent's own choice: loopback reads need no token, any other address does.
    assertTrue(StatusEndpoint.isLoopback("127.0.0.1"));
    assertTrue(StatusEndpoint.isLoopback("::1"));
    assertFalse(StatusEndpoint.isLoopback("10.0.0.11"));
  }

  @Test
  void malformedOversizedAndBodyCarryingRequestsAreRefused() throws IOException {
    start();
    assertTrue(raw("HELLO\r\n\r\n").startsWith("HTTP/1.1 400 "));
    String big = get("/diagnostics", host(), "X-Big: " + "a".repeat(10_000));
    assertTrue(big.startsWith("HTTP/1.1 431 "), big);
    String body =
        raw(
            "POST /recover HTTP/1.1\r\nHost: "
                + host()
                + "\r\nAuthorization: Bearer "
                + TOKEN
                + "\r\nContent-Length: 5\r\n\r\nhello");
    assertTrue(body.startsWith("HTTP/1.1 413 "), body);
    assertTrue(get("/nothing", host()).startsWith("HTTP/1.1 404 "));
    assertTrue(
        raw("DELETE /diagnostics HTTP/1.1\r\nHost: " + host() + "\r\n\r\n")
            .startsWith("HTTP/1.1 405 "));
  }

  /** An InstantSource the test moves forward. */
  private static final class MutableClock implements InstantSource {
    private final AtomicReference<Instant> now =
        new AtomicReference<>(Instant.parse("2026-01-05T10:00:00Z"));

    @Override
    public Instant instant() {
      return now.get();
    }

    void advance(Duration d) {
      now.updateAndGet(i -> i.plus(d));
    }
  }

  /** A ClusterService that answers what the endpoint asks and counts it. */
  static final class FakeNode {
    final AtomicInteger clockChecks = new AtomicInteger();
    final AtomicInteger diffs = new AtomicInteger();
    final AtomicInteger rollbacks = new AtomicInteger();
    final AtomicInteger promotions = new AtomicInteger();
    final AtomicReference<CompletableFuture<List<org.mailcluster.clock.ClockState>>> clocks =
        new AtomicReference<>(CompletableFuture.completedFuture(List.of()));
    final CompletableFuture<Revision> promotion = new CompletableFuture<>();

    ClusterService proxy() {
      Diagnostics diagnostics =
          new Diagnostics(
              "mx1",
              Role.PRIMARY,
              1,
              Revision.of(1, 8),
              Optional.of("mx1"),
              true,
              List.of(),
              List.of(),
              List.of(),
              Optional.empty(),
              List.of(),
              List.of(),
              Optional.empty());
      return (ClusterService)
          Proxy.newProxyInstance(
              ClusterService.class.getClassLoader(),
              new Class<?>[] {ClusterService.class},
              (self, method, args) ->
                  switch (method.getName()) {
                    case "diagnostics" -> diagnostics;
                    case "history" -> List.of();
                    case "checkClocks" -> {
                      clockChecks.incrementAndGet();
                      yield clocks.get();
                    }
                    case "diff" -> {
                      diffs.incrementAndGet();
                      throw new UnsupportedOperationException("diff");
                    }
                    case "rollback" -> {
                      rollbacks.incrementAndGet();
                      yield CompletableFuture.completedFuture(Revision.of(1, 9));
                    }
                    case "promote" -> {
                      promotions.incrementAndGet();
                      yield promotion;
                    }
                    case "toString" -> "FakeNode";
                    case "hashCode" -> System.identityHashCode(self);
                    case "equals" -> self == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                  });
    }
  }
}
