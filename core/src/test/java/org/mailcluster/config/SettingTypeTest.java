package org.mailcluster.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SettingTypeTest {
  enum NodeRole {
    PRIMARY,
    SECONDARY
  }

  record Limits(int daily, List<String> exempt) {}

  @ParameterizedTest
  @ValueSource(strings = {"Yes", "yes", " YES ", "1", "true", "True", "on", "ON"})
  void booleanReadsEveryTrueSpelling(String raw) {
    assertEquals(true, SettingType.bool().decode(raw));
  }

  @ParameterizedTest
  @ValueSource(strings = {"No", "no", "0", "false", "FALSE", "off", " Off"})
  void booleanReadsEveryFalseSpelling(String raw) {
    assertEquals(false, SettingType.bool().decode(raw));
  }

  @Test
  void booleanWritesTheHostConvention() {
    assertEquals("Yes", SettingType.bool().encode(true));
    assertEquals("No", SettingType.bool().encode(false));
    assertEquals("1", SettingType.bool(BooleanStyle.ONE_ZERO).encode(true));
    assertEquals("Off", SettingType.bool(BooleanStyle.ON_OFF).encode(false));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SettingType.bool().decode("maybe"));
    assertTrue(e.getMessage().contains("'maybe'"), e.getMessage());
  }

  @Test
  void integersAreTrimmedAndRangeChecked() {
    assertEquals(7400, SettingType.integer().decode(" 7400 "));
    assertEquals(-5, SettingType.integer().decode("-5"));
    assertThrows(IllegalArgumentException.class, () -> SettingType.integer().decode("3000000000"));
    assertEquals(3_000_000_000L, SettingType.longInteger().decode("3000000000"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SettingType.integer().decode("12ab"));
    assertTrue(e.getMessage().contains("'12ab'"), e.getMessage());
  }

  @Test
  void durationsReadPlainNumbersInTheirUnitAndCommonForms() {
    SettingType<Duration> minutes = SettingType.duration(ChronoUnit.MINUTES);
    assertEquals(Duration.ofMinutes(60), minutes.decode("60"));
    assertEquals(Duration.ofHours(2), minutes.decode("PT2H"));
    assertEquals(Duration.ofSeconds(30), minutes.decode("30s"));
    assertEquals(Duration.ofMillis(250), minutes.decode("250ms"));
    assertEquals(Duration.ofDays(1), minutes.decode("1d"));
    assertEquals("60", minutes.encode(Duration.ofHours(1)));
    assertThrows(IllegalArgumentException.class, () -> minutes.encode(Duration.ofSeconds(90)));
    assertThrows(IllegalArgumentException.class, () -> minutes.decode("PT-1H"));
    assertThrows(IllegalArgumentException.class, () -> minutes.decode("soon"));
  }

  @Test
  void pathsKeepWindowsAndUncSpellingExactly() {
    for (String p : List.of("C:\\MDaemon\\Users\\", "\\\\nas01\\mail\\Users\\", "/mnt/mail/")) {
      assertEquals(p, SettingType.path().decode(p));
      assertEquals(p, SettingType.path().encode(p));
    }
    assertThrows(IllegalArgumentException.class, () -> SettingType.path().decode("C:\\a\u0000b"));
  }

  @Test
  void listsSplitTrimAndRefuseItemsHoldingTheSeparator() {
    SettingType<List<Integer>> ports = SettingType.list(SettingType.integer(), ';');
    assertEquals(List.of(465, 993, 995), ports.decode("465;993; 995;"));
    assertEquals(List.of(), ports.decode(""));
    assertEquals("465;993", ports.encode(List.of(465, 993)));
    SettingType<List<String>> names = SettingType.list(SettingType.string(), ';');
    assertThrows(IllegalArgumentException.class, () -> names.encode(List.of("a;b")));
    assertThrows(IllegalArgumentException.class, () -> SettingType.list(SettingType.string(), ' '));
  }

  @Test
  void enumsReadAnyCaseAndWriteTheChosenSpelling() {
    SettingType<NodeRole> plain = SettingType.enumeration(NodeRole.class);
    assertEquals(NodeRole.SECONDARY, plain.decode("secondary"));
    assertEquals("PRIMARY", plain.encode(NodeRole.PRIMARY));
    SettingType<NodeRole> titled =
        SettingType.enumeration(
            NodeRole.class, r -> r == NodeRole.PRIMARY ? "Primary" : "Secondary");
    assertEquals("Primary", titled.encode(NodeRole.PRIMARY));
    assertEquals(NodeRole.PRIMARY, titled.decode("PRIMARY"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> titled.decode("Tertiary"));
    assertTrue(e.getMessage().contains("[Primary, Secondary]"), e.getMessage());
  }

  @Test
  void jsonObjectsRoundTripThroughRecords() {
    SettingType<Limits> json = SettingType.json(Limits.class);
    Limits limits = new Limits(500, List.of("postmaster@example.com"));
    String raw = json.encode(limits);
    assertEquals("{\"daily\":500,\"exempt\":[\"postmaster@example.com\"]}", raw);
    assertEquals(limits, json.decode(raw));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> json.decode("{\"daily\":"));
    assertTrue(e.getMessage().contains("is not a JSON Limits"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> json.decode("null"));
  }
}
