package org.mailcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Editability;
import org.mailcluster.config.Revision;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;

/** The embedding example of README.md, kept compiling and true. Keep the two in step. */
class ReadmeExampleTest {
  @Test
  void embeddingExample() {
    // --- README example starts ---
    SettingsRegistry registry = SettingsRegistry.create();

    // A plugin declares a typed, validated setting of its own...
    Setting<Integer> threshold =
        registry.register(
            Setting.integer(SettingKey.plugin("antispam", "threshold"))
                .defaultValue(5)
                .validator(t -> t >= 1 && t <= 100, "must be between 1 and 100")
                .build());

    // ...and the mail server declares an INI key that must be off in a cluster
    // (requirement R23 in docs/REQUIREMENTS.md).
    Setting<Boolean> attachmentLinking =
        registry.register(
            Setting.bool(SettingKey.ini("MDaemon.ini", "Special", "AttachmentLinking"))
                .defaultValue(false)
                .clusterConstraint(false)
                .build());

    // The host's UI asks what may be edited on this node.
    Editability onSecondary = registry.editability(threshold.key(), Role.SECONDARY); // READ_ONLY

    // Replicated state is a persistent, revisioned map; a diff is the unit of replication.
    ConfigSnapshot r1 =
        ConfigSnapshot.empty()
            .with("config/MDaemon.ini/Directories/LockFiles", "C:\\MDaemon\\LockFiles\\")
            .atRevision(Revision.of(1, 1));
    ConfigSnapshot r2 =
        r1.with("config/MDaemon.ini/Directories/LockFiles", "\\\\nas01\\mail\\LockFiles\\")
            .with(threshold.key().stateKey(), threshold.encode(7))
            .atRevision(Revision.of(1, 2));

    ConfigDiff diff = ConfigDiff.between(r1, r2);
    System.out.println(diff.render());
    // [Directories] LockFiles: C:\MDaemon\LockFiles\ → \\nas01\mail\LockFiles\
    // setting/antispam/threshold: (unset) → 7

    int current = threshold.read(r2); // 7
    // --- README example ends ---

    assertEquals(Editability.READ_ONLY, onSecondary);
    assertEquals(7, current);
    assertEquals(false, attachmentLinking.read(r2));
    assertEquals(
        "[Directories] LockFiles: C:\\MDaemon\\LockFiles\\ → \\\\nas01\\mail\\LockFiles\\\n"
            + "setting/antispam/threshold: (unset) → 7",
        diff.render());
    assertThrows(ClusterException.class, () -> threshold.encode(500));
  }
}
