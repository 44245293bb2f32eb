package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.constraints.ConstraintChange;
import org.mailcluster.constraints.ConstraintReport;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.ini.MailServerProfile;
import org.mailcluster.ini.MailServerProfile.IncompatibleFeature;
import org.mailcluster.testkit.SimulatedCluster;

/**
 * The default mail-server profile's constraints (requirements R23–R25 in docs/REQUIREMENTS.md) on
 * real INI files: enabling the cluster switches the incompatible features off in one revision, in
 * the primary's MDaemon.ini and in every secondary's.
 */
class MailServerProfileClusterTest {
  private static final Charset CP1252 = Charset.forName("windows-1252");

  @Test
  void enablingTheClusterSwitchesTheProfilesIncompatibleFeaturesOff(@TempDir Path tmp)
      throws IOException {
    MailServerProfile profile = MailServerProfile.mdaemon();
    SettingsRegistry registry = SettingsRegistry.create();
    for (Setting<Boolean> constraint : profile.clusterConstraints()) {
      registry.register(constraint);
    }
    for (String id : List.of("mx1", "mx2")) {
      Files.createDirectories(tmp.resolve(id));
    }
    Files.writeString(
        tmp.resolve("mx1/MDaemon.ini"),
        "[Special]\r\nAttachmentLinking=Yes\r\nDomainIPBinding=No\r\n[Updates]\r\nAutoInstall=Yes\r\n",
        CP1252);
    SimulatedCluster[] holder = new SimulatedCluster[1];
    try (SimulatedCluster cluster =
        SimulatedCluster.builder()
            .nodes(2)
            .seed(23)
            .registry(registry)
            .configSources(
                id ->
                    IniConfigSource.builder(tmp.resolve(id))
                        .scheduler(holder[0].time().scheduler(id + "-files"))
                        .build())
            .build()) {
      holder[0] = cluster;
      cluster.start();
      cluster.runFor(Duration.ofSeconds(5));
      ConstraintReport report = cluster.primary().constraints().applied().orElseThrow();
      assertTrue(report.revision().isPresent());
      assertEquals(
          List.of("[Special] AttachmentLinking", "[Updates] AutoInstall"),
          report.changes().stream().map(ConstraintChange::setting).sorted().toList());
      for (String id : List.of("mx1", "mx2")) {
        String ini = Files.readString(tmp.resolve(id).resolve("MDaemon.ini"), CP1252);
        assertTrue(ini.contains("AttachmentLinking=No"), id + ": " + ini);
        assertTrue(ini.contains("AutoInstall=No"), id + ": " + ini);
      }
      CompletionException e =
          assertThrows(
              CompletionException.class,
              () ->
                  cluster.await(
                      cluster
                          .primary()
                          .update(
                              ConfigUpdate.builder("api:admin")
                                  .setRaw(
                                      profile.feature(IncompatibleFeature.DOMAIN_IP_BINDING), "Yes")
                                  .build()),
                      Duration.ofSeconds(30)));
      ClusterException refused = (ClusterException) e.getCause();
      assertEquals(ErrorCode.CONSTRAINT_VIOLATION, refused.code());
      assertTrue(refused.getMessage().contains("[Special] DomainIPBinding"), refused.getMessage());
    }
  }
}
