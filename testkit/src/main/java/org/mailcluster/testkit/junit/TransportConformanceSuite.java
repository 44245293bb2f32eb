package org.mailcluster.testkit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.screening.ScreeningPolicy;
import org.mailcluster.screening.ScreeningStatus;
import org.mailcluster.transport.ClusterTransport;
import org.mailcluster.transport.InboundHandler;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.ServerStream;
import org.mailcluster.transport.StreamObserver;
import org.mailcluster.transport.Subscribe;

/**
 * The contract of the {@linkplain org.mailcluster.transport transport SPI}, as tests that every
 * transport runs: extend this class, implement the hooks, and JUnit runs the inherited tests.
 *
 * <p>The hooks work for a simulated transport on virtual time as well as for a real one with
 * threads: {@link #await} runs the simulation (or waits, with a timeout) until a condition holds,
 * {@link #quiesce} lets in-flight work finish before the suite checks that something did
 * <em>not</em> happen, and {@link #nanoTime} is the clock deadlines are measured against. The suite
 * never sleeps, and every structure it shares with callbacks is thread-safe, since a real transport
 * calls back on its own threads.
 *
 * <pre>{@code
 * class GrpcTransportConformanceTest extends TransportConformanceSuite {
 *   protected ClusterTransport newTransport(NodeId node) { return GrpcTransport.plaintext(...); }
 *   protected NodeAddress unreachableAddress() { return NodeAddress.of("127.0.0.1", freePort()); }
 *   protected void makeUnreachable(NodeId node, ClusterTransport transport) { transport.close(); }
 *   protected boolean await(BooleanSupplier condition, Duration timeout) { ... }
 *   protected void quiesce() { ... }
 *   protected long nanoTime() { return System.nanoTime(); }
 *   protected boolean authenticatesPeers() { return false; }
 * }
 * }</pre>
 */
public abstract class TransportConformanceSuite {
  /** The node that calls in most tests. */
  protected static final NodeId ALPHA = NodeId.of("alpha");

  /** The node that serves in most tests. */
  protected static final NodeId BETA = NodeId.of("beta");

  /** A third node, for tests with several callers. */
  protected static final NodeId GAMMA = NodeId.of("gamma");

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration DEADLINE = Duration.ofSeconds(2);
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private final List<ClusterTransport> transports = new ArrayList<>();

  /** Creates the suite; the hooks are called from the tests, after the subclass is set up. */
  protected TransportConformanceSuite() {}

  /**
   * Returns a new, not yet started transport for {@code node}. The suite starts it and closes it
   * after the test. Every transport of one test must reach the others at their {@link
   * ClusterTransport#localAddress()}.
   */
  protected abstract ClusterTransport newTransport(NodeId node);

  /** Returns an address at which nothing listens. */
  protected abstract NodeAddress unreachableAddress();

  /**
   * Makes a started transport unreachable for its peers, abruptly or not: for example crash the
   * node, cut it off, or close its server.
   */
  protected abstract void makeUnreachable(NodeId node, ClusterTransport transport);

  /**
   * Lets the transports work until {@code condition} holds, for at most {@code timeout}; returns
   * whether it holds. A simulation runs its timeline; a real transport polls without sleeping past
   * the timeout.
   */
  protected abstract boolean await(BooleanSupplier condition, Duration timeout);

  /**
   * Lets in-flight messages and callbacks finish, so that the suite can check that something did
   * not happen. A simulation runs until idle; a real transport waits a short, bounded while.
   */
  protected abstract void quiesce();

  /** Returns the monotonic time, in nanoseconds, against which deadlines are measured. */
  protected abstract long nanoTime();

  /** How late after its deadline a call may fail; real transports need some slack. */
  protected Duration deadlineTolerance() {
    return Duration.ofMillis(500);
  }

  /**
   * Whether the transport proves who calls (as with mutual TLS), so the handler sees the caller's
   * node id; a plaintext transport hands the handler an identity without a node.
   */
  protected boolean authenticatesPeers() {
    return true;
  }

  /** At most how many 1 KiB messages a stream takes before it reports not ready. */
  protected int flowControlProbeLimit() {
    return 100_000;
  }

  /**
   * Whether the transport delivers only a window of messages beyond those the receiver released
   * ({@link PeerChannel.Subscription#release}); transports that deliver as fast as the network
   * allows answer false.
   */
  protected boolean limitsUnreleasedMessages() {
    return false;
  }

