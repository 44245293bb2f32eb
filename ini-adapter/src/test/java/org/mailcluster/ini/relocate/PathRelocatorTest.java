package org.mailcluster.ini.relocate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.ini.MailServerProfile;
import org.mailcluster.ini.MailServerProfile.SharedFolder;
import org.mailcluster.paths.StoragePath;

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
