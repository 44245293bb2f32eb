package org.mailcluster.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;

class SettingsRegistryTest {
  private final SettingsRegistry registry = SettingsRegistry.create();

  @Test
  void duplicateKeysAreRefusedIncludingIniKeysThatDifferOnlyInCase() {
    registry.register(
        Setting.string(SettingKey.ini("MDaemon.ini", "Special", "ServerName"))
            .defaultValue("")
            .build());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                registry.register(
                    Setting.string(SettingKey.ini("mdaemon.ini", "SPECIAL", "servername"))
                        .defaultValue("")
                        .build()));
    assertTrue(e.getMessage().contains("already registered"), e.getMessage());
  }

  @Test
  void findsByKeyAndByStateKeyTyped() {
    Setting<Integer> t =
        registry.register(
            Setting.integer(SettingKey.plugin("antispam", "threshold")).defaultValue(5).build());
    assertSame(t, registry.find("setting/antispam/threshold").orElseThrow());
    assertSame(t, registry.get(t.key(), SettingType.integer()));
    assertThrows(IllegalArgumentException.class, () -> registry.get(t.key(), SettingType.string()));
    assertTrue(registry.find("not a key").isEmpty());
    assertEquals(List.of(t), registry.settings());
  }

  @Test
  void editabilityFollowsScopeRoleAndConstraints() {
    Setting<String> replicated =
        registry.register(
            Setting.string(SettingKey.plugin("p", "replicated")).defaultValue("").build());
    Setting<String> local =
        registry.register(
            Setting.string(SettingKey.plugin("p", "local"))
                .defaultValue("")
                .scope(Scope.NODE_LOCAL)
                .build());
    Setting<String> primaryOnly =
        registry.register(
            Setting.string(SettingKey.plugin("p", "acme"))
                .defaultValue("")
                .scope(Scope.PRIMARY_ONLY)
                .build());
    Setting<Boolean> constrained =
        registry.register(
            Setting.bool(SettingKey.ini("MDaemon.ini", "Updates", "AutoInstall"))
                .defaultValue(false)
                .clusterConstraint(false)
                .build());
    SettingKey unregistered = SettingKey.ini("MDaemon.ini", "Special", "Signature");

    assertEquals(Editability.EDITABLE, registry.editability(replicated.key(), Role.PRIMARY));
    assertEquals(Editability.READ_ONLY, registry.editability(replicated.key(), Role.SECONDARY));
    assertEquals(Editability.EDITABLE, registry.editability(local.key(), Role.SECONDARY));
    assertEquals(Editability.EDITABLE, registry.editability(primaryOnly.key(), Role.PRIMARY));
    assertEquals(Editability.HIDDEN, registry.editability(primaryOnly.key(), Role.SECONDARY));
    assertEquals(
        Editability.FIXED_BY_CLUSTER, registry.editability(constrained.key(), Role.PRIMARY));
    assertEquals(Editability.READ_ONLY, registry.editability(unregistered, Role.SECONDARY));
    assertEquals(List.of(constrained), registry.constrained());
  }

  @Test
  void unregisteredKeysAreReplicatedRawStringsWithoutValidation() {
    assertEquals(Scope.REPLICATED, registry.scopeOf("config/MDaemon.ini/Special/Whatever"));
    registry.validate("config/MDaemon.ini/Special/Whatever", "anything at all");
  }

  @Test
  void validateRefusesMalformedValuesOfRegisteredSettings() {
    registry.register(
        Setting.integer(SettingKey.ini("MDaemon.ini", "DynamicScreening", "BlockMinutes"))
            .defaultValue(60)
            .build());
    ClusterException e =
        assertThrows(
            ClusterException.class,
            () -> registry.validate("config/mdaemon.ini/dynamicscreening/blockminutes", "sixty"));
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
    assertTrue(e.getMessage().contains("'sixty'"), e.getMessage());
  }
}
