package org.mailcluster.ini.relocate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.ini.MailServerProfile;
import org.mailcluster.ini.MailServerProfile.SharedFolder;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.runtime.SystemScheduler;

class PathRelocatorTest {
  private static final StoragePath ROOT = StoragePath.parse("\\\\nas01\\mail");
  private static final MailServerProfile PROFILE = MailServerProfile.mdaemon();

  private static ConfigSnapshot config(Map<SharedFolder, String> values) {
    ConfigSnapshot s = ConfigSnapshot.empty();
    for (Map.Entry<SharedFolder, String> e : values.entrySet()) {
      s = s.with(PROFILE.folder(e.getKey()).stateKey(), e.getValue());
    }
    return s;
  }

  private static RelocationPlan.Change change(RelocationPlan plan, SharedFolder folder) {
    return plan.changes().stream().filter(c -> c.folder() == folder).findFirst().orElseThrow();
  }

  @Test
  void foldersPlacedByHandAndLockFilesByHand() {
    RelocationPlan plan =
        PathRelocator.builder(ROOT)
            .folder(SharedFolder.MAILBOX_ROOT, ROOT.resolveWithin("mailboxes"))
            .folder(SharedFolder.ARCHIVES, ROOT.resolveWithin("cold\\Archive"))
            .build()
            .plan(
                config(
                    Map.of(
                        SharedFolder.MAILBOX_ROOT, "D:\\Mail\\Users\\",
                        SharedFolder.ARCHIVES, "D:\\Archive",
                        SharedFolder.NEW_ACCOUNT_MAILBOX,
                            "D:\\Mail\\Users\\$DOMAIN$\\$MAILBOX$\\")));
    assertEquals(
        "\\\\nas01\\mail\\mailboxes\\", change(plan, SharedFolder.MAILBOX_ROOT).newValue());
    // No trailing separator before, none after.
    assertEquals("\\\\nas01\\mail\\cold\\Archive", change(plan, SharedFolder.ARCHIVES).newValue());
    assertEquals(
        "\\\\nas01\\mail\\mailboxes\\LockFiles\\",
        change(plan, SharedFolder.LOCK_FILES).newValue());
    assertEquals(
        "\\\\nas01\\mail\\mailboxes\\$DOMAIN$\\$MAILBOX$\\",
        change(plan, SharedFolder.NEW_ACCOUNT_MAILBOX).newValue());
    // Unset keys are set, and have nothing to move.
    RelocationPlan.Change pem = change(plan, SharedFolder.PEM);
    assertEquals(Optional.empty(), pem.oldValue());
    assertEquals("\\\\nas01\\mail\\PEM\\", pem.newValue());
    assertTrue(pem.restartRequired());
    assertEquals(Optional.empty(), pem.move());
    assertEquals(
        List.of(SharedFolder.MAILBOX_ROOT, SharedFolder.ARCHIVES),
        plan.moves().stream().map(RelocationPlan.Move::folder).toList());
    assertEquals(8, plan.toUpdate("relocation").changes().size());

    RelocationPlan byHand =
        PathRelocator.builder(ROOT)
            .folder(SharedFolder.LOCK_FILES, ROOT.resolveWithin("locks"))
            .build()
            .plan(ConfigSnapshot.empty());
    assertEquals("\\\\nas01\\mail\\locks\\", change(byHand, SharedFolder.LOCK_FILES).newValue());
    assertEquals("", change(byHand, SharedFolder.LOCK_FILES).note());
  }