  /** Closes every transport the test started. */
  @AfterEach
  public void closeTransports() {
    for (ClusterTransport t : transports) {
      t.close();
    }
    transports.clear();
  }

  // ---- unary calls ----------------------------------------------------------------------------

  /** A join is delivered to the handler and its answer to the caller. */
  @Test
  public void joinIsAnsweredWithJoined() {
    Request.Join join = new Request.Join(ALPHA, NodeAddress.parse("alpha"), 1, "23.5.2", "f00d", 3);
    assertEquals(
        new Response.Joined(BETA, 3, Revision.of(3, 7)), callAnsweredByEcho(join).answer());
  }

  /** An ack is delivered to the handler and its answer to the caller. */
  @Test
  public void ackIsAnsweredWithAcknowledged() {
    Request.Ack ack = new Request.Ack(ALPHA, 2, Revision.of(2, 5), Fingerprint.EMPTY);
    assertEquals(new Response.Acknowledged(2), callAnsweredByEcho(ack).answer());
  }

  /** A ping is delivered to the handler and its answer to the caller. */
  @Test
  public void pingIsAnsweredWithPong() {
    Request.Ping ping = new Request.Ping(T0, 1);
    assertEquals(
        new Response.Pong(T0, T0.plusMillis(1), T0.plusMillis(2), 1),
        callAnsweredByEcho(ping).answer());
  }

  /** A ping's and a pong's claim to be the primary (split-brain detection) are both carried. */
  @Test
  public void pingAndPongCarryTheirPrimaryClaims() {
    assertCarried(
        new Request.Ping(T0, 3, true),
        new Response.Pong(T0, T0.plusMillis(1), T0.plusMillis(2), 3, true));
  }

  /** A forwarded request is delivered to the handler and its answer to the caller. */
  @Test
  public void forwardIsAnsweredWithForwarded() {
    Request.Forward forward = new Request.Forward("screening", "{\"ip\":\"192.0.2.1\"}", 4);
    assertEquals(
        new Response.Forwarded("screening:{\"ip\":\"192.0.2.1\"}", 4),
        callAnsweredByEcho(forward).answer());
  }

  /** A promotion candidate's status query is delivered unchanged and answered with a status. */
  @Test
  public void statusQueryIsAnsweredWithStatus() {
    assertCarried(
        new Request.StatusQuery(5),
        new Response.Status(Role.SECONDARY, 5, 6, Revision.of(5, 7), true));
  }

  /** A status that names the primary the server follows carries its id and address. */
  @Test
  public void statusCarriesThePrimaryItFollows() {
    assertCarried(
        new Request.StatusQuery(6),
        new Response.Status(
            Role.SECONDARY,
            6,
            7,
            Revision.of(6, 7),
            true,
            Optional.of(BETA),
            Optional.of(NodeAddress.parse("primary.example:7401"))));
  }

  /** An epoch grant is delivered unchanged and answered with the granted epoch. */
  @Test
  public void epochGrantIsAnsweredWithEpochGranted() {
    assertCarried(
        new Request.EpochGrant(GAMMA, 8, true, 7),
        new Response.EpochGranted(8, Revision.of(7, 7), 7));
  }

  /** A resync request is delivered unchanged and answered with an acceptance. */
  @Test
  public void resyncIsAnsweredWithAccepted() {
    assertCarried(new Request.Resync(GAMMA, 3), new Response.Accepted(3));
  }

  /** A snapshot confirmation is delivered unchanged and answered with an acceptance. */
  @Test
  public void snapshotInstalledIsAnsweredWithAccepted() {
    assertCarried(new Request.SnapshotInstalled(Revision.of(3, 40), 3), new Response.Accepted(3));
  }

  /** A zone query is delivered unchanged and answered with the zone and its offset. */
  @Test
  public void zoneQueryIsAnsweredWithZone() {
    assertCarried(
        new Request.ZoneQuery(2),
        new Response.Zone(ZoneId.of("Europe/Berlin"), ZoneOffset.ofHours(1), 2));
  }

  /** A probe read is delivered unchanged, path and file name included, and answered. */
  @Test
  public void probeReadIsAnsweredWithProbeToken() {
    assertCarried(
        new Request.ProbeRead(
            StoragePath.parse("\\\\nas01\\mail\\Users"), ".mailcluster-probe-alpha", 4),
        new Response.ProbeToken("token .mailcluster-probe-alpha", 4));
  }

