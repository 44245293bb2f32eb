package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.ClusterServiceBuilder;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.PromotionOptions;
import org.mailcluster.Role;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.Subscribe;
import org.mailcluster.transport.grpc.v1.ClusterGrpc;
import org.mailcluster.transport.grpc.v1.ForwardRequest;
import org.mailcluster.transport.grpc.v1.ReplicationMessage;
import org.mailcluster.transport.grpc.v1.SubscribeRequest;

/**
 * Peers that hold a genuine cluster certificate and misbehave, against real nodes over mutual TLS:
 * replication streams opened and never read, a replayed promotion vote of an old epoch, a request
 * above the message size limit, and a replication message above the secondary's assembly limit.
 * Each is refused or contained, and the primary keeps serving the well-behaved nodes.
 */
@Tag("slow")
class HostilePeerTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final int VALUE_BYTES = 2 * 1024;

  private final List<ClusterService> nodes = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  @TempDir Path home;

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    for (ClusterService n : nodes) {
      n.close(Duration.ofSeconds(5));
    }
  }

  private ClusterService node(
      String id,
      NodeAddress address,
      Optional<NodeAddress> primary,
      UnaryOperator<GrpcTransport.Builder> tune,
      UnaryOperator<ClusterServiceBuilder> options) {
    ClusterService cluster = TestCluster.node(home, id, address, primary, tune, options);
    nodes.add(cluster);
    return cluster;
  }

  private ClusterService node(String id, NodeAddress address, Optional<NodeAddress> primary) {
    return node(id, address, primary, t -> t, b -> b);
  }

  /** A raw gRPC channel holding {@code node}'s genuine certificate, as a compromised peer has. */
  private ManagedChannel rawChannel(NodeAddress target, NodeId node) {
    ManagedChannel channel = TestCluster.rawChannel(target, node);
    closeables.add(channel::shutdownNow);
    return channel;
  }

  private static SettingKey key(String name) {
    return SettingKey.ini("MDaemon.ini", "Hostile", name);
  }

  private static CompletableFuture<Revision> commit(ClusterService node, String name, String v) {
    return node.update(ConfigUpdate.builder("api:test").setRaw(key(name), v).build());
  }

  private static void awaitConverged(ClusterService primary, ClusterService secondary, String why) {
    assertTrue(
        TestCluster.await(
            () ->
                primary
                    .configuration()
                    .fingerprint()
                    .equals(secondary.configuration().fingerprint()),
            CONVERGE),
        secondary.nodeId()
            + " did not converge within "
            + CONVERGE
            + " "
            + why
            + ": primary at "
            + primary.configuration().revision()
            + ", "
            + secondary.nodeId()
            + " at "
            + secondary.configuration().revision()
            + "; "
            + secondary.diagnostics().recentEvents());
  }

  /**
   * The heap in use after a full collection, plus Netty's direct buffers where it counts them; the
   * least of three readings, so that a collection racing other threads' allocations does not count.
   */
  private static long retainedBytes() {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long direct =
          io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent.usedDirectMemory();
      least = Math.min(least, heap + Math.max(0, direct));
    }
    return least;
  }

  /**
   * Commits {@code commits} values of 2 KiB over 20 keys, 16 at a time, and waits until {@code
   * secondary} holds them; returns the milliseconds it took.
   */
  private static long load(ClusterService primary, ClusterService secondary, int commits, int round)
      throws Exception {
    String value = "x".repeat(VALUE_BYTES);
    long t0 = System.nanoTime();
    List<CompletableFuture<Revision>> window = new ArrayList<>();
    for (int i = 0; i < commits; i++) {
      window.add(commit(primary, "K" + (i % 20), round + "." + i + value));
      if (window.size() == 16 || i == commits - 1) {
        CompletableFuture.allOf(window.toArray(CompletableFuture[]::new))
            .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        window.clear();
      }
    }
    awaitConverged(primary, secondary, "after round " + round);
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  @Test
  void streamsOpenedAndNeverReadHoldNeitherThePrimaryNorItsMemory() throws Exception {
    NodeAddress a1 = TestCluster.unusedAddress();
    NodeAddress a2 = TestCluster.unusedAddress();
    UnaryOperator<ClusterServiceBuilder> shortHistory =
        b -> b.historyRetention(100, Duration.ofHours(1));
    ClusterService mx1 = node("mx1", a1, Optional.empty(), t -> t, shortHistory);
    mx1.addServer(NodeId.of("mx2"), a2).get(10, TimeUnit.SECONDS);
    List<NodeId> stallers = List.of(NodeId.of("mx3"), NodeId.of("mx4"), NodeId.of("mx5"));
    for (NodeId id : stallers) {
      mx1.addServer(id, TestCluster.unusedAddress()).get(10, TimeUnit.SECONDS);
    }
    ClusterService mx2 = node("mx2", a2, Optional.of(a1), t -> t, shortHistory);
    mx2.awaitSynchronized().get(30, TimeUnit.SECONDS);

    // A warm-up that fills the primary's log of recent entries for streaming (4,096 entries), so
    // that what the cluster retains no longer grows with commits; then 3,000 commits of 2 KiB
    // (6 MiB through the primary) to measure what it retains without stalled streams, and as
    // many with them.
    int commits = 3_000;
    long pushed = (long) commits * VALUE_BYTES;
    load(mx1, mx2, 4_200, 0);
    long m0 = retainedBytes();
    long plainMillis = load(mx1, mx2, commits, 1);
    long m1 = retainedBytes();

    // Three registered servers' certificates open streams from the first revision on, take one
    // message each so that each is known to be open, then never read again.
    AtomicInteger received = new AtomicInteger();
    List<Throwable> ended = new CopyOnWriteArrayList<>();
    for (NodeId id : stallers) {
      ClusterGrpc.newStub(rawChannel(a1, id))
          .subscribe(
              Wire.encode(new Subscribe(id, 1, Revision.INITIAL)),
              new ClientResponseObserver<SubscribeRequest, ReplicationMessage>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<SubscribeRequest> call) {
                  call.disableAutoRequestWithInitial(1);
                }

                @Override
                public void onNext(ReplicationMessage value) {
                  received.incrementAndGet();
                }

                @Override
                public void onError(Throwable t) {
                  ended.add(t);
                }

                @Override
                public void onCompleted() {
                  ended.add(new IllegalStateException("completed"));
                }
              });
    }
    assertTrue(
        TestCluster.await(() -> received.get() == stallers.size(), CONVERGE),
        received.get() + " of " + stallers.size() + " streams opened; ended: " + ended);
    // The first round with stalled streams fills their flow-control windows (the stalled client
    // runs in this JVM, so its receive buffers count too); after that nothing may grow with
    // the commits, as it would if the primary queued what it cannot send.
    load(mx1, mx2, commits, 2);
    long m2 = retainedBytes();
    long stalledMillis = load(mx1, mx2, commits, 3);
    long m3 = retainedBytes();
    long plain = m1 - m0;
    long windows = m2 - m1;
    long stalled = m3 - m2;

    assertEquals(stallers.size(), received.get(), "a stalled stream got more than it asked for");
    assertEquals(List.of(), ended, "the primary ended a stalled stream");
    assertTrue(
        stalled < plain + pushed / 2,
        "with "
            + stallers.size()
            + " stalled streams retained memory still grew by "
            + stalled / 1024
            + " KiB against "
            + plain / 1024
            + " KiB without them, for "
            + pushed / 1024
            + " KiB committed: the primary keeps what it cannot send");
    // The primary still answers anyone.
    assertEquals(
        mx1.configuration().revision().epoch(),
        ClusterGrpc.newBlockingStub(rawChannel(a1, NodeId.of("mx2")))
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .ping(Wire.encode(new Request.Ping(Instant.now(), 1)))
            .getEpoch());
    System.out.printf(
        "hostile peers: %d replication streams never read; with them %d commits (%d KiB) took"
            + " %d ms and retained %d KiB more, against %d ms and %d KiB without them (a primary"
            + " that queued for the stalled streams would retain %d KiB more per round); their"
            + " flow-control windows hold %d KiB once%n",
        stallers.size(),
        commits,
        pushed / 1024,
        stalledMillis,
        stalled / 1024,
        plainMillis,
        plain / 1024,
        pushed * stallers.size() / 1024,
        windows / 1024);
  }

  @Test
  void aReplayedPromotionVoteOfAnOldEpochIsRefused() throws Exception {
    Trio t = trio();
    NodeAddress a2 = t.a2();
    NodeAddress a3 = t.a3();
    ClusterService mx1 = t.mx1();
    ClusterService mx2 = t.mx2();
    ClusterService mx3 = t.mx3();
    commit(mx1, "Before", "1").get(10, TimeUnit.SECONDS);

    // The primary goes away for good; mx2 is promoted into epoch 2, which mx3 grants (forced:
    // mx3 may still count mx1 as heard for a few heartbeats, which would only delay the vote).
    mx1.close(Duration.ofSeconds(5));
    nodes.remove(mx1);
    Revision first = mx2.promote(PromotionOptions.forced()).get(30, TimeUnit.SECONDS);
    assertEquals(2, first.epoch());
    commit(mx2, "After", "2").get(10, TimeUnit.SECONDS);
    awaitConverged(mx2, mx3, "after the promotion");

    // The vote request mx3 granted, replayed word for word by a peer with mx2's certificate, and
    // an older one for epoch 1: all refused, by mx3 and by the new primary itself.
    GrpcTransport replayer = TestCluster.transport(NodeId.of("mx2"));
    closeables.add(replayer);
    for (NodeAddress target : List.of(a3, a2)) {
      PeerChannel channel = replayer.connect(target);
      for (Request.EpochGrant vote :
          List.of(
              new Request.EpochGrant(NodeId.of("mx2"), 2, false, 2),
              new Request.EpochGrant(NodeId.of("mx1"), 1, false, 2),
              new Request.EpochGrant(NodeId.of("mx3"), 2, true, 2))) {
        CompletionException e =
            assertThrows(
                CompletionException.class,
                () -> channel.call(vote, DEADLINE).join(),
                vote + " to " + target);
        ClusterException refused = (ClusterException) e.getCause();
        if (target.equals(a2)) {
          // At mx2 itself, a call in its own name is refused before anything else.
          assertEquals(ErrorCode.PERMISSION_DENIED, refused.code(), refused.getMessage());
          assertTrue(
              refused.getMessage().contains("in this node's own name (mx2)"), refused.getMessage());
        } else {
          assertEquals(ErrorCode.STALE_EPOCH, refused.code(), refused.getMessage());
          assertTrue(refused.getMessage().contains("epoch 2"), refused.getMessage());
        }
      }
    }

    // Nothing changed: mx2 is still the primary of epoch 2 and mx3 still follows it.
    assertEquals(Role.PRIMARY, mx2.role());
    assertEquals(Role.SECONDARY, mx3.role());
    commit(mx2, "AfterReplay", "3").get(10, TimeUnit.SECONDS);
    awaitConverged(mx2, mx3, "after the replayed votes");
    assertEquals(Optional.of(NodeId.of("mx2")), mx3.primary());
    assertEquals(2, mx3.configuration().revision().epoch());
    System.out.println(
        "hostile peers: 6 replayed promotion votes (epochs 1 and 2) refused with STALE_EPOCH;"
            + " the primary of epoch 2 kept its role and its secondary");
  }

  @Test
  void aVoteForAnotherNodeIsRefusedAndPromisesNothing() throws Exception {
    Trio t = trio();
    NodeAddress a2 = t.a2();
    ClusterService mx1 = t.mx1();

    // mx3's certificate asks mx2 to grant a far epoch to mx1, the running primary, forced: were it
    // granted, mx2 would have promised that epoch and refuse every lower one.
    GrpcTransport forger = TestCluster.transport(NodeId.of("mx3"));
    closeables.add(forger);
    PeerChannel channel = forger.connect(a2);
    CompletionException e =
        assertThrows(
            CompletionException.class,
            () ->
                channel
                    .call(new Request.EpochGrant(NodeId.of("mx1"), 1_000, true, 1), DEADLINE)
                    .join());
    ClusterException refused = (ClusterException) e.getCause();
    assertEquals(ErrorCode.PERMISSION_DENIED, refused.code(), refused.getMessage());
    assertTrue(
        refused.getMessage().contains("a vote for mx1 was asked by mx3"), refused.getMessage());
    // Nothing was promised: mx2 still grants epoch 2 to a candidate that asks for itself.
    GrpcTransport mx3Itself = TestCluster.transport(NodeId.of("mx3"));
    closeables.add(mx3Itself);
    Response.EpochGranted granted =
        (Response.EpochGranted)
            mx3Itself
                .connect(a2)
                .call(new Request.EpochGrant(NodeId.of("mx3"), 2, true, 1), DEADLINE)
                .join();
    assertEquals(2, granted.granted());
    assertEquals(Role.PRIMARY, mx1.role());
  }

  /** A primary and two synchronized secondaries, each at its own loopback address. */
  private record Trio(
      NodeAddress a2, NodeAddress a3, ClusterService mx1, ClusterService mx2, ClusterService mx3) {}

  private Trio trio() throws Exception {
    NodeAddress a1 = TestCluster.unusedAddress();
    NodeAddress a2 = TestCluster.unusedAddress();
    NodeAddress a3 = TestCluster.unusedAddress();
    ClusterService mx1 = node("mx1", a1, Optional.empty());
    mx1.addServer(NodeId.of("mx2"), a2).get(10, TimeUnit.SECONDS);
    mx1.addServer(NodeId.of("mx3"), a3).get(10, TimeUnit.SECONDS);
    ClusterService mx2 = node("mx2", a2, Optional.of(a1));
    ClusterService mx3 = node("mx3", a3, Optional.of(a1));
    mx2.awaitSynchronized().get(30, TimeUnit.SECONDS);
    mx3.awaitSynchronized().get(30, TimeUnit.SECONDS);
    return new Trio(a2, a3, mx1, mx2, mx3);
  }

  @Test
  void aRequestAboveTheMessageSizeLimitIsRefusedAndTheNodeKeepsServing() throws Exception {
    NodeAddress a1 = TestCluster.unusedAddress();
    NodeAddress a2 = TestCluster.unusedAddress();
    int limit = 256 * 1024;
    ClusterService mx1 = node("mx1", a1, Optional.empty(), t -> t.maxMessageSize(limit), b -> b);
    mx1.addServer(NodeId.of("mx2"), a2).get(10, TimeUnit.SECONDS);
    ClusterService mx2 = node("mx2", a2, Optional.of(a1));
    mx2.awaitSynchronized().get(30, TimeUnit.SECONDS);

    ClusterGrpc.ClusterBlockingStub raw =
        ClusterGrpc.newBlockingStub(rawChannel(a1, NodeId.of("mx2")))
            .withDeadlineAfter(10, TimeUnit.SECONDS);
    for (int size : List.of(limit + 1, 4 * limit, 16 * 1024 * 1024)) {
      // Built field by field: the transport's own records refuse payloads above 1 MiB.
      ForwardRequest oversized =
          ForwardRequest.newBuilder()
              .setService("mailcluster.status")
              .setPayload("x".repeat(size))
              .setEpoch(1)
              .build();
      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> raw.forward(oversized));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());
    }
    // Bytes that are no valid text, the limit's size, in a request field: refused the same way.
    ForwardRequest bytes =
        ForwardRequest.newBuilder()
            .setService("mailcluster.status")
            .setPayloadBytes(ByteString.copyFrom(new byte[limit]))
            .build();
    assertEquals(
        Status.Code.RESOURCE_EXHAUSTED,
        assertThrows(StatusRuntimeException.class, () -> raw.forward(bytes)).getStatus().getCode());

    commit(mx1, "AfterOversized", "1").get(10, TimeUnit.SECONDS);
    awaitConverged(mx1, mx2, "after the oversized requests");
    System.out.println(
        "hostile peers: 4 requests above the "
            + limit / 1024
            + " KiB limit (up to 16 MiB)"
            + " refused with RESOURCE_EXHAUSTED; replication went on");
  }

  @Test
  void aReplicationMessageAboveTheSecondarysAssemblyLimitIsRefusedWithTheFix() throws Exception {
    NodeAddress a1 = TestCluster.unusedAddress();
    NodeAddress a2 = TestCluster.unusedAddress();
    NodeAddress a3 = TestCluster.unusedAddress();
    int limit = 64 * 1024;
    ClusterService mx1 = node("mx1", a1, Optional.empty(), t -> t.maxMessageSize(limit), b -> b);
    mx1.addServer(NodeId.of("mx2"), a2).get(10, TimeUnit.SECONDS);
    mx1.addServer(NodeId.of("mx3"), a3).get(10, TimeUnit.SECONDS);
    // A value of 256 KiB: whatever carries it to a new secondary (snapshot or entries) travels
    // as fragments of the primary's 64 KiB messages.
    commit(mx1, "Big", "b".repeat(256 * 1024)).get(10, TimeUnit.SECONDS);

    // mx2 assembles at most 64 KiB: it must refuse, say how to fix it, and not apply anything.
    ClusterService mx2 =
        node(
            "mx2",
            a2,
            Optional.of(a1),
            t -> t.maxMessageSize(limit).maxAssembledMessageSize(limit),
            b -> b);
    // mx3 keeps the default limits and is served all the same.
    ClusterService mx3 = node("mx3", a3, Optional.of(a1));
    awaitConverged(mx1, mx3, "next to a secondary refusing the message");
    assertTrue(
        TestCluster.await(
            () -> mx2.diagnostics().recentEvents().toString().contains("maxAssembledMessageSize"),
            CONVERGE),
        "mx2 did not say which limit refused the message: " + mx2.diagnostics().recentEvents());
    assertFalse(mx2.configuration().get(key("Big").stateKey()).isPresent());
    assertNotEquals(mx1.configuration().fingerprint(), mx2.configuration().fingerprint());
    System.out.println(
        "hostile peers: a 256 KiB value refused by a secondary assembling at most "
            + limit / 1024
            + " KiB ("
            + mx2.diagnostics().recentEvents().stream()
                .filter(e -> e.message().contains("maxAssembledMessageSize"))
                .count()
            + " refusals logged); a secondary with the default limit converged");
  }
}
