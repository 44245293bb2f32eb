package org.mailcluster.testkit.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterService;
import org.mailcluster.config.SettingKey;
import org.mailcluster.forwarding.ForwardedAnswer;
import org.mailcluster.forwarding.PrimaryForwarding;
import org.mailcluster.membership.NodeId;
import org.mailcluster.screening.DynamicScreening;
import org.mailcluster.screening.ScreeningPolicy;
import org.mailcluster.screening.ScreeningStatus;
import org.mailcluster.screening.ScreeningVerdict;
import org.mailcluster.testkit.Fault;
import org.mailcluster.testkit.SimulatedCluster;

/**
 * Forwarded requests and dynamic screening (requirements R18, R19 and B4 in docs/REQUIREMENTS.md)
 * in a simulated cluster, with outages that start before, during and after a request reaches the
 * primary.
 */
class DynamicScreeningTest {
  private static final NodeId MX1 = NodeId.of("mx1");
  private static final NodeId MX2 = NodeId.of("mx2");
  private static final String IP = "203.0.113.7";
  private static final String BLOCKED_KEY = SettingKey.of("screening", "blocked", IP).stateKey();
  private static final String FAILURES_KEY = SettingKey.of("screening", "failures", IP).stateKey();
  private static final Duration LIMIT = Duration.ofSeconds(30);

  private static SimulatedCluster cluster(ScreeningPolicy policy, long seed) {
    return SimulatedCluster.builder()
        .nodes(3)
        .seed(seed)
        .latency(Duration.ofMillis(10), Duration.ZERO)
        .nodeOptions((id, b) -> b.screeningPolicy(policy))
        .build();
  }

  private static int failures(ClusterService node) {
    return node.configuration()
        .get(FAILURES_KEY)
        .map(json -> Integer.parseInt(json.replaceAll(".*\"count\":(\\d+).*", "$1")))
        .orElse(0);
  }

  @Test
  void forwardingAsksThePrimaryAndFallsBackLocallyWhenItCannotAnswer() {
    try (SimulatedCluster cluster = cluster(ScreeningPolicy.OVERWRITE, 3)) {
      cluster.start();
      cluster
          .primary()
          .registerService("echo", (from, p) -> CompletableFuture.completedFuture("primary:" + p));
      PrimaryForwarding forwarding = PrimaryForwarding.over(cluster.node("mx2"));
      ForwardedAnswer a =
          cluster.await(
              forwarding.ask("echo", "hi", Duration.ofSeconds(1), why -> "local:hi"), LIMIT);
      assertEquals(ForwardedAnswer.fromPrimary("primary:hi"), a);

      cluster.inject(new Fault.Partition(Set.of(MX2), Set.of(MX1)));
      ForwardedAnswer b =
          cluster.await(
              forwarding.ask("echo", "hi", Duration.ofSeconds(1), why -> "local:hi"), LIMIT);
      assertTrue(b.local());
      assertEquals("local:hi", b.payload());
      assertTrue(b.whyLocal().orElseThrow().contains("mx1"), b.whyLocal().toString());
    }
  }

  @Test
  void checksAndUpdatesOnASecondaryAreDecidedByThePrimaryAndReplicated() {
    try (SimulatedCluster cluster = cluster(ScreeningPolicy.OVERWRITE, 11)) {
      cluster.start();
      DynamicScreening mx2 = cluster.node("mx2").screening();
      ScreeningVerdict v = null;
      for (int i = 1; i <= DynamicScreening.MAX_FAILURES; i++) {
        v = cluster.await(mx2.failedLogin(IP), LIMIT);
        assertFalse(v.local());
      }
      assertTrue(v.blocked(), v.toString());
      cluster.awaitConverged(LIMIT);
      assertTrue(cluster.primary().configuration().get(BLOCKED_KEY).isPresent());
      assertTrue(cluster.node("mx3").configuration().get(BLOCKED_KEY).isPresent());
      assertTrue(cluster.await(cluster.node("mx3").screening().check(IP), LIMIT).blocked());
      assertEquals(1, cluster.node("mx3").screening().status().blocked());
      assertEquals("forwarding", cluster.node("mx3").screening().status().mode());
      assertEquals("primary", cluster.primary().screening().status().mode());

      cluster.await(cluster.node("mx3").screening().allow(IP), LIMIT);
      assertFalse(cluster.await(mx2.check(IP), LIMIT).blocked());
      assertEquals(
          "allowed",
          cluster.await(cluster.node("mx2").screening().failedLogin(IP), LIMIT).reason());
      // Blocks expire.
      cluster.await(mx2.block("198.51.100.1", Duration.ofMinutes(1), "manual"), LIMIT);
      assertTrue(cluster.await(mx2.check("198.51.100.1"), LIMIT).blocked());
      cluster.runFor(Duration.ofMinutes(2));
      assertFalse(cluster.await(mx2.check("198.51.100.1"), LIMIT).blocked());
    }
  }

