package org.mailcluster.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SettingKeyTest {
  @Test
  void iniKeyHasTheDocumentedStateKeyAndParts() {
    SettingKey k = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");
    assertEquals("config/MDaemon.ini/Directories/LockFiles", k.stateKey());
    assertEquals("config", k.namespace());
    assertEquals(List.of("MDaemon.ini", "Directories", "LockFiles"), k.path());
    assertEquals(Optional.of("Directories"), k.iniSection());
    assertEquals("[Directories] LockFiles", k.displayName());
  }

  @Test
  void iniKeysCompareIgnoringCaseButKeepTheirSpelling() {
    SettingKey a = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");
    SettingKey b = SettingKey.parse("config/mdaemon.INI/DIRECTORIES/lockfiles");
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals(0, a.compareTo(b));
    assertEquals("config/mdaemon.INI/DIRECTORIES/lockfiles", b.stateKey());
  }

  @Test
  void pluginKeysCompareExactly() {
    assertNotEquals(
        SettingKey.plugin("antispam", "Threshold"), SettingKey.plugin("antispam", "threshold"));
  }

  @Test
  void slashAndPercentInsideAComponentAreEscapedAndParsedBack() {
    SettingKey k = SettingKey.ini("MDaemon.ini", "Paths/Windows", "100%");
    assertEquals("config/MDaemon.ini/Paths%2FWindows/100%25", k.stateKey());
    SettingKey back = SettingKey.parse(k.stateKey());
    assertEquals(Optional.of("Paths/Windows"), back.iniSection());
    assertEquals(Optional.of("100%"), back.iniKey());
    assertTrue(back.isIni());
  }

  @Test
  void malformedKeysAreRefusedWithTheBadValueQuoted() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SettingKey.plugin("Anti Spam", "x"));
    assertTrue(e.getMessage().contains("'Anti Spam'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SettingKey.ini("a.ini", "", "k"));
    assertThrows(IllegalArgumentException.class, () -> SettingKey.ini("a.ini", "s", "k\nx"));
    assertThrows(IllegalArgumentException.class, () -> SettingKey.parse("nonamespace"));
    assertThrows(IllegalArgumentException.class, () -> SettingKey.parse("config//s/k"));
    IllegalArgumentException pct =
        assertThrows(IllegalArgumentException.class, () -> SettingKey.parse("config/a.ini/s/%41"));
    assertTrue(pct.getMessage().contains("%25"), pct.getMessage());
  }

  @Test
  void nonIniKeysHaveNoIniParts() {
    SettingKey k = SettingKey.of("member", "mx1");
    assertFalse(k.isIni());
    assertEquals(Optional.empty(), k.iniFile());
    assertEquals("member/mx1", k.displayName());
  }
}