  /** A status report is delivered unchanged, every optional part and list included. */
  @Test
  public void statusReportIsAnsweredWithAccepted() {
    CertificateCheck full =
        new CertificateCheck(
            "mail",
            CertificateCheck.Level.WARN,
            Optional.of("CN=mail.example.com"),
            Optional.of(T0),
            Optional.of(T0.plus(Duration.ofDays(10)).plusNanos(123)),
            List.of("mail.example.com", "mx.example.com"),
            Optional.of("/etc/mail/certs/mail.pem"),
            List.of("expires within 14 days: renew it"));
    CertificateCheck bare =
        new CertificateCheck(
            "broken",
            CertificateCheck.Level.ERROR,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            List.of(),
            Optional.empty(),
            List.of("does not parse: import it again"));
    ScreeningStatus screening =
        new ScreeningStatus(ScreeningPolicy.REPLAY, "fallback", 3, 1, 2, 9, 4, Optional.of(T0));
    assertCarried(
        new Request.StatusReport(List.of(full, bare), Optional.of(screening), 6),
        new Response.Accepted(6));
    closeTransports();
    assertCarried(
        new Request.StatusReport(List.of(), Optional.empty(), 6), new Response.Accepted(6));
  }

  /** The handler receives the request unchanged. */
  @Test
  public void handlerReceivesTheRequestUnchanged() {
    Request.Forward forward = new Request.Forward("relay", "äöü ✓ \u0000 \n", 9);
    Exchange exchange = callAnsweredByEcho(forward);
    assertEquals(List.of(forward), exchange.handler().requests());
  }

  /** A refusal arrives at the caller with the handler's code and message. */
  @Test
  public void refusalArrivesWithTheHandlersCodeAndMessage() {
    for (ErrorCode code :
        List.of(ErrorCode.PERMISSION_DENIED, ErrorCode.STALE_EPOCH, ErrorCode.NOT_PRIMARY)) {
      String message = "refused with " + code + ": ask mx1";
      RecordingHandler handler =
          new RecordingHandler(
              BETA, request -> CompletableFuture.failedFuture(new ClusterException(code, message)));
      ClusterTransport beta = started(BETA, handler);
      PeerChannel channel = started(ALPHA, new RecordingHandler(ALPHA)).connect(address(beta));
      CompletableFuture<Response> call = channel.call(new Request.Ping(T0, 1), DEADLINE);
      awaitOrFail(call::isDone, "the refused call to complete");
      ClusterException error = failure(call);
      assertEquals(code, error.code(), "code of " + error);
      assertTrue(
          error.getMessage().contains(message),
          "the caller should see the handler's message '" + message + "' in: " + error);
      closeTransports();
    }
  }

  /** A handler that throws instead of failing its future still ends the call, exactly once. */
  @Test
  public void handlerThatThrowsStillEndsTheCall() {
    RecordingHandler handler =
        new RecordingHandler(
            BETA,
            request -> {
              throw new ClusterException(ErrorCode.CONSTRAINT_VIOLATION, "thrown, not returned");
            });
    PeerChannel channel =
        started(ALPHA, new RecordingHandler(ALPHA)).connect(address(started(BETA, handler)));
    CompletableFuture<Response> call = channel.call(new Request.Ping(T0, 1), DEADLINE);
    awaitOrFail(call::isDone, "the call to a throwing handler to complete");
    assertTrue(call.isCompletedExceptionally(), "the call should have failed: " + call);
  }

  /** The handler sees the caller as the transport established it, for each of several callers. */
  @Test
  public void handlerSeesTheTransportEstablishedIdentityOfEachCaller() {
    RecordingHandler handler = RecordingHandler.echo(BETA);
    NodeAddress beta = address(started(BETA, handler));
    PeerChannel fromAlpha = started(ALPHA, new RecordingHandler(ALPHA)).connect(beta);
    PeerChannel fromGamma = started(GAMMA, new RecordingHandler(GAMMA)).connect(beta);
    CompletableFuture<Response> a = fromAlpha.call(new Request.Ping(T0, 1), DEADLINE);
    CompletableFuture<Response> g = fromGamma.call(new Request.Ping(T0, 2), DEADLINE);
    awaitOrFail(() -> a.isDone() && g.isDone(), "both calls to be answered");
    assertEquals(2, handler.callers().size(), "calls seen by the handler: " + handler.callers());
    for (PeerIdentity from : handler.callers()) {
      assertFalse(from.remoteAddress().isBlank(), "remote address of " + from);
    }
    if (authenticatesPeers()) {
      List<Optional<NodeId>> seen = handler.callers().stream().map(PeerIdentity::node).toList();
      assertTrue(
          seen.contains(Optional.of(ALPHA)) && seen.contains(Optional.of(GAMMA)),
          "the handler should see alpha and gamma but saw " + handler.callers());
    } else {
      for (PeerIdentity from : handler.callers()) {
        assertEquals(Optional.empty(), from.node(), "unauthenticated transport, yet " + from);
      }
    }
  }

