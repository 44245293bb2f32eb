package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.constraints.ConstraintChange;
import org.mailcluster.constraints.ConstraintReport;

/**
 * Cluster constraints (requirements R23–R25 in docs/REQUIREMENTS.md) applied when clustering is
 * enabled, and enforced after.
 */
class ClusterConstraintsTest {
  // The three keys the default mail-server profile declares (MailServerProfile.mdaemon()).
  private static final SettingKey LINKING =
      SettingKey.ini("MDaemon.ini", "Special", "AttachmentLinking");
  private static final SettingKey AUTO_UPDATE =
      SettingKey.ini("MDaemon.ini", "Updates", "AutoInstall");
  private static final SettingKey IP_BINDING =
      SettingKey.ini("MDaemon.ini", "Special", "DomainIPBinding");
  // A plugin's own constraint, declared the same way.
  private static final SettingKey LOCAL_CACHE = SettingKey.plugin("archiver", "local-cache");
  private static final Duration LIMIT = Duration.ofSeconds(30);

  private static SettingsRegistry registry() {
    SettingsRegistry r = SettingsRegistry.create();
    for (SettingKey k : List.of(LINKING, AUTO_UPDATE, IP_BINDING)) {
      r.register(Setting.bool(k).defaultValue(false).clusterConstraint(false).build());
    }
    r.register(Setting.bool(LOCAL_CACHE).defaultValue(true).clusterConstraint(false).build());
    return r;
  }

  @Test
  void enablingTheClusterAppliesEveryConstraintInOneRevisionAndReportsWhatChanged() {
    Map<String, MemoryConfigSource> files = new HashMap<>();
    ConfigSnapshot ini =
        ConfigSnapshot.empty()
            .with(LINKING.stateKey(), "Yes")
            .with(AUTO_UPDATE.stateKey(), "Yes")
            .with(IP_BINDING.stateKey(), "No")
            .with("config/MDaemon.ini/Special/Signature", "hello");
    try (SimulatedCluster cluster =
        SimulatedCluster.builder()
            .nodes(2)
            .seed(7)
            .registry(registry())
            .configSources(
                id ->
                    files.computeIfAbsent(
                        id,
                        k ->
                            new MemoryConfigSource(
                                id.equals("mx1") ? ini : ConfigSnapshot.empty())))
            .build()) {
      cluster.start();
      ConstraintReport report = cluster.primary().constraints().applied().orElseThrow();
      assertEquals(
          List.of(
              new ConstraintChange(
                  "[Special] AttachmentLinking", LINKING.stateKey(), Optional.of("Yes"), "No"),
              new ConstraintChange(
                  "[Updates] AutoInstall", AUTO_UPDATE.stateKey(), Optional.of("Yes"), "No"),
              new ConstraintChange(
                  "setting/archiver/local-cache", LOCAL_CACHE.stateKey(), Optional.empty(), "No")),
          sorted(report.changes()));
      assertTrue(report.revision().isPresent());
      cluster.awaitConverged(LIMIT);
      ConfigSnapshot state = cluster.node("mx2").configuration();
      assertEquals(Optional.of("No"), state.get(LINKING.stateKey()));
      assertEquals(Optional.of("No"), state.get(AUTO_UPDATE.stateKey()));
      assertEquals(Optional.of("hello"), state.get("config/MDaemon.ini/Special/Signature"));
      // The primary's INI file now says No, and so does the secondary's.
      assertEquals(Optional.of("No"), files.get("mx1").files.get(LINKING.stateKey()));
      assertEquals(Optional.of("No"), files.get("mx2").files.get(LINKING.stateKey()));
      assertTrue(
          cluster.primary().diagnostics().recentEvents().stream()
              .anyMatch(
                  e -> e.message().contains("clustering requires [Special] AttachmentLinking")));
      assertEquals(
          List.of(), cluster.primary().constraints().violations(cluster.primary().configuration()));

      // Later commits that break one are refused, naming the setting.
      for (SettingKey k : List.of(LINKING, LOCAL_CACHE)) {
        CompletionException e =
            assertThrows(
                CompletionException.class,
                () ->
                    cluster.await(
                        cluster
                            .primary()
                            .update(ConfigUpdate.builder("api:test").setRaw(k, "Yes").build()),
                        LIMIT));
        ClusterException ce = (ClusterException) e.getCause();
        assertEquals(ErrorCode.CONSTRAINT_VIOLATION, ce.code());
        assertTrue(ce.getMessage().contains(k.displayName()), ce.getMessage());
      }
      // Nothing left to apply.
      ConstraintReport again = cluster.await(cluster.primary().constraints().apply(), LIMIT);
      assertEquals(new ConstraintReport(Optional.empty(), List.of()), again);
    }
  }

  @Test
  void aPrimaryWhoseStateAlreadyMeetsTheConstraintsReportsNoChange() {
    try (SimulatedCluster cluster =
        SimulatedCluster.builder().nodes(2).seed(8).registry(registry()).build()) {
      cluster.start();
      ConstraintReport report = cluster.primary().constraints().applied().orElseThrow();
      // Only the plugin's setting, whose default breaks its constraint, had to change.
      assertEquals(1, report.changes().size(), report.toString());
      cluster.crash("mx1");
      cluster.restart("mx1");
      assertEquals(
          new ConstraintReport(Optional.empty(), List.of()),
          cluster.primary().constraints().applied().orElseThrow());
    }
  }

  private static List<ConstraintChange> sorted(List<ConstraintChange> changes) {
    return changes.stream().sorted((a, b) -> a.key().compareTo(b.key())).toList();
  }
}
