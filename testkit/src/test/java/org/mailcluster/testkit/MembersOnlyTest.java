package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.transport.ClusterTransport;
import org.mailcluster.transport.MessageLimits;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;

/**
 * A peer that holds a genuine certificate but is no registered server (mx9), or a member's
 * certificate used for what its role may not do, is refused message by message: nothing it sends
 * changes the state, the epoch or the primary, and the cluster goes on replicating.
 */
class MembersOnlyTest {
  private static final Duration LIMIT = Duration.ofSeconds(30);
  private static final Duration DEADLINE = Duration.ofSeconds(5);
  private static final NodeAddress MX1 = NodeAddress.of("mx1", 7400);
  private static final SettingKey KEY = SettingKey.plugin("test", "value");

  private static SimulatedCluster cluster(long seed) {
    System.out.println("seed " + seed);
    SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(seed).build();
    c.start();
    c.awaitConverged(LIMIT);
    return c;
  }

  /** A channel to mx1 from a process presenting {@code presented}'s certificate. */
  private static PeerChannel as(SimulatedCluster c, String presented) {
    ClusterTransport t =
        c.network()
            .presenting(
                NodeId.of("attacker-" + presented),
                NodeAddress.of("attacker", 7400 + presented.hashCode() % 500 + 500),
                NodeId.of(presented));
    return t.connect(MX1);
  }

  private static ClusterException refused(SimulatedCluster c, CompletableFuture<Response> call) {
    CompletionException e =
        assertThrows(CompletionException.class, () -> c.await(call, LIMIT), "was not refused");
    assertTrue(e.getCause() instanceof ClusterException, e.toString());
    return (ClusterException) e.getCause();
  }

  private static void stillReplicates(SimulatedCluster c) {
    Revision r =
        c.await(
            c.primary().update(ConfigUpdate.builder("test").setRaw(KEY, "after").build()), LIMIT);
    assertTrue(
        c.time()
            .runUntil(
                () ->
                    c.node("mx2").configuration().revision().compareTo(r) >= 0
                        && c.node("mx3").configuration().revision().compareTo(r) >= 0,
                LIMIT),
        "a new edit did not replicate");
    c.assertConverged();
  }

  @Test
  void anUnregisteredNodeIsRefusedEverything() {
    try (SimulatedCluster c = cluster(41)) {
      ConfigSnapshot before = c.primary().configuration();
      PeerChannel mx9 = as(c, "mx9");
      Instant now = c.time().now();
      ClusterException ping = refused(c, mx9.call(new Request.Ping(now, 2, true), DEADLINE));
      assertEquals(ErrorCode.PERMISSION_DENIED, ping.code());
      assertTrue(
          ping.getMessage().startsWith("mx9 (at attacker) is not a registered server"),
          ping.getMessage());
      ClusterException vote =
          refused(
              c,
              mx9.call(
                  new Request.EpochGrant(NodeId.of("mx9"), MessageLimits.MAX_EPOCH, true, 1),
                  DEADLINE));
      assertEquals(ErrorCode.PERMISSION_DENIED, vote.code());
      ClusterException block =
          refused(
              c,
              mx9.call(
                  new Request.Forward(
                      "mailcluster.screening",
                      "{\"op\":\"block\",\"address\":\"192.0.2.1\",\"seconds\":60}",
                      1),
                  DEADLINE));
      assertEquals(ErrorCode.PERMISSION_DENIED, block.code());
      c.runFor(Duration.ofSeconds(2));
      assertEquals(Role.PRIMARY, c.node("mx1").role());
      assertEquals(1, c.node("mx1").diagnostics().epoch());
      assertEquals(before.fingerprint(), c.primary().configuration().fingerprint());
      stillReplicates(c);
    }
  }

  @Test
  void aMembersPingWithAHigherEpochIsAClaimThatNeedsAMajority() {
    try (SimulatedCluster c = cluster(42)) {
      PeerChannel mx2 = as(c, "mx2");
      // Answered (in the primary's own epoch), but taken only as a claim.
      Response pong = c.await(mx2.call(new Request.Ping(c.time().now(), 2, true), DEADLINE), LIMIT);
      assertEquals(1, pong.epoch());
      c.runFor(Duration.ofSeconds(5));
      ClusterService mx1 = c.node("mx1");
      assertEquals(Role.PRIMARY, mx1.role());
      assertEquals(1, mx1.diagnostics().epoch());
      assertTrue(
          mx1.diagnostics().recentEvents().stream()
              .anyMatch(
                  e ->
                      e.level().equals("ERROR")
                          && e.message()
                              .startsWith(
                                  "mx2 claims epoch 2 but only 0 of 3 registered servers have"
                                      + " seen or granted it")),
          () -> mx1.diagnostics().recentEvents().toString());
      // The largest epoch plus one is not a claim but malformed: the message cannot be built.
      assertThrows(
          IllegalArgumentException.class,
          () -> new Request.Ping(c.time().now(), MessageLimits.MAX_EPOCH + 1));
      stillReplicates(c);
    }
  }

