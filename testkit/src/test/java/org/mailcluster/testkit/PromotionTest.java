package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterListener;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.DivergenceReport;
import org.mailcluster.ErrorCode;
import org.mailcluster.PromotionOptions;
import org.mailcluster.Role;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeId;

/** Promotion with epoch fencing (requirement B3 in docs/REQUIREMENTS.md) on a simulated cluster. */
class PromotionTest {
  private static final SettingKey LOCK = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");
  private static final SettingKey PEM = SettingKey.ini("MDaemon.ini", "Directories", "PEM");
  private static final Duration LIMIT = Duration.ofSeconds(30);

  private static Revision set(ClusterService node, SimulatedCluster c, SettingKey k, String v) {
    return c.await(node.update(ConfigUpdate.builder("api:test").setRaw(k, v).build()), LIMIT);
  }

  private static Fault.Partition isolate(String id, String... others) {
    Set<NodeId> rest = new java.util.HashSet<>();
    for (String o : others) {
      rest.add(NodeId.of(o));
    }
    return new Fault.Partition(Set.of(NodeId.of(id)), rest);
  }

  private static ClusterException refusal(SimulatedCluster c, CompletableFuture<?> f) {
    c.time().runUntil(f::isDone, LIMIT);
    CompletionException e = assertThrows(CompletionException.class, f::join);
    return (ClusterException) e.getCause();
  }

