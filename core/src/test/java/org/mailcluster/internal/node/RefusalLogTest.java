package org.mailcluster.internal.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A caller that repeats a refused call costs a few lines a minute, however often it calls. */
class RefusalLogTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void theFirstFewPerCallerAndMinuteAreLoggedThenOnlyCounted() {
    RefusalLog log = new RefusalLog();
    List<String> summaries = new ArrayList<>();
    int logged = 0;
    for (int i = 0; i < 950 * 60; i++) { // 950 calls a second for a minute
      Instant at = T0.plusNanos(i * (1_000_000_000L / 950));
      if (log.refused("10.0.0.7", at, summaries::add) == RefusalLog.Verdict.LOG) {
        logged++;
      }
    }
    assertEquals(RefusalLog.PER_CALLER_PER_WINDOW, logged);
    assertEquals(List.of(), summaries, "the minute is not over yet");
    // The next refusal after the minute reports what the minute only counted, and is logged.
    RefusalLog.Verdict next =
        log.refused("10.0.0.7", T0.plus(Duration.ofSeconds(61)), summaries::add);
    assertEquals(RefusalLog.Verdict.LOG, next);
    assertEquals(1, summaries.size());
    assertTrue(
        summaries
            .get(0)
            .startsWith(
                (950 * 60 - RefusalLog.PER_CALLER_PER_WINDOW) + " more refusals of 10.0.0.7"),
        summaries.get(0));
  }

  @Test
  void otherCallersAreCountedApartAndTheTrackedCallersStayBounded() {
    RefusalLog log = new RefusalLog();
    List<String> summaries = new ArrayList<>();
    assertEquals(RefusalLog.Verdict.LOG, log.refused("a", T0, summaries::add));
    for (int i = 0; i < RefusalLog.CALLERS * 3; i++) {
      for (int k = 0; k <= RefusalLog.PER_CALLER_PER_WINDOW; k++) {
        log.refused("caller-" + i, T0, summaries::add);
      }
    }
    // Each evicted caller's counted refusal is reported as it leaves; none is lost silently.
    assertEquals(RefusalLog.CALLERS * 2, summaries.size());
    assertTrue(summaries.stream().allMatch(s -> s.startsWith("1 more refusal of caller-")));
  }
}
