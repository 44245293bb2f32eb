package org.mailcluster.ini;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;
import org.mailcluster.ini.MailServerProfile.IncompatibleFeature;
import org.mailcluster.ini.MailServerProfile.SharedFolder;

class MailServerProfileTest {
  @Test
  void mdaemon_profile_names_keys_present_in_the_sample() {
    MailServerProfile p = MailServerProfile.mdaemon();
    IniDocument sample = IniDocument.parse(IniDocumentTest.sample());
    for (SettingKey key : p.folders().values()) {
      assertTrue(
          sample.get(key.iniSection().orElseThrow(), key.iniKey().orElseThrow()).isPresent(),
          key + " is in the sample");
    }
    for (SettingKey key : p.features().values()) {
      assertEquals(
          Optional.of("Yes"),
          sample.get(key.iniSection().orElseThrow(), key.iniKey().orElseThrow()));
    }
    assertEquals(
        SettingKey.ini("MDaemon.ini", "Directories", "LockFiles"),
        p.folder(SharedFolder.LOCK_FILES));
    assertEquals(
        "config/MDaemon.ini/NewAccountTemplate/MailDir",
        p.folder(SharedFolder.NEW_ACCOUNT_MAILBOX).stateKey());
    assertEquals(
        "config/MDaemon.ini/Special/AttachmentLinking",
        p.feature(IncompatibleFeature.ATTACHMENT_LINKING).stateKey());
  }

  @Test
  void files_are_those_its_keys_live_in() {
    assertEquals(List.of("MDaemon.ini"), List.copyOf(MailServerProfile.mdaemon().files()));
    MailServerProfile custom =
        MailServerProfile.mdaemon().toBuilder()
            .folder(SharedFolder.LOCK_FILES, SettingKey.ini("Mail.ini", "Paths", "Locks"))
            .feature(
                IncompatibleFeature.DOMAIN_IP_BINDING, SettingKey.ini("mdaemon.INI", "Net", "Bind"))
            .build();
    assertEquals(List.of("Mail.ini", "MDaemon.ini"), List.copyOf(custom.files()));
    assertTrue(custom.files().contains("MAIL.INI"), "compared case-insensitively");
  }

  @Test
  void cluster_constraints_require_each_feature_off() {
    List<Setting<Boolean>> constraints = MailServerProfile.mdaemon().clusterConstraints();
    assertEquals(3, constraints.size());
    for (Setting<Boolean> s : constraints) {
      assertEquals(Optional.of(false), s.clusterConstraint());
      assertEquals("No", s.encode(false));
      assertEquals(true, s.decode("Yes"));
    }
    assertEquals("config/MDaemon.ini/Updates/AutoInstall", constraints.get(1).key().stateKey());
  }

  @Test
  void host_overrides_keys_through_to_builder() {
    SettingKey archive = SettingKey.ini("MDaemon.ini", "Archiving", "Root");
    MailServerProfile p =
        MailServerProfile.mdaemon().toBuilder().folder(SharedFolder.ARCHIVES, archive).build();
    assertEquals(archive, p.folder(SharedFolder.ARCHIVES));
    assertEquals(MailServerProfile.mdaemon().folder(SharedFolder.PEM), p.folder(SharedFolder.PEM));
    MailServerProfile.Builder b = MailServerProfile.mdaemon().toBuilder();
    b.folder(SharedFolder.PEM, archive);
    assertThrows(IllegalStateException.class, () -> b.folder(SharedFolder.PEM, archive));
    assertThrows(
        IllegalArgumentException.class,
        () -> b.folder(SharedFolder.GATEWAYS, SettingKey.plugin("x", "y")));
    assertThrows(IllegalStateException.class, () -> MailServerProfile.builder().build());
  }
}