  @Test
  void anAlreadyRelocatedConfigurationChangesNothing() {
    PathRelocator relocator = PathRelocator.builder(ROOT).build();
    RelocationPlan first = relocator.plan(config(Map.of(SharedFolder.PEM, "C:\\MDaemon\\PEM\\")));
    ConfigSnapshot after =
        first.toUpdate("relocation").changes().entrySet().stream()
            .reduce(
                ConfigSnapshot.empty(),
                (s, e) -> s.with(e.getKey(), e.getValue().orElseThrow()),
                (a, b) -> b);
    RelocationPlan second = relocator.plan(after);
    assertFalse(second.changesKeys());
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> second.toUpdate("relocation"));
    assertTrue(e.getMessage().contains("nothing to change"), e.getMessage());
    assertTrue(second.moves().isEmpty());
    assertFalse(second.restartRequired());
    assertTrue(second.render().contains("(unchanged)"));
    assertTrue(second.render().contains("No content to move."));
  }

  /**
   * A quoted path is read without its quotes (Microsoft, "GetPrivateProfileString function
   * (winbase.h)": quotation marks around a value are discarded), so the relocator plans from the
   * path itself; written back, the new path stays between the same quotes.
   */
  @Test
  void aQuotedPathIsRelocatedAndKeepsItsQuotesInTheFile(@TempDir Path dir) throws IOException {
    String file =
        "[Directories]\r\nUsers=C:\\MDaemon\\Users\\\r\n"
            + "PublicFolders = \"C:\\MDaemon\\Public Folders\\\"\r\n";
    Files.writeString(dir.resolve("MDaemon.ini"), file, StandardCharsets.ISO_8859_1);
    try (SystemScheduler scheduler = SystemScheduler.create("relocation-test");
        IniConfigSource source = IniConfigSource.builder(dir).scheduler(scheduler).build()) {
      ConfigSnapshot current = source.load();
      RelocationPlan plan = PathRelocator.builder(ROOT).build().plan(current);
      RelocationPlan.Change publicFolders = change(plan, SharedFolder.PUBLIC_FOLDERS);
      assertEquals(Optional.of("C:\\MDaemon\\Public Folders\\"), publicFolders.oldValue());
      assertEquals("\\\\nas01\\mail\\Public Folders\\", publicFolders.newValue());
      assertEquals(
          Optional.of(StoragePath.parse("C:\\MDaemon\\Public Folders")),
          publicFolders.move().map(RelocationPlan.Move::from));
      List<ConfigDiff.Change> changes = new ArrayList<>();
      for (RelocationPlan.Change c : plan.changes()) {
        if (c.changes()) {
          changes.add(
              c.oldValue().isPresent()
                  ? ConfigDiff.Change.changed(c.key().stateKey(), c.oldValue().get(), c.newValue())
                  : ConfigDiff.Change.added(c.key().stateKey(), c.newValue()));
        }
      }
      source.apply(ConfigDiff.of(changes));
      String written = Files.readString(dir.resolve("MDaemon.ini"), StandardCharsets.ISO_8859_1);
      assertTrue(
          written.contains("PublicFolders = \"\\\\nas01\\mail\\Public Folders\\\"\r\n"), written);
      assertTrue(written.contains("Users=\\\\nas01\\mail\\Users\\\r\n"), written);
      assertEquals(
          Optional.of("\\\\nas01\\mail\\Public Folders\\"),
          source.load().get(PROFILE.folder(SharedFolder.PUBLIC_FOLDERS).stateKey()));
    }
  }

  @Test
  void refusalsSayWhatToDo() {
    IllegalArgumentException outside =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PathRelocator.builder(ROOT)
                    .folder(SharedFolder.PEM, StoragePath.parse("\\\\nas02\\mail\\PEM")));
    assertTrue(outside.getMessage().contains("is not under the shared root"), outside.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> PathRelocator.builder(ROOT).folder(SharedFolder.NEW_ACCOUNT_MAILBOX, ROOT));
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PathRelocator.builder(ROOT)
                    .build()
                    .plan(config(Map.of(SharedFolder.GATEWAYS, "Gateways\\"))));
    assertTrue(
        bad.getMessage().contains("[Directories] Gateways holds 'Gateways\\'"), bad.getMessage());
    assertTrue(bad.getMessage().contains("is relative"), bad.getMessage());
  }
}
