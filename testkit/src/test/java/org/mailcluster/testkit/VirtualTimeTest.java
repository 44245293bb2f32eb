package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailcluster.spi.Scheduler;

class VirtualTimeTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final VirtualTime time = VirtualTime.startingAt(T0);
  private final List<String> ran = new ArrayList<>();

  @Test
  void tasksRunByDueTimeThenSubmissionOrderAcrossNodes() {
    Scheduler a = time.scheduler("a");
    Scheduler b = time.scheduler("b");
    a.schedule(Duration.ofSeconds(2), () -> ran.add("a@2"));
    b.schedule(Duration.ofSeconds(1), () -> ran.add("b@1"));
    a.execute(() -> ran.add("a@0"));
    b.schedule(Duration.ofSeconds(2), () -> ran.add("b@2"));
    assertTrue(time.runUntilIdle(Duration.ofMinutes(1)));
    assertEquals(List.of("a@0", "b@1", "a@2", "b@2"), ran);
    assertEquals(T0.plusSeconds(2), time.now());
  }

  @Test
  void timeMovesOnlyWithTasksAndRunForEndsAtItsEnd() {
    Scheduler a = time.scheduler("a");
    a.schedule(Duration.ofSeconds(3), () -> ran.add(String.valueOf(a.nanoTime())));
    time.runFor(Duration.ofSeconds(10));
    assertEquals(List.of(String.valueOf(Duration.ofSeconds(3).toNanos())), ran);
    assertEquals(Duration.ofSeconds(10), time.elapsed());
  }

  @Test
  void skewOffsetsOnlyThatNodesWallClock() {
    Scheduler ahead = time.scheduler("ahead", Duration.ofMillis(1500));
    Scheduler exact = time.scheduler("exact");
    assertEquals(T0.plusMillis(1500), ahead.now());
    assertEquals(T0, exact.now());
    assertEquals(exact.nanoTime(), ahead.nanoTime());
  }

  @Test
  void cancelledTasksAndTasksOfClosedNodesDoNotRun() {
    Scheduler a = time.scheduler("a");
    Scheduler b = time.scheduler("b");
    a.schedule(Duration.ofSeconds(1), () -> ran.add("cancelled")).cancel();
    b.schedule(Duration.ofSeconds(1), () -> ran.add("closed"));
    b.close();
    b.execute(() -> ran.add("after close"));
    a.schedule(Duration.ofSeconds(2), () -> ran.add("kept"));
    time.runUntilIdle(Duration.ofMinutes(1));
    assertEquals(List.of("kept"), ran);
    assertTrue(time.isIdle());
  }

  @Test
  void aFailingTaskIsRecordedAndTheTimelineGoesOn() {
    Scheduler a = time.scheduler("a");
    a.execute(
        () -> {
          throw new IllegalStateException("boom");
        });
    a.execute(() -> ran.add("next"));
    time.runUntilIdle(Duration.ofSeconds(1));
    assertEquals(List.of("next"), ran);
    assertEquals("boom", time.failures().get(0).getMessage());
  }

  @Test
  void runUntilStopsAtTheConditionOrTheLimit() {
    Scheduler a = time.scheduler("a");
    Runnable[] tick = new Runnable[1];
    tick[0] =
        () -> {
          ran.add("tick");
          a.schedule(Duration.ofSeconds(1), tick[0]);
        };
    a.execute(tick[0]);
    assertTrue(time.runUntil(() -> ran.size() == 5, Duration.ofMinutes(1)));
    assertEquals(5, ran.size());
    assertFalse(time.runUntil(() -> ran.size() == 1000, Duration.ofSeconds(10)));
    assertFalse(time.runUntilIdle(Duration.ofSeconds(5)));
  }
}
