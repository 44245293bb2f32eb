package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.Diagnostics;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.StateLimits;

/**
 * Bounded everything (requirement S7): a value, a host file, a revision or the whole state over its
 * limit is refused with {@code LIMIT_EXCEEDED}, naming the key or file, the size and the limit, and
 * nothing of it is committed or replicated; what is under the limits goes on.
 */
class StateLimitsTest {
  private static final long SEED = 20261203;
  private static final StateLimits SMALL = new StateLimits(500, 1_000, 2_000, 5_000);

  private static SimulatedCluster cluster() {
    System.out.println("seed " + SEED);
    return SimulatedCluster.builder()
        .nodes(2)
        .seed(SEED)
        .configSources(id -> new MemoryConfigSource(ConfigSnapshot.empty()))
        .nodeOptions((id, b) -> b.limits(SMALL))
        .build()
        .start();
  }

  private static ClusterException refused(SimulatedCluster c, ConfigUpdate update) {
    CompletableFuture<Revision> f = c.primary().update(update);
    c.time().runUntil(f::isDone, Duration.ofSeconds(10));
    CompletionException e = assertThrows(CompletionException.class, f::join);
    ClusterException ce = (ClusterException) e.getCause();
    assertEquals(ErrorCode.LIMIT_EXCEEDED, ce.code(), ce.getMessage());
    assertTrue(ce.getMessage().contains("nothing of it was committed"), ce.getMessage());
    return ce;
  }

  private static ConfigUpdate plugin(String name, int length) {
    return ConfigUpdate.builder("api:test")
        .setRaw(SettingKey.plugin("limits", name), "v".repeat(length))
        .build();
  }

  @Test
  void aValueOverItsLimitIsRefusedNamingTheKeySizeAndLimit() {
    try (SimulatedCluster c = cluster()) {
      Revision before = c.primary().configuration().revision();
      ClusterException e = refused(c, plugin("long", 501));
      assertTrue(e.getMessage().contains("setting/limits/long"), e.getMessage());
      assertTrue(e.getMessage().contains("501 characters"), e.getMessage());
      assertTrue(e.getMessage().contains("limit of 500 for one value"), e.getMessage());
      assertEquals(before, c.primary().configuration().revision());
      // Just under the limit is fine.
      Revision ok = c.await(c.primary().update(plugin("long", 500)), Duration.ofSeconds(10));
      c.awaitConverged(Duration.ofSeconds(10));
      assertEquals(ok, c.node("mx2").configuration().revision());
    }
  }

  @Test
  void aRevisionOverItsLimitIsRefusedWhole() {
    try (SimulatedCluster c = cluster()) {
      Revision before = c.primary().configuration().revision();
      ConfigUpdate.Builder big = ConfigUpdate.builder("api:bulk");
      for (int i = 0; i < 30; i++) {
        big.setRaw(SettingKey.plugin("limits", "k" + i), "v".repeat(90));
      }
      ClusterException e = refused(c, big.build());
      assertTrue(e.getMessage().contains("api:bulk"), e.getMessage());
      assertTrue(e.getMessage().contains("limit of 2000"), e.getMessage());
      assertEquals(before, c.primary().configuration().revision());
      assertTrue(c.primary().configuration().get("setting/limits/k0").isEmpty());
    }
  }

  @Test
  void theWholeStateOverItsLimitRefusesTheCommitThatWouldCrossIt() {
    try (SimulatedCluster c = cluster()) {
      ClusterException last = null;
      int committed = 0;
      for (int i = 0; i < 100 && last == null; i++) {
        CompletableFuture<Revision> f = c.primary().update(plugin("s" + i, 99));
        c.time().runUntil(f::isDone, Duration.ofSeconds(10));
        if (f.isCompletedExceptionally()) {
          last = refused(c, plugin("s" + i, 99));
        } else {
          committed++;
        }
      }
      assertTrue(last != null, "the state limit never refused a commit");
      assertTrue(
          last.getMessage().contains("limit of 5000 for the whole state"), last.getMessage());
      assertTrue(committed > 10, "commits under the limit went through: " + committed);
      c.awaitConverged(Duration.ofSeconds(10));
    }
  }

  @Test
  void aFileEditOverTheFileLimitIsRefusedNamingTheFileAndNothingReplicates() {
    try (SimulatedCluster c = cluster()) {
      MemoryConfigSource files1 = (MemoryConfigSource) c.configSource("mx1").orElseThrow();
      files1.editBehindTheLibrarysBack("config/MDaemon.ini/Directories/LockFiles", "C:\\Locks");
      assertTrue(
          c.time()
              .runUntil(
                  () ->
                      c.node("mx2")
                          .configuration()
                          .get("config/MDaemon.ini/Directories/LockFiles")
                          .isPresent(),
                  Duration.ofSeconds(10)));
      Revision before = c.primary().configuration().revision();
      // Twenty keys of 60 characters: each under the value limit, over 1200 in one file.
      ConfigSnapshot was = files1.files;
      ConfigSnapshot now = was;
      for (int i = 0; i < 20; i++) {
        now = now.with("config/MDaemon.ini/Big/Key" + i, "x".repeat(60));
      }
      files1.files = now;
      files1.listener.externalEdit(org.mailcluster.config.ConfigDiff.between(was, now));
      c.runFor(Duration.ofSeconds(3));
      assertEquals(before, c.primary().configuration().revision());
      assertEquals(before, c.node("mx2").configuration().revision());
      String errors =
          c.primary().diagnostics().recentEvents().stream()
              .filter(e -> e.level().equals("ERROR"))
              .map(Diagnostics.Event::message)
              .reduce("", (a, b) -> a + "\n" + b);
      assertTrue(errors.contains("the keys of MDaemon.ini"), errors);
      assertTrue(errors.contains("limit of 1000 for one file"), errors);
    }
  }

  @Test
  void limitsMustGrowFromValueToState() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new StateLimits(10, 5, 20, 30));
    assertTrue(e.getMessage().contains("value 10, file 5"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> StateLimits.defaults().withStateChars(0));
    assertEquals(1L << 20, StateLimits.defaults().valueChars());
  }

  @Test
  void theLimitsAreSetOnceOnTheBuilder() {
    var b = ClusterService.builder().limits(SMALL);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> b.limits(StateLimits.defaults()));
    assertTrue(e.getMessage().contains("limits was already set"), e.getMessage());
  }
}