  /** A call to an address where nothing listens fails with UNAVAILABLE within its deadline. */
  @Test
  public void callToAddressWhereNothingListensFailsUnavailableWithinDeadline() {
    PeerChannel channel = started(ALPHA, new RecordingHandler(ALPHA)).connect(unreachableAddress());
    assertFailsUnavailableWithinDeadline(channel);
  }

  /** A call to a peer that became unreachable fails with UNAVAILABLE within its deadline. */
  @Test
  public void callToPeerMadeUnreachableFailsUnavailableWithinDeadline() {
    ClusterTransport beta = started(BETA, RecordingHandler.echo(BETA));
    PeerChannel channel = started(ALPHA, new RecordingHandler(ALPHA)).connect(address(beta));
    CompletableFuture<Response> first = channel.call(new Request.Ping(T0, 1), DEADLINE);
    awaitOrFail(first::isDone, "the first call to be answered");
    makeUnreachable(BETA, beta);
    assertFailsUnavailableWithinDeadline(channel);
  }

  /** A call the handler never answers fails with UNAVAILABLE at its deadline, not before. */
  @Test
  public void unansweredCallFailsUnavailableAtItsDeadline() {
    RecordingHandler silent = new RecordingHandler(BETA, request -> new CompletableFuture<>());
    PeerChannel channel =
        started(ALPHA, new RecordingHandler(ALPHA)).connect(address(started(BETA, silent)));
    long start = nanoTime();
    CompletableFuture<Response> call = channel.call(new Request.Ping(T0, 1), DEADLINE);
    awaitOrFail(call::isDone, "the unanswered call to fail");
    Duration took = Duration.ofNanos(nanoTime() - start);
    assertEquals(ErrorCode.UNAVAILABLE, failure(call).code());
    assertTrue(
        took.compareTo(DEADLINE.minus(deadlineTolerance())) >= 0,
        "the call failed after " + took + ", before its deadline of " + DEADLINE);
    assertTrue(
        took.compareTo(DEADLINE.plus(deadlineTolerance())) <= 0,
        "the call failed after " + took + ", well past its deadline of " + DEADLINE);
  }

  // ---- streams ------------------------------------------------------------------------------

