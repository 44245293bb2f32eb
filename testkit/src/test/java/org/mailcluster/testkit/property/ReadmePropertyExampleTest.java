package org.mailcluster.testkit.property;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;
import org.mailcluster.testkit.ClusterAction;
import org.mailcluster.testkit.SimulatedCluster;
import org.mailcluster.testkit.junit.ActionPropertyExtension;
import org.mailcluster.testkit.junit.ActionSequences;

/** The README's property-test example for plugin authors, kept compiling, passing and in step. */
class ReadmePropertyExampleTest {
  // --- README example starts ---
  @ExtendWith(ActionPropertyExtension.class)
  static class AntispamReplicationProperties {
    static SettingKey key(int k) {
      return SettingKey.plugin("antispam", "rule" + k);
    }

    @Test
    @ActionSequences(nodes = 3, keys = 4, sequences = 50)
    void everyNodeEndsWithThePrimarysRules(ActionProperty<ClusterAction> property) {
      property.check(
          (actions, clusterSeed) -> {
            try (SimulatedCluster cluster =
                SimulatedCluster.builder().nodes(3).seed(clusterSeed).build()) {
              cluster.start();
              for (ClusterAction action : actions) {
                ClusterActions.apply(cluster, action, AntispamReplicationProperties::key);
              }
              ClusterActions.settle(cluster, Duration.ofMinutes(2)); // heal, restart, converge
              ConfigSnapshot primary = cluster.primary().configuration();
              for (String id : cluster.ids()) {
                for (int k = 0; k < 4; k++) {
                  String rule = key(k).stateKey();
                  assertEquals(primary.get(rule), cluster.node(id).configuration().get(rule), id);
                }
              }
            }
          });
    }
  }

  // --- README example ends ---

  @Test
  void theExamplePasses() {
    EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(AntispamReplicationProperties.class))
        .execute()
        .testEvents()
        .assertStatistics(s -> s.started(1).succeeded(1));
  }

  @Test
  void theReadmeShowsTheExamplesCode() throws IOException {
    String source =
        Files.readString(
            Path.of(
                "src/test/java/org/mailcluster/testkit/property/ReadmePropertyExampleTest.java"));
    String marker = "// --- README example starts ---\n";
    String code =
        source.substring(
            source.indexOf(marker) + marker.length(),
            source.indexOf("  // --- README example ends"));
    assertTrue(code.contains("ClusterActions.settle"), code);
    String readme = Files.readString(Path.of("../README.md"));
    for (String line : code.split("\n")) {
      if (!line.isBlank()) {
        // In the README the class is a top-level one; here it is nested.
        String expected = line.strip().replaceFirst("^static class ", "class ");
        assertTrue(readme.contains(expected + "\n"), "README lacks the example line: " + expected);
      }
    }
  }
}