  @Test
  void aPartitionedPrimaryReturnsAsASecondaryAndSavesWhatTheNewPrimaryNeverReceived()
      throws Exception {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(31).build()) {
      c.start();
      Revision shared = set(c.primary(), c, LOCK, "shared");
      c.awaitConverged(LIMIT);
      ClusterService mx1 = c.node("mx1");
      List<DivergenceReport> reports = new ArrayList<>();
      List<String> roles = new ArrayList<>();
      mx1.addListener(
          new ClusterListener() {
            @Override
            public void divergentRevisionsSaved(DivergenceReport report) {
              reports.add(report);
            }

            @Override
            public void roleChanged(Role role, long epoch) {
              roles.add(role + "@" + epoch);
            }
          });

      var cut = c.inject(isolate("mx1", "mx2", "mx3"));
      // Acknowledged by the cut-off primary (durable there), but it reaches nobody.
      Revision lonely = set(mx1, c, PEM, "only on mx1");
      c.runFor(Duration.ofSeconds(10)); // the secondaries stop hearing from it

      Revision first = c.await(c.node("mx2").promote(PromotionOptions.defaults()), LIMIT);
      assertEquals(Revision.of(2, 1), first);
      assertEquals(Role.PRIMARY, c.node("mx2").role());
      assertEquals(Optional.of(NodeId.of("mx2")), c.node("mx2").primary());
      Revision after = set(c.node("mx2"), c, LOCK, "after promotion");
      c.time().runUntil(() -> c.node("mx3").configuration().revision().equals(after), LIMIT);
      assertEquals(after, c.node("mx3").configuration().revision(), "mx3 follows mx2");
      assertEquals(Role.PRIMARY, mx1.role(), "still cut off, it does not know yet");

      cut.heal();
      c.awaitConverged(LIMIT);
      assertEquals(Role.SECONDARY, mx1.role());
      assertEquals("mx2", c.currentPrimary().orElseThrow());
      assertEquals(List.of("SECONDARY@2"), roles);
      assertEquals(Optional.of("after promotion"), mx1.configuration().get(LOCK.stateKey()));
      assertEquals(Optional.empty(), mx1.configuration().get(PEM.stateKey()), "never merged");

      // ...but saved and reported: listener, diagnostics, log, file.
      assertEquals(1, reports.size());
      DivergenceReport report = reports.get(0);
      assertEquals(List.of(lonely), report.revisions());
      assertEquals(1, report.epoch());
      assertEquals(2, report.newEpoch());
      assertEquals(List.of(report), mx1.diagnostics().divergences());
      assertTrue(
          mx1.diagnostics().recentEvents().stream()
              .anyMatch(e -> e.level().equals("ERROR") && e.message().contains(report.file())));
      Path file = Path.of(report.file());
      assertTrue(file.startsWith(c.divergenceDirectory("mx1")), file.toString());
      String json = Files.readString(file);
      assertTrue(json.contains("\"revision\" : \"" + lonely + "\""), json);
      assertTrue(json.contains("only on mx1"), json);
      assertTrue(!json.contains("\"revision\" : \"" + shared + "\""), "shared is not diverged");
      c.assertConverged();
    }
  }

  @Test
  void aCrashedPrimaryThatComesBackAfterAPromotionIsFencedByTheHigherEpoch() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(32).build()) {
      c.start();
      set(c.primary(), c, LOCK, "shared");
      c.awaitConverged(LIMIT);
      var cut = c.inject(isolate("mx1", "mx2", "mx3"));
      Revision lonely = set(c.node("mx1"), c, PEM, "lost?");
      c.crash("mx1");
      cut.heal();
      c.runFor(Duration.ofSeconds(10));
      c.await(c.node("mx3").promote(PromotionOptions.defaults()), LIMIT);
      set(c.node("mx3"), c, LOCK, "epoch 2");

      ClusterService mx1 = c.restart("mx1"); // configured as primary, recovers epoch 1
      c.awaitConverged(LIMIT);
      assertEquals(Role.SECONDARY, mx1.role());
      assertEquals(List.of(lonely), mx1.divergences().get(0).revisions());
      assertEquals(Optional.of("epoch 2"), mx1.configuration().get(LOCK.stateKey()));

      // Every node keeps its role across restarts: the promoted one stays primary.
      c.crash("mx3");
      c.crash("mx1");
      c.restart("mx3");
      c.restart("mx1");
      c.awaitConverged(LIMIT);
      assertEquals("mx3", c.currentPrimary().orElseThrow());
      assertEquals(2, c.primary().diagnostics().epoch());
      assertEquals(1, mx1.divergences().size(), "nothing new diverged");
    }
  }

  @Test
  void promotionIsRefusedWhileThePrimaryAnswers() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(33).build()) {
      c.start();
      ClusterException e = refusal(c, c.node("mx2").promote(PromotionOptions.defaults()));
      assertEquals(ErrorCode.PROMOTION_REFUSED, e.code());
      assertTrue(e.getMessage().contains("mx1 still answers as the primary"), e.getMessage());
      assertEquals(Role.SECONDARY, c.node("mx2").role());
      // The services promotion relies on cannot be replaced by the host.
      assertThrows(
          IllegalArgumentException.class,
          () ->
              c.node("mx3")
                  .registerService(
                      "mailcluster.promise",
                      (from, p) -> CompletableFuture.completedFuture("granted")));
      c.assertConverged();
    }
  }

  @Test
  void promotionOfABehindSecondaryIsRefusedNamingTheMostUpToDateOne() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(34).build()) {
      c.start();
      var cut = c.inject(isolate("mx2", "mx1"));
      Revision newest = set(c.primary(), c, LOCK, "mx2 misses this");
      c.time().runUntil(() -> c.node("mx3").configuration().revision().equals(newest), LIMIT);
      c.crash("mx1");
      cut.heal();
      c.runFor(Duration.ofSeconds(10));

      ClusterException e = refusal(c, c.node("mx2").promote(PromotionOptions.defaults()));
      assertEquals(ErrorCode.PROMOTION_REFUSED, e.code());
      assertTrue(e.getMessage().contains("promote mx3 instead"), e.getMessage());

      c.await(c.node("mx3").promote(PromotionOptions.defaults()), LIMIT);
      c.awaitConverged(LIMIT);
      assertEquals(
          Optional.of("mx2 misses this"), c.node("mx2").configuration().get(LOCK.stateKey()));
    }
  }

  @Test
  void aLoneSurvivorNeedsForceAndThenTakesTheNextEpoch() {
    try (SimulatedCluster c = SimulatedCluster.builder().nodes(3).seed(35).build()) {
      c.start();
      set(c.primary(), c, LOCK, "v");
      c.awaitConverged(LIMIT);
      c.crash("mx1");
      c.crash("mx3");
      c.runFor(Duration.ofSeconds(10));
      ClusterException e = refusal(c, c.node("mx2").promote(PromotionOptions.defaults()));
      assertEquals(ErrorCode.PROMOTION_REFUSED, e.code());
      assertTrue(e.getMessage().contains("only 1 of 3"), e.getMessage());

      Revision first = c.await(c.node("mx2").promote(PromotionOptions.forced()), LIMIT);
      assertEquals(2, first.epoch());
      c.restart("mx3");
      c.restart("mx1");
      c.awaitConverged(LIMIT);
      assertEquals("mx2", c.currentPrimary().orElseThrow());
      assertEquals(List.of(), c.node("mx1").divergences(), "mx1 had nothing mx2 lacked");
    }
  }
}