  /** Many messages on a stream arrive in the order sent, then the completion, once. */
  @Test
  public void streamDeliversManyMessagesInOrderThenCompletesOnce() {
    int count = 2_000;
    RecordingHandler handler = RecordingHandler.echo(BETA);
    RecordingObserver observer = subscribe(handler);
    ServerStream<ReplicationMessage> stream = handler.onlyStream();
    List<ReplicationMessage> sent = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      sent.add(heartbeat(i));
    }
    Pump pump = new Pump(stream, sent);
    stream.setOnReady(pump::run);
    pump.run();
    awaitOrFail(observer::ended, "the stream of " + count + " messages to complete");
    quiesce();
    assertEquals(sent, observer.messages(), "messages in order, each once");
    assertEquals(1, observer.completions(), "completions");
    assertEquals(0, observer.errors().size(), "errors: " + observer.errors());
  }

  /** A stream failed by its sender ends once, with the sender's code, and never completes. */
  @Test
  public void streamErrorArrivesOnceWithTheSendersCode() {
    RecordingHandler handler = RecordingHandler.echo(BETA);
    RecordingObserver observer = subscribe(handler);
    ServerStream<ReplicationMessage> stream = handler.onlyStream();
    stream.send(heartbeat(1));
    stream.fail(new ClusterException(ErrorCode.STALE_EPOCH, "epoch 3 is older than 4"));
    awaitOrFail(observer::ended, "the failed stream to end");
    quiesce();
    assertEquals(List.of(heartbeat(1)), observer.messages());
    assertEquals(0, observer.completions(), "completions");
    assertEquals(1, observer.errors().size(), "errors: " + observer.errors());
    assertEquals(ErrorCode.STALE_EPOCH, observer.errors().get(0).code());
  }

  /** A subscription reaches the handler with the subscriber's identity and request. */
  @Test
  public void subscribeReachesTheHandlerWithTheSubscribersIdentity() {
    RecordingHandler handler = RecordingHandler.echo(BETA);
    subscribe(handler);
    Served served = handler.served().get(0);
    assertEquals(new Subscribe(ALPHA, 2, Revision.of(2, 9)), served.request());
    if (authenticatesPeers()) {
      assertEquals(Optional.of(ALPHA), served.from().node(), "identity " + served.from());
    }
  }

  /**
   * When the receiver cancels, the sender's cancel callback runs and the receiver hears no more.
   */
  @Test
  public void receiverCancelRunsTheSendersCancelCallback() {
    RecordingHandler handler = RecordingHandler.echo(BETA);
    RecordingObserver observer = subscribe(handler);
    ServerStream<ReplicationMessage> stream = handler.onlyStream();
    AtomicInteger cancels = new AtomicInteger();
    stream.setOnCancel(cancels::incrementAndGet);
    stream.send(heartbeat(1));
    awaitOrFail(() -> observer.messages().size() == 1, "the first message to arrive");
    observer.subscription().cancel();
    awaitOrFail(() -> cancels.get() > 0, "the sender's cancel callback to run");
    stream.send(heartbeat(2));
    quiesce();
    assertEquals(1, cancels.get(), "cancel callbacks");
    assertEquals(List.of(heartbeat(1)), observer.messages(), "nothing after cancel");
    assertFalse(observer.ended(), "no ending after cancel, but saw " + observer);
  }

  /** A stream from a peer that becomes unreachable ends with UNAVAILABLE, once. */
  @Test
  public void streamFromPeerMadeUnreachableEndsWithUnavailable() {
    RecordingHandler handler = RecordingHandler.echo(BETA);
    RecordingObserver observer = subscribe(handler);
    handler.onlyStream().send(heartbeat(1));
    awaitOrFail(() -> observer.messages().size() == 1, "the first message to arrive");
    makeUnreachable(BETA, handler.transport);
    awaitOrFail(observer::ended, "the stream to end after its sender became unreachable");
    quiesce();
    assertEquals(0, observer.completions(), "a broken stream does not complete");
    assertEquals(1, observer.errors().size(), "errors: " + observer.errors());
    assertEquals(ErrorCode.UNAVAILABLE, observer.errors().get(0).code());
  }

  /** A loaded stream reports not ready, and calls the ready callback once it has drained. */
  @Test
  public void flowControlReportsNotReadyUnderLoadAndCallsOnReadyLater() {
    RecordingHandler handler = RecordingHandler.echo(BETA);
    RecordingObserver observer = subscribe(handler);
    ServerStream<ReplicationMessage> stream = handler.onlyStream();
    AtomicInteger readyCalls = new AtomicInteger();
    stream.setOnReady(readyCalls::incrementAndGet);
    int sent = 0;
    int readyBefore;
    while (true) {
      // Read before asking, so a ready callback racing with the answer is still counted.
      readyBefore = readyCalls.get();
      if (!stream.isReady()) {
        break;
      }
      if (sent == flowControlProbeLimit()) {
        fail("the stream was still ready after " + sent + " unread messages of 1 KiB");
      }
      stream.send(chunk(sent++));
    }
    int before = readyBefore;
    int total = sent;
    awaitOrFail(
        () -> observer.messages().size() == total && readyCalls.get() > before,
        "all " + total + " messages to arrive and the ready callback to run");
    awaitOrFail(stream::isReady, "the stream to be ready again");
    for (int i = 0; i < total; i++) {
      assertEquals(chunk(i), observer.messages().get(i), "message " + i);
    }
  }

  /**
   * A receiver that does not release what it was given holds the sender back, where the transport
   * limits unreleased messages: it gets a window of them, the sender's stream reports not ready,
   * and as the receiver releases, the rest arrive in order and the stream is ready again. Where it
   * does not, everything arrives without a release.
   */
  @Test
  public void aReceiverThatReleasesNothingHoldsTheSenderBackWhereTheTransportLimitsIt() {
    RecordingHandler handler = RecordingHandler.echo(BETA);
    RecordingObserver observer = subscribe(handler);
    observer.autoRelease = false;
    ServerStream<ReplicationMessage> stream = handler.onlyStream();
    List<ReplicationMessage> sent = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      sent.add(chunk(i));
    }
    Pump pump = new Pump(stream, sent);
    stream.setOnReady(pump::run);
    pump.run();
    quiesce();
    int delivered = observer.messages().size();
    if (limitsUnreleasedMessages()) {
      assertTrue(delivered > 0, "nothing was delivered");
      assertTrue(
          delivered < sent.size(),
          "all " + delivered + " messages were delivered although the receiver released none");
      assertFalse(stream.isReady(), "the sender's stream is ready with a stalled receiver");
      quiesce();
      assertEquals(delivered, observer.messages().size(), "delivered without a release");
    } else {
      assertEquals(sent.size(), delivered, "delivered without receiver flow control");
    }
    observer.autoRelease = true;
    observer.releasePending();
    awaitOrFail(
        () -> observer.messages().size() == sent.size(),
        "all " + sent.size() + " messages after releasing");
    assertEquals(sent, observer.messages(), "messages in order, each once");
  }

  // ---- closing ------------------------------------------------------------------------------

  /** Closing a transport fails its pending calls and ends its streams; the sender hears of it. */
  @Test
  public void closingTheTransportFailsPendingCallsAndEndsStreams() {
    RecordingHandler handler = new RecordingHandler(BETA, request -> new CompletableFuture<>());
    ClusterTransport alpha = started(ALPHA, new RecordingHandler(ALPHA));
    PeerChannel channel = alpha.connect(address(started(BETA, handler)));
    assertCloseEndsEverything(handler, channel, alpha::close);
  }

  /** Closing a channel fails its pending calls and ends its streams; the sender hears of it. */
  @Test
  public void closingAChannelFailsPendingCallsAndEndsItsStreams() {
    RecordingHandler handler = new RecordingHandler(BETA, request -> new CompletableFuture<>());
    PeerChannel channel =
        started(ALPHA, new RecordingHandler(ALPHA)).connect(address(started(BETA, handler)));
    assertCloseEndsEverything(handler, channel, channel::close);
  }

  /** Closing twice is harmless, and a closed channel fails new calls with UNAVAILABLE. */
  @Test
  public void closeIsIdempotentAndAClosedChannelRefusesCalls() {
    PeerChannel channel =
        started(ALPHA, new RecordingHandler(ALPHA))
            .connect(address(started(BETA, RecordingHandler.echo(BETA))));
    channel.close();
    channel.close();
    CompletableFuture<Response> call = channel.call(new Request.Ping(T0, 1), DEADLINE);
    awaitOrFail(call::isDone, "the call on a closed channel to fail");
    assertEquals(ErrorCode.UNAVAILABLE, failure(call).code());
  }

  // ---- helpers ------------------------------------------------------------------------------

  private void assertCloseEndsEverything(
      RecordingHandler handler, PeerChannel channel, Runnable close) {
    RecordingObserver observer = new RecordingObserver();
    observer.attach(channel.subscribe(new Subscribe(ALPHA, 1, Revision.INITIAL), observer));
    awaitOrFail(() -> handler.served().size() == 1, "the subscription to reach the handler");
    AtomicInteger cancels = new AtomicInteger();
    handler.onlyStream().setOnCancel(cancels::incrementAndGet);
    CompletableFuture<Response> pending =
        channel.call(new Request.Forward("slow", "{}", 1), Duration.ofMinutes(10));
    awaitOrFail(() -> handler.requests().size() == 1, "the call to reach the handler");
    close.run();
    awaitOrFail(
        () -> pending.isDone() && observer.ended() && cancels.get() > 0,
        "the pending call to fail, the stream to end and the sender to hear of it");
    quiesce();
    assertEquals(ErrorCode.UNAVAILABLE, failure(pending).code());
    assertEquals(0, observer.completions(), "completions");
    assertEquals(1, observer.errors().size(), "errors: " + observer.errors());
    assertEquals(1, cancels.get(), "cancel callbacks");
  }

  private void assertFailsUnavailableWithinDeadline(PeerChannel channel) {
    long start = nanoTime();
    CompletableFuture<Response> call = channel.call(new Request.Ping(T0, 1), DEADLINE);
    awaitOrFail(call::isDone, "the call to an unreachable peer to fail");
    Duration took = Duration.ofNanos(nanoTime() - start);
    assertEquals(ErrorCode.UNAVAILABLE, failure(call).code());
    assertTrue(
        took.compareTo(DEADLINE.plus(deadlineTolerance())) <= 0,
        "the call failed after " + took + ", past its deadline of " + DEADLINE);
  }

  private void assertCarried(Request request, Response answer) {
    Exchange exchange = callAnsweredByEcho(request);
    assertEquals(List.of(request), exchange.handler().requests(), "what the handler received");
    assertEquals(answer, exchange.answer(), "what the caller received");
  }

  private Exchange callAnsweredByEcho(Request request) {
    RecordingHandler handler = RecordingHandler.echo(BETA);
    PeerChannel channel =
        started(ALPHA, new RecordingHandler(ALPHA)).connect(address(started(BETA, handler)));
    CompletableFuture<Response> call = channel.call(request, DEADLINE);
    awaitOrFail(call::isDone, "the answer to " + request);
    try {
      return new Exchange(handler, call.get());
    } catch (ExecutionException e) {
      throw new AssertionError(request + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private RecordingObserver subscribe(RecordingHandler handler) {
    PeerChannel channel =
        started(ALPHA, new RecordingHandler(ALPHA)).connect(address(started(BETA, handler)));
    RecordingObserver observer = new RecordingObserver();
    observer.attach(channel.subscribe(new Subscribe(ALPHA, 2, Revision.of(2, 9)), observer));
    awaitOrFail(() -> handler.served().size() == 1, "the subscription to reach the handler");
    return observer;
  }

  private ClusterTransport started(NodeId node, RecordingHandler handler) {
    ClusterTransport transport = newTransport(node);
    transports.add(transport);
    handler.transport = transport;
    transport.start(handler);
    return transport;
  }

  private static NodeAddress address(ClusterTransport transport) {
    return transport.localAddress();
  }

  private void awaitOrFail(BooleanSupplier condition, String what) {
    if (!await(condition, PATIENCE)) {
      fail("waited " + PATIENCE + " for " + what);
    }
  }

  private static ClusterException failure(CompletableFuture<Response> call) {
    try {
      Response r = call.getNow(null);
      throw new AssertionError("expected a failure but the call was answered with " + r);
    } catch (CompletionException e) {
      return assertInstanceOf(ClusterException.class, e.getCause(), "failure of the call");
    }
  }

  private static ReplicationMessage heartbeat(int sequence) {
    return new ReplicationMessage.Heartbeat(1, Revision.of(1, sequence), T0);
  }

  private static ReplicationMessage chunk(int index) {
    TreeMap<String, String> entries = new TreeMap<>();
    entries.put("config/MDaemon.ini/Padding/Key" + index, "x".repeat(1024));
    return new ReplicationMessage.SnapshotChunk(
        1, Revision.of(1, 1), Fingerprint.EMPTY, index, false, entries);
  }

  private record Exchange(RecordingHandler handler, Response answer) {}

  private record Served(
      PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream) {}

  /** Sends a list of messages as fast as flow control allows, then completes. */
  private static final class Pump {
    private final ServerStream<ReplicationMessage> stream;
    private final List<ReplicationMessage> messages;
    private int next;
    private boolean completed;

    Pump(ServerStream<ReplicationMessage> stream, List<ReplicationMessage> messages) {
      this.stream = stream;
      this.messages = messages;
    }

    // Synchronized because a real transport calls onReady on its own thread.
    synchronized void run() {
      while (next < messages.size() && stream.isReady()) {
        stream.send(messages.get(next++));
      }
      if (next == messages.size() && !completed) {
        completed = true;
        stream.complete();
      }
    }
  }

  /** A handler that answers as told and records what it sees. */
  private static final class RecordingHandler implements InboundHandler {
    private final NodeId self;
    private final Function<Request, CompletableFuture<Response>> answer;
    private final List<PeerIdentity> callers = new CopyOnWriteArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Served> served = new CopyOnWriteArrayList<>();
    volatile ClusterTransport transport;

    RecordingHandler(NodeId self) {
      this(
          self,
          request ->
              CompletableFuture.failedFuture(
                  new ClusterException(ErrorCode.PERMISSION_DENIED, self + " serves no calls")));
    }

    RecordingHandler(NodeId self, Function<Request, CompletableFuture<Response>> answer) {
      this.self = self;
      this.answer = answer;
    }

    static RecordingHandler echo(NodeId self) {
      return new RecordingHandler(
          self, request -> CompletableFuture.completedFuture(echo(self, request)));
    }

    private static Response echo(NodeId self, Request request) {
      if (request instanceof Request.Join j) {
        return new Response.Joined(self, j.epoch(), Revision.of(j.epoch(), 7));
      } else if (request instanceof Request.Ack a) {
        return new Response.Acknowledged(a.epoch());
      } else if (request instanceof Request.Ping p) {
        return new Response.Pong(
            p.sentAt(),
            p.sentAt().plusMillis(1),
            p.sentAt().plusMillis(2),
            p.epoch(),
            p.primaryClaim());
      } else if (request instanceof Request.Forward f) {
        return new Response.Forwarded(f.service() + ":" + f.payload(), f.epoch());
      } else if (request instanceof Request.StatusQuery q) {
        // Even epochs: a status that names the primary it follows; odd: one that names none.
        boolean names = q.epoch() % 2 == 0;
        return new Response.Status(
            Role.SECONDARY,
            q.epoch(),
            q.epoch() + 1,
            Revision.of(q.epoch(), 7),
            true,
            names ? Optional.of(self) : Optional.empty(),
            names ? Optional.of(NodeAddress.parse("primary.example:7401")) : Optional.empty());
      } else if (request instanceof Request.EpochGrant g) {
        return new Response.EpochGranted(g.proposed(), Revision.of(g.epoch(), 7), g.epoch());
      } else if (request instanceof Request.ZoneQuery z) {
        return new Response.Zone(ZoneId.of("Europe/Berlin"), ZoneOffset.ofHours(1), z.epoch());
      } else if (request instanceof Request.ProbeRead p) {
        return new Response.ProbeToken("token " + p.file(), p.epoch());
      } else if (request instanceof Request.Resync
          || request instanceof Request.SnapshotInstalled
          || request instanceof Request.StatusReport) {
        return new Response.Accepted(request.epoch());
      }
      throw new IllegalArgumentException("no echo for " + request);
    }

    @Override
    public CompletableFuture<Response> handle(PeerIdentity from, Request request) {
      callers.add(from);
      requests.add(request);
      return answer.apply(request);
    }

    @Override
    public void subscribe(
        PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream) {
      served.add(new Served(from, request, stream));
    }

    List<PeerIdentity> callers() {
      return callers;
    }

    List<Request> requests() {
      return requests;
    }

    List<Served> served() {
      return served;
    }

    ServerStream<ReplicationMessage> onlyStream() {
      assertEquals(1, served.size(), "streams served by " + self);
      return served.get(0).stream();
    }
  }

  /** An observer that records every callback. */
  private static final class RecordingObserver implements StreamObserver<ReplicationMessage> {
    private final List<ReplicationMessage> messages = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<ClusterException> errors = new ConcurrentLinkedQueue<>();
    private final AtomicInteger completions = new AtomicInteger();
    private final AtomicInteger unreleased = new AtomicInteger();
    volatile PeerChannel.Subscription subscription;
    volatile boolean autoRelease = true;

    void attach(PeerChannel.Subscription s) {
      subscription = s;
      releasePending();
    }

    /** Releases every message received so far (a message may arrive before the handle does). */
    void releasePending() {
      PeerChannel.Subscription s = subscription;
      if (s != null) {
        int n = unreleased.getAndSet(0);
        if (n > 0) {
          s.release(n);
        }
      }
    }

    @Override
    public void onNext(ReplicationMessage message) {
      messages.add(message);
      unreleased.incrementAndGet();
      if (autoRelease) {
        releasePending();
      }
    }

    @Override
    public void onError(ClusterException error) {
      errors.add(error);
    }

    @Override
    public void onCompleted() {
      completions.incrementAndGet();
    }

    List<ReplicationMessage> messages() {
      return messages;
    }

    List<ClusterException> errors() {
      return List.copyOf(errors);
    }

    int completions() {
      return completions.get();
    }

    boolean ended() {
      return completions.get() > 0 || !errors.isEmpty();
    }

    PeerChannel.Subscription subscription() {
      return subscription;
    }

    @Override
    public String toString() {
      return messages.size() + " messages, " + completions + " completions, errors " + errors;
    }
  }
}
