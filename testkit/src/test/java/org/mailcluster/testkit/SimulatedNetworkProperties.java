package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.testing.PropertyRuns;
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
import org.quicktheories.core.Gen;

/**
 * Whatever the seed and the faults, the simulated network keeps the transport contract: every call
 * completes exactly once, and a stream delivers a gap-free prefix of what was sent followed by
 * exactly one ending. A value-level property (a network seed and fault rates in, the contract out),
 * so it runs as a QuickTheories theory: {@code mailcluster.tries} tries (200 in the testkit's
 * build), seed printed; the network seed is part of each generated value, so a failure names it.
 */
class SimulatedNetworkProperties {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeId MX1 = NodeId.of("mx1");
  private static final NodeId MX2 = NodeId.of("mx2");

  /** The faults of one try. */
  record Faults(double drop, double duplicate, double reorder, int delayMillis) {}

  @Test
  void contractHoldsUnderRandomFaults() {
    Gen<Faults> faults =
        doubles()
            .between(0, 0.2)
            .zip(
                doubles().between(0, 1),
                doubles().between(0, 1),
                integers().between(0, 500),
                Faults::new);
    PropertyRuns.check(
        theory ->
            theory
                .forAll(longs().all(), faults, integers().between(1, 300))
                .checkAssert(
                    (seed, f, messages) ->
                        contractHolds(
                            seed,
                            f.drop(),
                            f.duplicate(),
                            f.reorder(),
                            f.delayMillis(),
                            messages)));
  }

  private static void contractHolds(
      long seed, double drop, double duplicate, double reorder, int delayMillis, int messages) {
    VirtualTime time = VirtualTime.startingAt(T0);
    SimulatedNetwork network = SimulatedNetwork.create(time, seed);
    network.inject(new Fault.Drop(drop));
    network.inject(new Fault.Duplicate(duplicate));
    network.inject(new Fault.Reorder(reorder));
    network.inject(new Fault.Delay(Duration.ZERO, Duration.ofMillis(delayMillis)));
    List<ServerStream<ReplicationMessage>> served = new ArrayList<>();
    ClusterTransport mx1 = network.transport(MX1, NodeAddress.parse("mx1"));
    ClusterTransport mx2 = network.transport(MX2, NodeAddress.parse("mx2"));
    mx1.start(new Serving(served));
    mx2.start(new Serving(served));
    PeerChannel channel = mx1.connect(NodeAddress.parse("mx2"));

    List<AtomicInteger> completions = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      AtomicInteger done = new AtomicInteger();
      completions.add(done);
      channel
          .call(new Request.Ping(T0, i), Duration.ofSeconds(3))
          .whenComplete((r, e) -> done.incrementAndGet());
    }
    Recorder recorder = new Recorder();
    channel.subscribe(new Subscribe(MX1, 1, Revision.INITIAL), recorder);
    time.runUntil(() -> !served.isEmpty() || recorder.endings > 0, Duration.ofSeconds(5));
    List<ReplicationMessage> sent = new ArrayList<>();
    if (!served.isEmpty()) {
      ServerStream<ReplicationMessage> stream = served.get(0);
      for (int i = 1; i <= messages; i++) {
        ReplicationMessage m = new ReplicationMessage.Heartbeat(1, Revision.of(1, i), T0);
        sent.add(m);
        stream.send(m);
      }
      stream.complete();
    }
    time.runUntilIdle(Duration.ofMinutes(5));

    String context = "seed " + seed + ", trace tail " + tail(network.trace());
    for (AtomicInteger done : completions) {
      assertEquals(1, done.get(), "each call completes once; " + context);
    }
    assertEquals(1, recorder.endings, "the stream ends once; " + context);
    assertTrue(recorder.received.size() <= sent.size(), context);
    assertEquals(
        sent.subList(0, recorder.received.size()),
        recorder.received,
        "a gap-free prefix; " + context);
    if (recorder.completed) {
      assertEquals(sent, recorder.received, "a completed stream delivered all; " + context);
    }
  }

  private static List<String> tail(List<String> trace) {
    return trace.subList(Math.max(0, trace.size() - 20), trace.size());
  }

  private static final class Serving implements InboundHandler {
    final List<ServerStream<ReplicationMessage>> served;

    Serving(List<ServerStream<ReplicationMessage>> served) {
      this.served = served;
    }

    @Override
    public CompletableFuture<Response> handle(PeerIdentity from, Request request) {
      return CompletableFuture.completedFuture(new Response.Pong(T0, T0, T0, request.epoch()));
    }

    @Override
    public void subscribe(
        PeerIdentity from, Subscribe request, ServerStream<ReplicationMessage> stream) {
      served.add(stream);
    }
  }

  private static final class Recorder implements StreamObserver<ReplicationMessage> {
    final List<ReplicationMessage> received = new ArrayList<>();
    int endings;
    boolean completed;

    @Override
    public void onNext(ReplicationMessage message) {
      received.add(message);
    }

    @Override
    public void onError(ClusterException error) {
      endings++;
    }

    @Override
    public void onCompleted() {
      endings++;
      completed = true;
    }
  }
}
