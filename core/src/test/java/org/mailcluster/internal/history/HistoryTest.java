package org.mailcluster.internal.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.epoch.EpochLineage;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;

class HistoryTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** Commits {@code n} revisions of one key each into a history, and returns every state. */
  private static List<ConfigSnapshot> commit(History h, ConfigSnapshot start, int n) {
    List<ConfigSnapshot> states = new ArrayList<>(List.of(start));
    ConfigSnapshot s = start;
    for (int i = 1; i <= n; i++) {
      ConfigSnapshot next =
          s.with("config/a.ini/s/k" + (i % 3), "v" + i).atRevision(s.revision().next());
      h.record(
          new LogEntry(next.revision(), T0.plusSeconds(i), "api:t", ConfigDiff.between(s, next)),
          next);
      states.add(next);
      s = next;
    }
    return states;
  }

  @Test
  void everyRetainedRevisionIsRebuiltExactlyAndAnyTwoDiff() {
    History h = new History(100, Duration.ofDays(1));
    ConfigSnapshot start = ConfigSnapshot.empty().atRevision(Revision.of(1, 0));
    h.reset(start, start.revision(), List.of());
    List<ConfigSnapshot> states = commit(h, start, 10);
    for (ConfigSnapshot a : states) {
      assertTrue(a.sameContentAs(h.contentAt(a.revision())), a.revision().toString());
      assertEquals(Optional.of(a.fingerprint()), h.fingerprintAt(a.revision()));
      for (ConfigSnapshot b : states) {
        assertTrue(
            h.diff(a.revision(), b.revision()).apply(a).sameContentAs(b),
            a.revision() + " → " + b.revision());
      }
    }
  }

  @Test
  void countAndAgeLimitsMoveTheBaseAndOlderRevisionsAreRefused() {
    History h = new History(4, Duration.ofSeconds(8));
    ConfigSnapshot start = ConfigSnapshot.empty().atRevision(Revision.of(1, 0));
    h.reset(start, start.revision(), List.of());
    List<ConfigSnapshot> states = commit(h, start, 10);
    h.prune(T0.plusSeconds(10));
    assertEquals(4, h.entries().size());
    assertEquals(Revision.of(1, 6), h.base());
    assertTrue(states.get(6).sameContentAs(h.contentAt(Revision.of(1, 6))));
    ClusterException e = assertThrows(ClusterException.class, () -> h.contentAt(Revision.of(1, 5)));
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
    h.prune(T0.plusSeconds(18)); // entries committed before second 10 are too old
    assertEquals(
        List.of(Revision.of(1, 10)), h.entries().stream().map(LogEntry::revision).toList());
    h.prune(T0.plusSeconds(60));
    assertEquals(List.of(), h.entries());
    assertTrue(states.get(10).sameContentAs(h.contentAt(Revision.of(1, 10))), "the head stays");
  }

  @Test
  void resetFromRecoveredEntriesRebuildsTheFingerprintsBackwards() {
    History live = new History(100, Duration.ofDays(1));
    ConfigSnapshot start = ConfigSnapshot.empty().atRevision(Revision.of(1, 3));
    live.reset(start, start.revision(), List.of());
    List<ConfigSnapshot> states = commit(live, start, 5);
    History recovered = new History(100, Duration.ofDays(1));
    recovered.reset(states.get(5), Revision.of(1, 3), live.entries());
    assertEquals(live.entries(), recovered.entries());
    for (ConfigSnapshot s : states) {
      assertEquals(live.fingerprintAt(s.revision()), recovered.fingerprintAt(s.revision()));
    }
    // A snapshot breaks the run: only the snapshot is known afterwards.
    recovered.reset(states.get(5), states.get(5).revision(), List.of());
    assertFalse(recovered.retains(Revision.of(1, 4)));
  }

  @Test
  void lineageKnowsWhichRevisionsANewEpochDescendsFrom() {
    ConfigSnapshot epoch2 =
        ConfigSnapshot.empty()
            .with(
                EpochLineage.stateKey(2), EpochLineage.value(NodeId.of("mx2"), Revision.of(1, 45)))
            .atRevision(Revision.of(2, 7));
    assertTrue(EpochLineage.contains(epoch2, Revision.of(1, 45)));
    assertTrue(EpochLineage.contains(epoch2, Revision.of(1, 1)));
    assertFalse(EpochLineage.contains(epoch2, Revision.of(1, 46)), "the fenced primary's");
    assertTrue(EpochLineage.contains(epoch2, Revision.of(2, 7)));
    assertFalse(EpochLineage.contains(epoch2, Revision.of(2, 8)), "not yet");
    assertEquals(Optional.of(NodeId.of("mx2")), EpochLineage.primaryOf(epoch2, 2));
    // Epoch 3 was promoted from 1:40 by a node that never saw epoch 2: all of epoch 2 diverged.
    ConfigSnapshot epoch3 =
        ConfigSnapshot.empty()
            .with(
                EpochLineage.stateKey(3), EpochLineage.value(NodeId.of("mx3"), Revision.of(1, 40)))
            .atRevision(Revision.of(3, 1));
    assertFalse(EpochLineage.contains(epoch3, Revision.of(2, 1)));
    assertFalse(EpochLineage.contains(epoch3, Revision.of(1, 41)));
    assertTrue(EpochLineage.contains(epoch3, Revision.of(1, 40)));
  }
}
