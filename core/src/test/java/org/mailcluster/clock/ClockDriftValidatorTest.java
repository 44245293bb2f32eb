package org.mailcluster.clock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClockDriftValidatorTest {
  private static final Instant T = Instant.parse("2026-06-01T12:00:00Z");
  private static final ZoneId ROME = ZoneId.of("Europe/Rome");

  /** A sample of a peer {@code skew} ahead, with one-way delays {@code out} and {@code back}. */
  private static ClockSample sample(Instant t1, Duration skew, Duration out, Duration back) {
    Instant t2 = t1.plus(out).plus(skew);
    Instant t3 = t2.plusMillis(1);
    Instant t4 = t3.minus(skew).plus(back);
    return new ClockSample(t1, t2, t3, t4);
  }

  @Test
  void ntpArithmetic() {
    ClockSample s =
        sample(T, Duration.ofMillis(1500), Duration.ofMillis(30), Duration.ofMillis(10));
    assertEquals(Duration.ofMillis(40), s.roundTrip());
    assertEquals(Duration.ofMillis(20), s.errorBound());
    // Asymmetric delays shift the estimate by half their difference, within the bound.
    assertEquals(Duration.ofMillis(1510), s.offset());
  }

  @Test
  void warnsOnceWhenTheDriftIsRealAndKeepsTheMinimumRoundTripSample() {
    ClockDriftValidator v = ClockDriftValidator.create(ClockOptions.defaults(), "mx1", ROME);
    // A slow sample whose bound covers the threshold: no warning.
    assertEquals(
        Optional.empty(),
        v.sample(
            "mx2",
            sample(T, Duration.ofMillis(1300), Duration.ofMillis(400), Duration.ofMillis(400))));
    assertFalse(v.drifting("mx2"));
    // A fast sample shows the drift: one warning with the figures.
    Optional<String> w =
        v.sample(
            "mx2",
            sample(
                T.plusSeconds(1),
                Duration.ofMillis(1300),
                Duration.ofMillis(5),
                Duration.ofMillis(5)));
    assertTrue(w.isPresent());
    assertTrue(w.get().contains("clock of mx2 is 1.300s ahead of mx1 (± 0.005s"), w.get());
    assertTrue(w.get().contains("1.000s allowed"), w.get());
    // Further drifting samples do not repeat the warning.
    assertEquals(
        Optional.empty(),
        v.sample(
            "mx2",
            sample(
                T.plusSeconds(2),
                Duration.ofMillis(1300),
                Duration.ofMillis(50),
                Duration.ofMillis(50))));
    ClockState state = v.states().get(0);
    assertEquals(Optional.of(Duration.ofMillis(1300)), state.offset());
    assertEquals(Optional.of(Duration.ofMillis(5)), state.errorBound());
    assertTrue(state.drifting());
  }

  @Test
  void theWindowForgetsOldSamples() {
    ClockOptions options = new ClockOptions(Duration.ofSeconds(1), Duration.ofMinutes(1), 1, 2);
    ClockDriftValidator v = ClockDriftValidator.create(options, "mx1", ROME);
    v.sample("mx2", sample(T, Duration.ofSeconds(3), Duration.ofMillis(1), Duration.ofMillis(1)));
    assertTrue(v.drifting("mx2"));
    // The clock was fixed: once the fast drifting sample leaves the window, the peer is fine.
    v.sample("mx2", sample(T, Duration.ZERO, Duration.ofMillis(9), Duration.ofMillis(9)));
    assertTrue(v.drifting("mx2"));
    v.sample("mx2", sample(T, Duration.ZERO, Duration.ofMillis(9), Duration.ofMillis(9)));
    assertFalse(v.drifting("mx2"));
  }

  @Test
  void warnsWhenZoneOrUtcOffsetDiffer() {
    ClockDriftValidator v = ClockDriftValidator.create(ClockOptions.defaults(), "mx1", ROME);
    Instant summer = Instant.parse("2026-07-01T00:00:00Z");
    assertEquals(Optional.empty(), v.zone("mx2", ROME, ZoneOffset.ofHours(2), summer));
    Optional<String> w = v.zone("mx3", ZoneId.of("UTC"), ZoneOffset.UTC, summer);
    assertEquals(
        Optional.of(
            "time zone of mx3 is UTC (UTC+00:00) but mx1 uses Europe/Rome (UTC+02:00): set the"
                + " same time zone on every node"),
        w);
    // Same offset in summer, but another zone: still a difference (their rules may part).
    assertTrue(
        v.zone("mx4", ZoneId.of("Europe/Berlin"), ZoneOffset.ofHours(2), summer).isPresent());
    assertEquals(Optional.empty(), v.zone("mx3", ZoneId.of("UTC"), ZoneOffset.UTC, summer));
    assertEquals(
        Optional.of("UTC"),
        v.states().stream().filter(s -> s.node().equals("mx3")).findFirst().orElseThrow().zone());
  }
}