  @Test
  void thePrimaryRemovesExpiredBlocksAndStaleCountersFromTheReplicatedState() {
    try (SimulatedCluster cluster = cluster(ScreeningPolicy.OVERWRITE, 17)) {
      cluster.start();
      DynamicScreening mx2 = cluster.node("mx2").screening();
      cluster.await(mx2.block("198.51.100.1", Duration.ofMinutes(1), "manual"), LIMIT);
      cluster.await(mx2.failedLogin(IP), LIMIT);
      cluster.await(mx2.block("198.51.100.2", Duration.ofHours(2), "manual"), LIMIT);
      cluster.awaitConverged(LIMIT);
      String shortBlock = SettingKey.of("screening", "blocked", "198.51.100.1").stateKey();
      String longBlock = SettingKey.of("screening", "blocked", "198.51.100.2").stateKey();
      assertTrue(cluster.node("mx3").configuration().get(shortBlock).isPresent());
      cluster.runFor(Duration.ofMinutes(16));
      cluster.awaitConverged(LIMIT);
      assertEquals(Optional.empty(), cluster.node("mx3").configuration().get(shortBlock));
      assertEquals(Optional.empty(), cluster.node("mx3").configuration().get(FAILURES_KEY));
      assertTrue(cluster.node("mx3").configuration().get(longBlock).isPresent());
      assertEquals(1, cluster.node("mx3").screening().status().blocked());
    }
  }

  @Test
  void overwriteDiscardsLocalChangesMadeDuringAnOutageThatStartedMidRequest() {
    try (SimulatedCluster cluster = cluster(ScreeningPolicy.OVERWRITE, 5)) {
      cluster.start();
      DynamicScreening mx2 = cluster.node("mx2").screening();
      // The request is on the wire when the partition starts: it is lost, the deadline fires.
      CompletableFuture<ScreeningVerdict> inFlight = mx2.failedLogin(IP);
      var cut = cluster.inject(new Fault.Partition(Set.of(MX2), Set.of(MX1)));
      ScreeningVerdict first = cluster.await(inFlight, LIMIT);
      assertTrue(first.local(), "decided locally once the primary did not answer");
      ScreeningVerdict last = first;
      for (int i = 2; i <= DynamicScreening.MAX_FAILURES; i++) {
        last = cluster.await(mx2.failedLogin(IP), LIMIT);
        assertTrue(last.local());
      }
      assertTrue(last.blocked(), "the secondary blocks on its own while the primary is away");
      ScreeningStatus during = mx2.status();
      assertEquals("fallback", during.mode());
      assertEquals(DynamicScreening.MAX_FAILURES, during.localChanges());
      assertTrue(during.fallbackSince().isPresent());
      assertEquals(Optional.empty(), cluster.primary().configuration().get(BLOCKED_KEY));

      cut.heal();
      cluster.runFor(Duration.ofSeconds(5));
      ScreeningStatus after = mx2.status();
      assertEquals("forwarding", after.mode());
      assertEquals(DynamicScreening.MAX_FAILURES, after.discarded());
      assertEquals(0, after.localChanges());
      ScreeningVerdict now = cluster.await(mx2.check(IP), LIMIT);
      assertFalse(now.local());
      assertFalse(now.blocked(), "the primary's data wins (R19)");
      assertEquals(Optional.empty(), cluster.primary().configuration().get(BLOCKED_KEY));
    }
  }