  @Test
  void aMemberCannotAcknowledgeWhatDoesNotExistNorJoinInThePrimarysName() {
    try (SimulatedCluster c = cluster(43)) {
      ConfigSnapshot before = c.primary().configuration();
      PeerChannel mx2 = as(c, "mx2");
      ClusterException ack =
          refused(
              c,
              mx2.call(
                  new Request.Ack(
                      NodeId.of("mx2"), 1, new Revision(1, 999_999), before.fingerprint()),
                  DEADLINE));
      assertEquals(ErrorCode.INVALID_VALUE, ack.code());
      assertTrue(ack.getMessage().contains("acknowledged 1:999999"), ack.getMessage());
      ClusterException ahead =
          refused(
              c,
              mx2.call(
                  new Request.Ack(NodeId.of("mx2"), 1, new Revision(7, 3), before.fingerprint()),
                  DEADLINE));
      assertEquals(ErrorCode.INVALID_VALUE, ahead.code());
      PeerChannel self = as(c, "mx1");
      ClusterException join =
          refused(
              c, self.call(new Request.Join(NodeId.of("mx1"), MX1, 1, "1.0", "key", 1), DEADLINE));
      assertEquals(ErrorCode.PERMISSION_DENIED, join.code());
      assertTrue(join.getMessage().contains("in this node's own name (mx1)"), join.getMessage());
      assertEquals(before.fingerprint(), c.primary().configuration().fingerprint());
      stillReplicates(c);
    }
  }

  @Test
  void aMemberReadsOnlyItsOwnProbeAndScreensOnlyWithinLimits() {
    try (SimulatedCluster c = cluster(44)) {
      ConfigSnapshot before = c.primary().configuration();
      PeerChannel mx2 = as(c, "mx2");
      ClusterException probe =
          refused(
              c,
              mx2.call(
                  new Request.ProbeRead(StoragePath.parse("\\\\nas01\\mail"), "passwd", 1),
                  DEADLINE));
      assertEquals(ErrorCode.PERMISSION_DENIED, probe.code());
      String hugeReason = "x".repeat(900_000);
      for (String payload :
          new String[] {
            "{\"op\":\"block\",\"address\":\"192.0.2.1\",\"reason\":\"" + hugeReason + "\"}",
            "{\"op\":\"block\",\"address\":\"192.0.2.1\",\"seconds\":99999999999}",
            "{\"op\":\"allow\",\"address\":\"../../etc\"}",
            "[1,2,3]",
            "not json"
          }) {
        ClusterException e =
            refused(
                c, mx2.call(new Request.Forward("mailcluster.screening", payload, 1), DEADLINE));
        assertEquals(ErrorCode.INVALID_VALUE, e.code(), e.getMessage());
        assertTrue(e.getMessage().length() < 200, e.getMessage());
      }
      assertEquals(before.fingerprint(), c.primary().configuration().fingerprint());
      stillReplicates(c);
    }
  }

  @Test
  void aMemberPublishesOnlyItsOwnMailEvents() {
    try (SimulatedCluster c = cluster(45)) {
      PeerChannel mx2 = as(c, "mx2");
      String spoofed =
          "{\"from\":\"mx2\",\"incarnation\":1,\"events\":[{\"seq\":1,\"id\":\"e1\","
              + "\"origin\":\"mx3\",\"mailbox\":\"INBOX\",\"kind\":\"MESSAGE_ADDED\","
              + "\"payload\":\"\"}]}";
      ClusterException e =
          refused(c, mx2.call(new Request.Forward("mailcluster.events", spoofed, 1), DEADLINE));
      assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
      assertTrue(e.getMessage().contains("origin is 'mx3'"), e.getMessage());
      assertEquals(0, c.node("mx1").mailEvents().stats().received());
      stillReplicates(c);
    }
  }

  @Test
  void removingAServerRevokesItsCertificateEvenIfItIsAddedAgain() {
    try (SimulatedCluster c = cluster(46)) {
      NodeAddress mx3 = NodeAddress.of("mx3", 7400);
      c.crash("mx3");
      c.await(c.primary().removeServer(NodeId.of("mx3")), LIMIT);
      c.await(c.primary().addServer(NodeId.of("mx3"), mx3), LIMIT);
      // The process with the certificate mx3 joined with is refused as a revoked certificate...
      PeerChannel old = c.network().transport(NodeId.of("mx3"), mx3).connect(MX1);
      ClusterException e =
          refused(c, old.call(new Request.Ping(c.time().now(), 1, false), DEADLINE));
      assertEquals(ErrorCode.UNAUTHENTICATED, e.code());
      assertTrue(
          e.getMessage()
              .contains(
                  "revoked when that server was removed: a server added again"
                      + " needs a new certificate"),
          e.getMessage());
      // ...while a new certificate for mx3 is taken.
      Response pong =
          c.await(as(c, "mx3").call(new Request.Ping(c.time().now(), 1, false), DEADLINE), LIMIT);
      assertEquals(1, pong.epoch());
    }
  }
}
