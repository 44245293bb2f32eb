package org.mailcluster.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff.Change;

class ConfigDiffTest {
  private static final String LOCK = "config/MDaemon.ini/Directories/LockFiles";
  private static final String PEM = "config/MDaemon.ini/Directories/PEM";

  @Test
  void rendersIniKeysAsSectionAndKeyWithOldAndNewValue() {
    ConfigSnapshot before =
        ConfigSnapshot.of(Map.of(LOCK, "C:\\MDaemon\\LockFiles\\", PEM, "C:\\MDaemon\\PEM\\"));
    ConfigSnapshot after =
        before
            .with(LOCK, "\\\\nas01\\mail\\LockFiles\\")
            .without(PEM)
            .with("setting/antispam/threshold", "7");
    assertEquals(
        String.join(
            "\n",
            "[Directories] LockFiles: C:\\MDaemon\\LockFiles\\ → \\\\nas01\\mail\\LockFiles\\",
            "[Directories] PEM: C:\\MDaemon\\PEM\\ → (unset)",
            "setting/antispam/threshold: (unset) → 7"),
        ConfigDiff.between(before, after).render());
  }

  @Test
  void renderNamesTheFileWhenSeveralFilesChangeAndKeepsOneLinePerChange() {
    ConfigDiff d =
        ConfigDiff.of(
            Change.added("config/MDaemon.ini/SSL/Enabled", "Yes"),
            Change.added("config/Plugins.ini/Spam/Note", "line1\nline2"),
            Change.added("cert/mail/chain", "x".repeat(500)));
    String[] lines = d.render().split("\n");
    assertEquals(3, lines.length);
    assertEquals("cert/mail/chain: (unset) → " + "x".repeat(120) + "… (500 chars)", lines[0]);
    assertEquals("MDaemon.ini [SSL] Enabled: (unset) → Yes", lines[1]);
    assertEquals("Plugins.ini [Spam] Note: (unset) → line1\\nline2", lines[2]);
  }

  @Test
  void jsonRoundTripsAndUsesNullForAbsentValues() {
    ConfigDiff d =
        ConfigDiff.of(
            Change.added("a", "1"), Change.removed("b", "2"), Change.changed("c", "3", "4"));
    String json = d.toJson();
    assertEquals(
        "[{\"key\":\"a\",\"oldValue\":null,\"newValue\":\"1\"},"
            + "{\"key\":\"b\",\"oldValue\":\"2\",\"newValue\":null},"
            + "{\"key\":\"c\",\"oldValue\":\"3\",\"newValue\":\"4\"}]",
        json);
    assertEquals(d, ConfigDiff.fromJson(json));
  }

  @Test
  void malformedJsonIsCorruptDataAndSaysNothingWasApplied() {
    for (String bad :
        List.of(
            "{",
            "null",
            "[{\"key\":\"a\"}]",
            "[{\"key\":\"a\",\"oldValue\":\"1\",\"newValue\":\"1\"}]")) {
      ClusterException e =
          assertThrows(ClusterException.class, () -> ConfigDiff.fromJson(bad), bad);
      assertEquals(ErrorCode.CORRUPT_DATA, e.code());
      assertTrue(e.getMessage().endsWith("nothing was applied"), e.getMessage());
    }
  }

  @Test
  void composeRefusesDiffsThatDoNotChain() {
    ConfigDiff first = ConfigDiff.of(Change.changed("k", "1", "2"));
    ConfigDiff second = ConfigDiff.of(Change.changed("k", "3", "4"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> first.compose(second));
    assertEquals(
        "diffs do not chain at 'k': the first leaves '2' but the second starts from '3'",
        e.getMessage());
  }

  @Test
  void renderingNeverShowsAPrivateKey() {
    String body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" + "x".repeat(200);
    String pem = "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n";
    ConfigSnapshot before = ConfigSnapshot.of(Map.of("setting/plugin/blob", "plain"));
    ConfigSnapshot after =
        before.with("cert/mail.example/key", pem).with("setting/plugin/blob", "x" + pem);
    ConfigDiff d = ConfigDiff.between(before, after);
    for (String shown : List.of(d.render(), d.toString(), d.invert().render())) {
      assertFalse(shown.contains("PRIVATE KEY"), shown);
      assertFalse(shown.contains(body.substring(0, 16)), shown);
      assertTrue(shown.contains("<secret, " + pem.length() + " chars>"), shown);
      assertTrue(shown.contains("<secret, " + (pem.length() + 1) + " chars>"), shown);
    }
    ConfigDiff first = ConfigDiff.of(Change.changed("cert/a/key", "k1", pem));
    ConfigDiff second = ConfigDiff.of(Change.changed("cert/a/key", "k3", "k4"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> first.compose(second));
    assertFalse(e.getMessage().contains(body.substring(0, 16)), e.getMessage());
    assertTrue(e.getMessage().contains("<secret, 2 chars>"), e.getMessage());
  }

  @Test
  void composeDropsKeysThatEndWhereTheyStarted() {
    ConfigDiff there = ConfigDiff.of(Change.added("k", "1"));
    assertTrue(there.compose(there.invert()).isEmpty());
  }

  @Test
  void changesAreValidatedAndLookedUp() {
    assertThrows(
        IllegalArgumentException.class, () -> new Change("k", Optional.empty(), Optional.empty()));
    assertThrows(IllegalArgumentException.class, () -> Change.changed("k", "same", "same"));
    assertThrows(
        IllegalArgumentException.class,
        () -> ConfigDiff.of(Change.added("k", "1"), Change.removed("k", "2")));
    ConfigDiff d = ConfigDiff.of(Change.added("b", "1"), Change.added("a", "1"));
    assertEquals("a", d.changes().get(0).key());
    assertEquals(ConfigDiff.Kind.ADDED, d.change("b").orElseThrow().kind());
    assertEquals(Optional.empty(), d.change("c"));
  }

  @Test
  void appliesCleanlyOnlyToTheStateItWasTakenFrom() {
    ConfigSnapshot a = ConfigSnapshot.of(Map.of("k", "1"));
    ConfigDiff d = ConfigDiff.between(a, a.with("k", "2"));
    assertTrue(d.appliesCleanlyTo(a));
    assertFalse(d.appliesCleanlyTo(a.with("k", "drifted")));
  }
}
