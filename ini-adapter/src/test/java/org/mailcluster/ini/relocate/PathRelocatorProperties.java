package org.mailcluster.ini.relocate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.ini.MailServerProfile;
import org.mailcluster.ini.MailServerProfile.SharedFolder;
import org.mailcluster.paths.StoragePath;

/** Whatever the current folders are, every relocated folder lies under the shared root. */
class PathRelocatorProperties {

  @Property
  void aRelocatedFolderNeverEscapesTheSharedRoot(
      @ForAll("roots") String rootText,
      @ForAll("configurations") Map<SharedFolder, String> values) {
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

  @Provide
  Arbitrary<String> roots() {
    return Arbitraries.of(
        "\\\\nas01\\mail", "\\\\NAS01\\Mail\\cluster\\", "//srv/share/a/b", "/mnt/mail");
  }

  @Provide
  Arbitrary<Map<SharedFolder, String>> configurations() {
    Arbitrary<String> value =
        Arbitraries.of(
            "C:\\MDaemon\\Users\\",
            "c:/mdaemon/PEM",
            "D:\\x\\..\\Archive\\.",
            "\\\\old\\share\\Public Folders\\",
            "\\\\nas01\\mail\\Users\\",
            "C:\\MDaemon\\Users\\$DOMAIN$\\$MAILBOX$\\",
            "/var/mail/digests/",
            "E:\\");
    return Arbitraries.maps(Arbitraries.of(SharedFolder.class), value).ofMaxSize(8);
  }
}
