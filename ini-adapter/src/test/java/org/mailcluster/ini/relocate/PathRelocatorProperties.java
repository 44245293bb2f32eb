package org.mailcluster.ini.relocate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.ini.MailServerProfile;
import org.mailcluster.ini.MailServerProfile.SharedFolder;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.testing.PropertyRuns;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Whatever the current folders are, every relocated folder lies under the shared root ({@code
 * mailcluster.tries} tries, 1000 in the build; the seed is printed).
 */
class PathRelocatorProperties {

  @Test
  void aRelocatedFolderNeverEscapesTheSharedRoot() {
    PropertyRuns.check(
        theory ->
            theory
                .forAll(roots(), configurations())
                .checkAssert(PathRelocatorProperties::staysUnderTheRoot));
  }

  private static void staysUnderTheRoot(String rootText, Map<SharedFolder, String> values) {
    StoragePath root = StoragePath.parse(rootText);
    ConfigSnapshot s = ConfigSnapshot.empty();
    for (Map.Entry<SharedFolder, String> e : values.entrySet()) {
      s = s.with(MailServerProfile.mdaemon().folder(e.getKey()).stateKey(), e.getValue());
    }
    RelocationPlan plan = PathRelocator.builder(root).build().plan(s);
    for (RelocationPlan.Change c : plan.changes()) {
      StoragePath placed = StoragePath.parse(c.newValue());
      assertTrue(root.contains(placed), c + " escaped " + root);
      c.move().ifPresent(m -> assertTrue(root.contains(m.to()), m + " escaped " + root));
    }
  }

  private static Gen<String> roots() {
    return Generate.pick(
        List.of("\\\\nas01\\mail", "\\\\NAS01\\Mail\\cluster\\", "//srv/share/a/b", "/mnt/mail"));
  }

  private static Gen<Map<SharedFolder, String>> configurations() {
    Gen<String> value =
        Generate.pick(
            List.of(
                "C:\\MDaemon\\Users\\",
                "c:/mdaemon/PEM",
                "D:\\x\\..\\Archive\\.",
                "\\\\old\\share\\Public Folders\\",
                "\\\\nas01\\mail\\Users\\",
                "C:\\MDaemon\\Users\\$DOMAIN$\\$MAILBOX$\\",
                "/var/mail/digests/",
                "E:\\"));
    return PropertyRuns.maps(Generate.enumValues(SharedFolder.class), value, 8).map(m -> m);
  }
}