  @Test
  void replaySendsLocalChangesToThePrimaryFirstAndAppliesARequestThatHadArrivedOnlyOnce() {
    try (SimulatedCluster cluster = cluster(ScreeningPolicy.REPLAY, 8)) {
      cluster.start();
      DynamicScreening mx2 = cluster.node("mx2").screening();
      cluster.await(mx2.failedLogin(IP), LIMIT);
      assertEquals(1, failures(cluster.primary()));
      // This request reaches the primary (10 ms) and is applied, but its answer (10 ms back) is
      // cut off by the partition: the secondary does not know it was applied.
      CompletableFuture<ScreeningVerdict> inFlight = mx2.failedLogin(IP);
      cluster.runFor(Duration.ofMillis(15));
      var cut = cluster.inject(new Fault.Partition(Set.of(MX2), Set.of(MX1)));
      assertTrue(cluster.await(inFlight, LIMIT).local());
      assertEquals(2, failures(cluster.primary()), "the primary applied the request");
      cluster.await(mx2.failedLogin(IP), LIMIT);
      assertEquals(2, mx2.status().localChanges());

      cut.heal();
      cluster.runFor(Duration.ofSeconds(5));
      cluster.awaitConverged(LIMIT);
      assertEquals("forwarding", mx2.status().mode());
      assertEquals(2, mx2.status().replayed());
      assertEquals(
          3, failures(cluster.primary()), "three failed logins, the repeated one counted once");
      assertEquals(3, failures(cluster.node("mx3")));
    }
  }

  @Test
  void replayAfterThePrimaryCrashedAndRestartedBlocksTheAddressEverywhere() {
    try (SimulatedCluster cluster = cluster(ScreeningPolicy.REPLAY, 13)) {
      cluster.start();
      DynamicScreening mx2 = cluster.node("mx2").screening();
      CompletableFuture<ScreeningVerdict> inFlight = mx2.failedLogin(IP);
      cluster.crash("mx1");
      assertTrue(cluster.await(inFlight, LIMIT).local());
      for (int i = 2; i <= DynamicScreening.MAX_FAILURES; i++) {
        cluster.await(mx2.failedLogin(IP), LIMIT);
      }
      assertTrue(cluster.await(mx2.check(IP), LIMIT).blocked());
      assertTrue(cluster.await(mx2.check(IP), LIMIT).local());

      cluster.restart("mx1");
      cluster.runFor(Duration.ofSeconds(10));
      cluster.awaitConverged(LIMIT);
      assertTrue(cluster.primary().configuration().get(BLOCKED_KEY).isPresent());
      ScreeningVerdict elsewhere = cluster.await(cluster.node("mx3").screening().check(IP), LIMIT);
      assertTrue(elsewhere.blocked());
      assertFalse(elsewhere.local());
      assertEquals(DynamicScreening.MAX_FAILURES, mx2.status().replayed());
    }
  }

  @Test
  void overwriteAfterThePrimaryCrashedLeavesItsDataUntouched() {
    try (SimulatedCluster cluster = cluster(ScreeningPolicy.OVERWRITE, 21)) {
      cluster.start();
      DynamicScreening mx3 = cluster.node("mx3").screening();
      cluster.crash("mx1");
      for (int i = 1; i <= DynamicScreening.MAX_FAILURES; i++) {
        assertTrue(cluster.await(mx3.failedLogin(IP), LIMIT).local());
      }
      assertTrue(cluster.await(mx3.check(IP), LIMIT).blocked());
      cluster.restart("mx1");
      cluster.runFor(Duration.ofSeconds(10));
      cluster.awaitConverged(LIMIT);
      assertFalse(cluster.await(mx3.check(IP), LIMIT).blocked());
      assertEquals(DynamicScreening.MAX_FAILURES, mx3.status().discarded());
      assertEquals(Optional.empty(), cluster.primary().configuration().get(FAILURES_KEY));
    }
  }
}
