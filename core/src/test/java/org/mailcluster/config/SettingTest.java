package org.mailcluster.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;

class SettingTest {
  private static final SettingKey PORT = SettingKey.ini("MDaemon.ini", "Cluster", "Port");

  private static Setting<Integer> port() {
    return Setting.integer(PORT)
        .defaultValue(7400)
        .validator(p -> p > 0 && p < 65536, "must be between 1 and 65535")
        .build();
  }

  @Test
  void readsTheDefaultWhenAbsentAndTheValueWhenPresent() {
    Setting<Integer> port = port();
    assertEquals(7400, port.read(ConfigSnapshot.empty()));
    assertEquals(7500, port.read(ConfigSnapshot.empty().with(PORT.stateKey(), "7500")));
    assertEquals(Scope.REPLICATED, port.scope());
  }

  @Test
  void invalidValuesFailWithTheSettingAndValueNamed() {
    ClusterException notANumber =
        assertThrows(ClusterException.class, () -> port().decode("seventy"));
    assertEquals(ErrorCode.INVALID_VALUE, notANumber.code());
    assertTrue(notANumber.getMessage().contains("[Cluster] Port"), notANumber.getMessage());
    assertTrue(notANumber.getMessage().contains("'seventy'"), notANumber.getMessage());

    ClusterException outOfRange = assertThrows(ClusterException.class, () -> port().encode(70000));
    assertEquals(
        "setting [Cluster] Port must be between 1 and 65535 but was '70000'",
        outOfRange.getMessage());
    assertEquals(Optional.empty(), port().problemWith(25));
  }

  @Test
  void builderRefusesBeingSetTwice() {
    Setting.Builder<Integer> b = Setting.integer(PORT).defaultValue(1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.defaultValue(2));
    assertTrue(e.getMessage().contains("already set to '1'"), e.getMessage());
  }

  @Test
  void defaultAndConstraintMustPassTheValidator() {
    IllegalArgumentException badDefault =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Setting.integer(PORT)
                    .defaultValue(0)
                    .validator(p -> p > 0, "must be positive")
                    .build());
    assertTrue(badDefault.getMessage().contains("default fails its own validator"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Setting.integer(PORT)
                .defaultValue(1)
                .validator(p -> p > 0, "must be positive")
                .clusterConstraint(-1)
                .build());
    assertThrows(IllegalStateException.class, () -> Setting.integer(PORT).build());
  }

  @Test
  void constraintIsExposedInRawForm() {
    Setting<Boolean> linking =
        Setting.bool(SettingKey.ini("MDaemon.ini", "Special", "AttachmentLinking"))
            .defaultValue(false)
            .clusterConstraint(false)
            .build();
    assertEquals(Optional.of("No"), linking.encodedClusterConstraint());
    assertEquals("No", linking.encodedDefault());
  }
}
