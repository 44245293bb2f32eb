package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
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

class SimulatedNetworkTest {
  private static final long SEED = Long.getLong("mailcluster.seed", 7L);
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeId MX1 = NodeId.of("mx1");
  private static final NodeId MX2 = NodeId.of("mx2");
  private static final NodeId MX3 = NodeId.of("mx3");
  private static final Duration DEADLINE = Duration.ofSeconds(2);

  private final VirtualTime time = VirtualTime.startingAt(T0);
  private SimulatedNetwork network = SimulatedNetwork.create(time, SEED);

  @RegisterExtension
  final TestWatcher dumpTraceOnFailure =
      new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
          System.out.println(context.getDisplayName() + " failed; " + network + "; trace:");
          network.trace().forEach(System.out::println);
        }
      };

  // ---- reproducibility ----------------------------------------------------------------------

  @Test
  void sameSeedGivesTheSameTraceAndADifferentSeedAnotherOne() {
    List<String> first = busyFaultyRun(SEED);
    List<String> again = busyFaultyRun(SEED);
    List<String> other = busyFaultyRun(SEED + 1);
    assertTrue(first.size() > 100, "a busy run should trace a lot, seed " + SEED + ": " + first);
    assertEquals(first, again, "two runs with seed " + SEED + " differ");
    assertNotEquals(first, other, "seeds " + SEED + " and " + (SEED + 1) + " gave the same run");
  }

  private List<String> busyFaultyRun(long seed) {
    VirtualTime t = VirtualTime.startingAt(T0);
    SimulatedNetwork net = SimulatedNetwork.create(t, seed);
    net.inject(new Fault.Drop(0.05));
    net.inject(new Fault.Duplicate(0.2));
    net.inject(new Fault.Reorder(0.3));
    net.inject(new Fault.Delay(Duration.ZERO, Duration.ofMillis(50)));
    Handler h2 = Handler.echo();
    ClusterTransport mx1 = net.transport(MX1, address(MX1));
    ClusterTransport mx2 = net.transport(MX2, address(MX2));
    mx1.start(Handler.echo());
    mx2.start(h2);
    PeerChannel channel = mx1.connect(address(MX2));
    List<String> outcomes = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      int n = i;
      channel
          .call(new Request.Forward("count", "" + i, 1), DEADLINE)
          .whenComplete((r, e) -> outcomes.add(n + ":" + (e == null ? "ok" : "failed")));
    }
    Observer observer = new Observer();
    channel.subscribe(new Subscribe(MX1, 1, Revision.INITIAL), observer);
    t.runUntil(() -> !h2.served.isEmpty(), Duration.ofSeconds(5));
    if (!h2.served.isEmpty()) {
      ServerStream<ReplicationMessage> stream = h2.served.get(0);
      for (int i = 1; i <= 100; i++) {
        stream.send(heartbeat(i));
      }
    }
    t.runUntilIdle(Duration.ofMinutes(1));
    List<String> trace = new ArrayList<>(net.trace());
    trace.add("outcomes " + outcomes);
    trace.add("received " + observer.received.size() + " ended " + observer.endings);
    return trace;
  }

  // ---- plain delivery -----------------------------------------------------------------------

  @Test
  void handlerSeesTheSendersNodeAndAddress() {
    Handler h2 = Handler.echo();
    PeerChannel channel = pair(h2);
    CompletableFuture<Response> call = channel.call(new Request.Ping(T0, 1), DEADLINE);
    time.runUntilIdle(Duration.ofMinutes(1));
    assertTrue(call.isDone() && !call.isCompletedExceptionally(), "seed " + SEED + ": " + call);
    // Its certificate's serial is the network's name for the process, here mx1's, in hex.
    assertEquals(List.of(PeerIdentity.of(MX1, "mx1:7400", "6d7831")), h2.callers);
    assertTrue(
        network.trace().stream().anyMatch(l -> l.matches("t=0\\.\\d{3}s mx1→mx2 Ping.* delivered")),
        "trace: " + network.trace());
  }

  @Test
  void unaryMessagesBetweenTwoNodesArriveInOrderWithoutReorderFault() {
    Handler h2 = Handler.echo();
    PeerChannel channel = pair(h2);
    for (int i = 0; i < 200; i++) {
      channel.call(new Request.Forward("seq", "" + i, 1), DEADLINE);
    }
    time.runUntilIdle(Duration.ofMinutes(1));
    assertEquals(sequence(200), payloads(h2), "seed " + SEED);
  }

  @Test
  void traceIsBoundedAndSaysHowManyLinesItDropped() {
    network = SimulatedNetwork.builder(time, SEED).traceCapacity(5).build();
    PeerChannel channel = pair(Handler.echo());
    for (int i = 0; i < 20; i++) {
      channel.call(new Request.Ping(T0, 1), DEADLINE);
    }
    time.runUntilIdle(Duration.ofMinutes(1));
    List<String> trace = network.trace();
    assertEquals(6, trace.size(), "trace: " + trace);
    assertTrue(
        trace.get(0).matches("\\(\\d+ earlier lines discarded; seed " + SEED + "\\)"),
        trace.get(0));
  }

  // ---- faults ---------------------------------------------------------------------------------

  @Test
  void partitionCutsBothWaysBreaksStreamsAndHeals() {
    Handler h2 = Handler.echo();
    Handler h3 = Handler.echo();
    ClusterTransport mx1 = started(MX1, Handler.echo());
    ClusterTransport mx2 = started(MX2, h2);
    started(MX3, h3);
    PeerChannel to2 = mx1.connect(address(MX2));
    PeerChannel to3 = mx1.connect(address(MX3));
    Observer observer = new Observer();
    to2.subscribe(new Subscribe(MX1, 1, Revision.INITIAL), observer);
    time.runUntil(() -> !h2.served.isEmpty(), Duration.ofSeconds(1));
    ServerStream<ReplicationMessage> stream = h2.served.get(0);
    List<String> senderEvents = new ArrayList<>();
    stream.setOnCancel(() -> senderEvents.add("cancelled"));
    stream.send(heartbeat(1));
    time.runUntilIdle(Duration.ofSeconds(1));

    SimulatedNetwork.InjectedFault split =
        network.inject(new Fault.Partition(Set.of(MX1), Set.of(MX2)));
    CompletableFuture<Response> across = to2.call(new Request.Ping(T0, 1), DEADLINE);
    CompletableFuture<Response> back =
        mx2.connect(address(MX1)).call(new Request.Ping(T0, 1), DEADLINE);
    CompletableFuture<Response> aside = to3.call(new Request.Ping(T0, 1), DEADLINE);
    stream.send(heartbeat(2));
    time.runUntilIdle(Duration.ofMinutes(1));

    assertEquals(ErrorCode.UNAVAILABLE, failure(across).code(), "seed " + SEED);
    assertEquals(ErrorCode.UNAVAILABLE, failure(back).code(), "seed " + SEED);
    assertFalse(aside.isCompletedExceptionally(), "mx3 is not cut off, seed " + SEED);
    assertEquals(List.of(heartbeat(1)), observer.received, "seed " + SEED);
    assertEquals(List.of("error UNAVAILABLE"), observer.endings, "seed " + SEED);
    assertEquals(List.of("cancelled"), senderEvents, "seed " + SEED);
    assertFalse(stream.isReady(), "a broken stream is never ready again");

    split.heal();
    CompletableFuture<Response> healed = to2.call(new Request.Ping(T0, 1), DEADLINE);
    time.runUntilIdle(Duration.ofMinutes(1));
    assertFalse(healed.isCompletedExceptionally(), "seed " + SEED + ": " + healed);
    assertEquals(List.of(), network.activeFaults());
  }

  @Test
  void droppedCallFailsAtItsDeadline() {
    PeerChannel channel = pair(Handler.echo());
    network.inject(new Fault.Drop(1.0));
    CompletableFuture<Response> call = channel.call(new Request.Ping(T0, 1), DEADLINE);
    time.runUntilIdle(Duration.ofMinutes(1));
    assertEquals(ErrorCode.UNAVAILABLE, failure(call).code());
    assertEquals(DEADLINE, time.elapsed(), "the deadline decides when it fails, seed " + SEED);
  }

  @Test
  void dropOnAStreamBreaksItAndNeverLosesAMessageSilently() {
    network.inject(new Fault.Drop(0.02));
    Handler h2 = Handler.echo();
    PeerChannel channel = pair(h2);
    Observer observer = new Observer();
    channel.subscribe(new Subscribe(MX1, 1, Revision.INITIAL), observer);
    time.runUntil(() -> !h2.served.isEmpty() || !observer.endings.isEmpty(), Duration.ofSeconds(1));
    if (!h2.served.isEmpty()) {
      ServerStream<ReplicationMessage> stream = h2.served.get(0);
      for (int i = 1; i <= 500; i++) {
        stream.send(heartbeat(i));
      }
    }
    time.runUntilIdle(Duration.ofMinutes(1));
    assertEquals(List.of("error UNAVAILABLE"), observer.endings, "seed " + SEED);
    List<ReplicationMessage> prefix = new ArrayList<>();
    for (int i = 1; i <= observer.received.size(); i++) {
      prefix.add(heartbeat(i));
    }
    assertEquals(prefix, observer.received, "messages must be a gap-free prefix, seed " + SEED);
  }

  @Test
  void delayAddsToBothWaysOfACall() {
    network =
        SimulatedNetwork.builder(time, SEED).latency(Duration.ofMillis(10), Duration.ZERO).build();
    PeerChannel channel = pair(Handler.echo());
    network.inject(new Fault.Delay(Duration.ofMillis(300), Duration.ofMillis(300)));
    CompletableFuture<Response> call = channel.call(new Request.Ping(T0, 1), DEADLINE);
    time.runUntil(call::isDone, Duration.ofMinutes(1));
    assertEquals(Duration.ofMillis(620), time.elapsed(), "seed " + SEED);
  }

  @Test
  void duplicateDeliversRequestsTwiceButCompletesTheCallOnce() {
    Handler h2 = Handler.echo();
    PeerChannel channel = pair(h2);
    network.inject(new Fault.Duplicate(1.0));
    List<Response> answers = new ArrayList<>();
    channel.call(new Request.Forward("once", "1", 1), DEADLINE).thenAccept(answers::add);
    time.runUntilIdle(Duration.ofMinutes(1));
    assertEquals(List.of("1", "1"), payloads(h2), "seed " + SEED);
    assertEquals(1, answers.size(), "seed " + SEED);
    assertTrue(
        network.trace().stream().anyMatch(l -> l.endsWith("ignored (call already completed)")),
        "trace: " + network.trace());
  }

  @Test
  void reorderLetsUnaryMessagesOvertakeButNeverStreamMessages() {
    Handler h2 = Handler.echo();
    PeerChannel channel = pair(h2);
    network.inject(new Fault.Reorder(0.5));
    network.inject(new Fault.Duplicate(0.5));
    for (int i = 0; i < 200; i++) {
      channel.call(new Request.Forward("seq", "" + i, 1), DEADLINE);
    }
    Observer observer = new Observer();
    channel.subscribe(new Subscribe(MX1, 1, Revision.INITIAL), observer);
    time.runUntil(() -> !h2.served.isEmpty(), Duration.ofSeconds(1));
    ServerStream<ReplicationMessage> stream = h2.served.get(0);
    List<ReplicationMessage> sent = new ArrayList<>();
    for (int i = 1; i <= 200; i++) {
      sent.add(heartbeat(i));
      stream.send(heartbeat(i));
    }
    stream.complete();
    time.runUntilIdle(Duration.ofMinutes(1));
    List<String> seen = payloads(h2);
    assertNotEquals(sequence(200), seen, "no unary message was overtaken, seed " + SEED);
    assertTrue(seen.containsAll(sequence(200)), "seed " + SEED);
    assertEquals(sent, observer.received, "stream order and count, seed " + SEED);
    assertEquals(List.of("completed"), observer.endings, "seed " + SEED);
  }

  @Test
  void faultsRefuseImpossibleValuesQuotingThem() {
    IllegalArgumentException drop =
        assertThrows(IllegalArgumentException.class, () -> new Fault.Drop(1.5));
    assertTrue(drop.getMessage().contains("1.5"), drop.getMessage());
    IllegalArgumentException both =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Fault.Partition(Set.of(MX1, MX2), Set.of(MX2)));
    assertTrue(both.getMessage().contains("mx2"), both.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new Fault.Delay(Duration.ofSeconds(2), Duration.ofSeconds(1)));
  }

  // ---- crash and restart ----------------------------------------------------------------------

  @Test
  void crashLosesCallsInFlightRefusesNewOnesBreaksStreamsAndRestartServesAgain() {
    Handler h2 = Handler.echo();
    ClusterTransport mx1 = started(MX1, Handler.echo());
    ClusterTransport mx2 = started(MX2, h2);
    PeerChannel channel = mx1.connect(address(MX2));
    Observer observer = new Observer();
    channel.subscribe(new Subscribe(MX1, 1, Revision.INITIAL), observer);
    time.runUntil(() -> !h2.served.isEmpty(), Duration.ofSeconds(1));
    h2.served.get(0).send(heartbeat(1));
    time.runUntilIdle(Duration.ofSeconds(1));

    CompletableFuture<Response> inFlight = channel.call(new Request.Ping(T0, 1), DEADLINE);
    network.crash(MX2);
    time.runUntil(inFlight::isDone, Duration.ofMinutes(1));
    assertEquals(ErrorCode.UNAVAILABLE, failure(inFlight).code(), "seed " + SEED);
    assertEquals(List.of("error UNAVAILABLE"), observer.endings, "the stream breaks, seed " + SEED);
    assertEquals(List.of(heartbeat(1)), observer.received, "seed " + SEED);

    Instant before = time.now();
    CompletableFuture<Response> refused = channel.call(new Request.Ping(T0, 1), DEADLINE);
    time.runUntil(refused::isDone, Duration.ofMinutes(1));
    assertEquals(ErrorCode.UNAVAILABLE, failure(refused).code(), "seed " + SEED);
    assertTrue(
        Duration.between(before, time.now()).compareTo(Duration.ofMillis(100)) < 0,
        "a crashed node refuses at once rather than at the deadline, seed " + SEED);
    assertFalse(network.isServing(MX2));
    assertThrows(IllegalStateException.class, () -> mx2.connect(address(MX1)));
    assertThrows(IllegalStateException.class, () -> network.crash(MX2));

    ClusterTransport again = network.restart(MX2);
    Handler h2again = Handler.echo();
    again.start(h2again);
    CompletableFuture<Response> answered = channel.call(new Request.Ping(T0, 1), DEADLINE);
    time.runUntilIdle(Duration.ofMinutes(1));
    assertFalse(answered.isCompletedExceptionally(), "seed " + SEED + ": " + answered);
    assertEquals(1, h2again.callers.size(), "only the new call reaches the new incarnation");
    assertThrows(IllegalStateException.class, () -> network.restart(MX2));
  }

  @Test
  void networkRefusesAmbiguousNodesAndAddresses() {
    network.transport(MX1, address(MX1));
    assertThrows(IllegalStateException.class, () -> network.transport(MX1, address(MX1)));
    assertThrows(IllegalArgumentException.class, () -> network.transport(MX2, address(MX1)));
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> network.crash(MX3));
    assertTrue(unknown.getMessage().contains("mx3"), unknown.getMessage());
  }

  // ---- flow control -------------------------------------------------------------------------

  @Test
  void streamIsNotReadyBeyondItsWindowAndCallsOnReadyAsMessagesArrive() {
    network = SimulatedNetwork.builder(time, SEED).streamWindow(4).build();
    Handler h2 = Handler.echo();
    PeerChannel channel = pair(h2);
    Observer observer = new Observer();
    channel.subscribe(new Subscribe(MX1, 1, Revision.INITIAL), observer);
    time.runUntil(() -> !h2.served.isEmpty(), Duration.ofSeconds(1));
    ServerStream<ReplicationMessage> stream = h2.served.get(0);
    List<Integer> readyAt = new ArrayList<>();
    stream.setOnReady(() -> readyAt.add(observer.received.size()));
    int sent = 0;
    while (stream.isReady()) {
      stream.send(heartbeat(++sent));
    }
    assertEquals(4, sent, "the window is 4 messages");
    time.runUntilIdle(Duration.ofMinutes(1));
    assertEquals(List.of(1), readyAt, "ready again once the first message arrived");
    assertTrue(stream.isReady());
  }

  @Test
  void closingAChannelWhileItsSubscriptionTravelsEndsItOnceEvenWithoutLatency() {
    network = SimulatedNetwork.builder(time, SEED).latency(Duration.ZERO, Duration.ZERO).build();
    Handler h2 = Handler.echo();
    PeerChannel channel = pair(h2);
    Observer observer = new Observer();
    channel.subscribe(new Subscribe(MX1, 1, Revision.INITIAL), observer);
    channel.close();
    time.runUntilIdle(Duration.ofMinutes(1));
    assertEquals(List.of("error UNAVAILABLE"), observer.endings, "seed " + SEED);
    assertEquals(List.of(), h2.served, "a closed subscription must not reach the handler");
  }

  // ---- helpers ------------------------------------------------------------------------------

  private PeerChannel pair(Handler serving) {
    ClusterTransport mx1 = started(MX1, Handler.echo());
    started(MX2, serving);
    return mx1.connect(address(MX2));
  }

  private ClusterTransport started(NodeId node, InboundHandler handler) {
    ClusterTransport t = network.transport(node, address(node));
    t.start(handler);
    return t;
  }

  private static NodeAddress address(NodeId node) {
    return NodeAddress.parse(node.value());
  }

  private static ReplicationMessage heartbeat(int sequence) {
    return new ReplicationMessage.Heartbeat(1, Revision.of(1, sequence), T0);
  }

  private static List<String> sequence(int n) {
    List<String> s = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      s.add("" + i);
    }
    return s;
  }

  private static List<String> payloads(Handler h) {
    return h.requests.stream().map(r -> ((Request.Forward) r).payload()).toList();
  }

  private static ClusterException failure(CompletableFuture<Response> call) {
    assertTrue(call.isCompletedExceptionally(), "expected a failure, seed " + SEED + ": " + call);
    try {
      call.join();
      throw new AssertionError("unreachable");
    } catch (CompletionException e) {
      return (ClusterException) e.getCause();
    }
  }

  /** A handler that answers with a function and records what it sees. */
  private static final class Handler implements InboundHandler {
    final Function<Request, Response> answer;
    final List<PeerIdentity> callers = new ArrayList<>();
    final List<Request> requests = new ArrayList<>();
    final List<ServerStream<ReplicationMessage>> served = new ArrayList<>();

    Handler(Function<Request, Response> answer) {
      this.answer = answer;
    }

    static Handler echo() {
      return new Handler(
          r ->
              r instanceof Request.Forward f
                  ? new Response.Forwarded(f.payload(), 1)
                  : new Response.Pong(T0, T0, T0, 1));
    }

    @Override
    public CompletableFuture<Response> handle(PeerIdentity from, Request request) {
      callers.add(from);
      requests.add(request);
      return CompletableFuture.completedFuture(answer.apply(request));
    }

    @Override
    public void subscribe(
        PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream) {
      served.add(stream);
    }
  }

  /** Records a stream's messages and endings. */
  private static final class Observer implements StreamObserver<ReplicationMessage> {
    final List<ReplicationMessage> received = new ArrayList<>();
    final List<String> endings = new ArrayList<>();

    @Override
    public void onNext(ReplicationMessage message) {
      received.add(message);
    }

    @Override
    public void onError(ClusterException error) {
      endings.add("error " + error.code());
    }

    @Override
    public void onCompleted() {
      endings.add("completed");
    }
  }
}
