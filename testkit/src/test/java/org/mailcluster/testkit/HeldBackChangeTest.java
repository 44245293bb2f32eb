package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.Diagnostics;
import org.mailcluster.ErrorCode;
import org.mailcluster.HeldBackChange;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;

/**
 * Suspicious host-file changes are held back on the primary (requirement S2): a change that deletes
 * every key of a file or more than the configured share of them, or that the config source reports
 * as damaged (cut mid-line, not INI), is not committed; restoring the file clears it, confirming
 * commits it, and other files keep replicating. On virtual time, over the simulated network.
 */
class HeldBackChangeTest {
  private static final String FILE = "MDaemon.ini";

  private final VirtualTime time = VirtualTime.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
  private final SimulatedNetwork network = SimulatedNetwork.builder(time, 20261202).build();
  private final Map<String, SimulatedDisk> disks = new HashMap<>();
  private final Map<String, ClusterService> nodes = new HashMap<>();
  private final MemoryConfigSource primaryFiles = new MemoryConfigSource(sample());
  private final MemoryConfigSource secondaryFiles = new MemoryConfigSource(ConfigSnapshot.empty());

  private static String key(String file, String section, String key) {
    return SettingKey.ini(file, section, key).stateKey();
  }

  /** Four keys of MDaemon.ini and two of Plugins.ini. */
  private static ConfigSnapshot sample() {
    Map<String, String> m = new TreeMap<>();
    m.put(key(FILE, "Directories", "LockFiles"), "C:\\MDaemon\\LockFiles\\");
    m.put(key(FILE, "Directories", "PEM"), "C:\\MDaemon\\PEM\\");
    m.put(key(FILE, "Setup", "Organization"), "Example");
    m.put(key(FILE, "Setup", "Domain"), "example.com");
    m.put(key("Plugins.ini", "Spam", "Enabled"), "Yes");
    m.put(key("Plugins.ini", "Spam", "Score"), "5");
    return ConfigSnapshot.of(m);
  }

  private static NodeAddress addr(String id) {
    return NodeAddress.of(id, 7400);
  }

  private ClusterService node(String id, boolean primary, MemoryConfigSource files, Double share) {
    var b =
        ClusterService.builder()
            .node(NodeId.of(id), addr(id))
            .productVersion("23.5.2")
            .licenceKey("key-" + id)
            .transport(network.transport(NodeId.of(id), addr(id)))
            .stateStore(disks.computeIfAbsent(id, k -> SimulatedDisk.create()).open())
            .scheduler(time.scheduler(id))
            .random(new SplittableRandom(id.hashCode()))
            .configSource(files)
            .resolver(a -> List.of(java.net.InetAddress.getLoopbackAddress()));
    if (share != null) {
      b = b.heldBackDeletionShare(share);
    }
    b = primary ? b.primary() : b.secondaryOf(addr("mx1"));
    ClusterService node = b.build();
    nodes.put(id, node);
    node.start();
    return node;
  }

  /** A primary with the sample files and one secondary, in sync. */
  private ClusterService cluster(Double share) {
    ClusterService primary = node("mx1", true, primaryFiles, share);
    await(primary.addServer(NodeId.of("mx2"), addr("mx2")));
    ClusterService mx2 = node("mx2", false, secondaryFiles, null);
    await(mx2.awaitSynchronized());
    time.runFor(Duration.ofSeconds(2));
    assertEquals(sample(), withoutMembers(secondaryFiles.files));
    return primary;
  }

  private static ConfigSnapshot withoutMembers(ConfigSnapshot s) {
    Map<String, String> m = new TreeMap<>();
    s.forEach(
        (k, v) -> {
          if (k.startsWith("config/")) {
            m.put(k, v);
          }
        });
    return ConfigSnapshot.of(m);
  }

  private ConfigSnapshot filesWithout(String... keys) {
    ConfigSnapshot s = primaryFiles.files;
    for (String k : keys) {
      s = s.without(k);
    }
    return s;
  }

  private <T> T await(CompletableFuture<T> f) {
    assertTrue(time.runUntil(f::isDone, Duration.ofMinutes(1)), "future did not complete");
    try {
      return f.get();
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
  }

  private ClusterException failure(CompletableFuture<?> f) {
    assertTrue(time.runUntil(f::isDone, Duration.ofMinutes(1)), "future did not complete");
    try {
      f.get();
      throw new AssertionError("expected a failure");
    } catch (ExecutionException e) {
      return (ClusterException) e.getCause();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> events(ClusterService node, String level) {
    return node.diagnostics().recentEvents().stream()
        .filter(e -> e.level().equals(level))
        .map(Diagnostics.Event::message)
        .toList();
  }

  /** Asserts that mx1 holds back a change of {@code file} and mx2 saw nothing of it. */
  private HeldBackChange assertHeldBack(
      ClusterService primary, Revision before, String file, String reasonPart) {
    time.runFor(Duration.ofSeconds(2));
    assertEquals(before, primary.configuration().revision(), "no revision was committed");
    assertEquals(before, nodes.get("mx2").configuration().revision());
    List<HeldBackChange> held = primary.heldBack();
    assertEquals(1, held.size(), held.toString());
    HeldBackChange h = held.get(0);
    assertEquals(file, h.file());
    assertTrue(h.reason().contains(reasonPart), h.reason());
    assertEquals(held, primary.diagnostics().heldBack());
    List<String> errors = events(primary, "ERROR");
    String last = errors.get(errors.size() - 1);
    assertTrue(last.startsWith("HELD_BACK: the change of " + file), last);
    assertTrue(last.contains("mailcluster confirm --config <agent.properties> " + file), last);
    assertTrue(last.contains("confirmHeldBack(\"" + file + "\""), last);
    return h;
  }

  @Test
  void aChangeDeletingEveryKeyOfAFileIsHeldBackWithAnErrorNamingWhatItWouldDelete() {
    ClusterService primary = cluster(null);
    Revision before = primary.configuration().revision();
    primaryFiles.replaceBehindTheLibrarysBack(
        filesWithout(
            key(FILE, "Directories", "LockFiles"),
            key(FILE, "Directories", "PEM"),
            key(FILE, "Setup", "Organization"),
            key(FILE, "Setup", "Domain")));
    HeldBackChange h = assertHeldBack(primary, before, FILE, "deletes every key of MDaemon.ini");
    assertEquals(4, h.keysDeleted());
    assertEquals(4, h.changes().size());
    assertTrue(h.since().isAfter(Instant.parse("2026-01-01T00:00:00Z")), h.since().toString());
    String error = events(primary, "ERROR").get(events(primary, "ERROR").size() - 1);
    assertTrue(error.contains("it would delete 4 keys ([Directories] LockFiles"), error);
    assertEquals(sample(), withoutMembers(secondaryFiles.files), "mx2's files are untouched");
  }

  @Test
  void aChangeDeletingMoreThanHalfOfAFilesKeysIsHeldBackButHalfIsNot() {
    ClusterService primary = cluster(null);
    Revision before = primary.configuration().revision();
    primaryFiles.replaceBehindTheLibrarysBack(
        filesWithout(
            key(FILE, "Directories", "LockFiles"),
            key(FILE, "Directories", "PEM"),
            key(FILE, "Setup", "Organization")));
    HeldBackChange h = assertHeldBack(primary, before, FILE, "deletes 3 of the 4 keys");
    assertTrue(h.reason().contains("more than 50%"), h.reason());

    // Restoring one of them leaves two of four deleted: exactly half is an edit, and commits.
    primaryFiles.editBehindTheLibrarysBack(key(FILE, "Setup", "Organization"), "Example");
    time.runFor(Duration.ofSeconds(2));
    assertEquals(List.of(), primary.heldBack());
    assertEquals(before.sequence() + 1, primary.configuration().revision().sequence());
    assertEquals(Optional.empty(), secondaryFiles.files.get(key(FILE, "Directories", "LockFiles")));
    assertEquals(
        Optional.of("Example"), secondaryFiles.files.get(key(FILE, "Setup", "Organization")));
    List<String> infos = events(primary, "INFO");
    assertTrue(
        infos
            .get(infos.size() - 1)
            .startsWith(
                "the hold-back of MDaemon.ini cleared: its change is"
                    + " no longer suspicious; committing its 2 changes"),
        infos.toString());
  }

  @Test
  void aCustomShareHoldsBackSmallerDeletions() {
    ClusterService primary = cluster(0.25);
    Revision before = primary.configuration().revision();
    primaryFiles.replaceBehindTheLibrarysBack(
        filesWithout(key(FILE, "Directories", "LockFiles"), key(FILE, "Directories", "PEM")));
    HeldBackChange h = assertHeldBack(primary, before, FILE, "deletes 2 of the 4 keys");
    assertTrue(h.reason().contains("more than 25%"), h.reason());
  }

  @Test
  void aValueCutMidLineIsHeldBackAsTheSourceReportsIt() {
    ClusterService primary = cluster(null);
    Revision before = primary.configuration().revision();
    primaryFiles.shapeProblems.put(FILE, "its last line [Directories] LockFiles=C:\\MDa is cut");
    primaryFiles.editBehindTheLibrarysBack(key(FILE, "Directories", "LockFiles"), "C:\\MDa");
    HeldBackChange h = assertHeldBack(primary, before, FILE, "is cut");
    assertEquals(0, h.keysDeleted());
    assertEquals(
        Optional.of("C:\\MDaemon\\LockFiles\\"),
        secondaryFiles.files.get(key(FILE, "Directories", "LockFiles")));

    // The write completes: the file is whole again and its one real change commits.
    primaryFiles.shapeProblems.clear();
    primaryFiles.editBehindTheLibrarysBack(
        key(FILE, "Directories", "LockFiles"), "C:\\MDaemon\\Locks\\");
    time.runFor(Duration.ofSeconds(2));
    assertEquals(List.of(), primary.heldBack());
    assertEquals(
        Optional.of("C:\\MDaemon\\Locks\\"),
        secondaryFiles.files.get(key(FILE, "Directories", "LockFiles")));
  }

  @Test
  void textThatIsNoLongerIniIsHeldBack() {
    ClusterService primary = cluster(null);
    Revision before = primary.configuration().revision();
    primaryFiles.shapeProblems.put(FILE, "7 of its 8 non-blank lines are neither");
    // Garbage text reads as one stray key: a change that deletes nothing much, but is not INI.
    ConfigSnapshot garbage =
        filesWithout(key(FILE, "Setup", "Domain")).with(key(FILE, "Setup", "lorem ipsum"), "x");
    primaryFiles.replaceBehindTheLibrarysBack(garbage);
    assertHeldBack(primary, before, FILE, "non-blank lines are neither");
  }

  @Test
  void aFileThatCannotBeReadIsReportedInDiagnostics() {
    ClusterService primary = cluster(null);
    primaryFiles.listener.unreadable(FILE, "binary content (a NUL byte at offset 3)");
    time.runFor(Duration.ofSeconds(1));
    List<String> errors = events(primary, "ERROR");
    assertTrue(
        errors.contains(
            "CORRUPT_DATA: MDaemon.ini cannot be read and its edit was not replicated: binary"
                + " content (a NUL byte at offset 3)"),
        errors.toString());
  }

  @Test
  void restoringTheFileClearsTheHoldBackWithoutAnyRevision() {
    ClusterService primary = cluster(null);
    Revision before = primary.configuration().revision();
    ConfigSnapshot whole = primaryFiles.files;
    primaryFiles.replaceBehindTheLibrarysBack(
        filesWithout(
            key(FILE, "Directories", "LockFiles"),
            key(FILE, "Directories", "PEM"),
            key(FILE, "Setup", "Organization"),
            key(FILE, "Setup", "Domain")));
    assertHeldBack(primary, before, FILE, "every key");
    primaryFiles.replaceBehindTheLibrarysBack(whole);
    time.runFor(Duration.ofSeconds(2));
    assertEquals(List.of(), primary.heldBack());
    assertEquals(List.of(), primary.diagnostics().heldBack());
    assertEquals(before, primary.configuration().revision());
    assertEquals(before, nodes.get("mx2").configuration().revision());
    List<String> infos = events(primary, "INFO");
    assertEquals(
        "the hold-back of MDaemon.ini cleared: the file is back to its committed content;"
            + " nothing was replicated",
        infos.get(infos.size() - 1));
  }

  @Test
  void anUpdateThroughTheApiWhileAFileIsHeldBackIsNotUndoneWhenItClears() {
    ClusterService primary = cluster(null);
    Revision before = primary.configuration().revision();
    primaryFiles.replaceBehindTheLibrarysBack(
        filesWithout(
            key(FILE, "Directories", "LockFiles"),
            key(FILE, "Directories", "PEM"),
            key(FILE, "Setup", "Organization"),
            key(FILE, "Setup", "Domain")));
    assertHeldBack(primary, before, FILE, "every key");
    String lock = key(FILE, "Directories", "LockFiles");
    Revision updated =
        await(
            primary.update(
                org.mailcluster.ConfigUpdate.builder("api:admin")
                    .setRaw(SettingKey.parse(lock), "\\\\nas01\\LockFiles\\")
                    .build()));
    time.runFor(Duration.ofSeconds(2));
    assertEquals(Optional.of("\\\\nas01\\LockFiles\\"), secondaryFiles.files.get(lock));
    // The file comes back from a backup, with the value the update wrote.
    primaryFiles.replaceBehindTheLibrarysBack(sample().with(lock, "\\\\nas01\\LockFiles\\"));
    time.runFor(Duration.ofSeconds(2));
    assertEquals(List.of(), primary.heldBack());
    assertEquals(updated, primary.configuration().revision(), "no revision undoes the update");
    assertEquals(Optional.of("\\\\nas01\\LockFiles\\"), secondaryFiles.files.get(lock));
  }

  @Test
  void confirmingCommitsTheHeldBackChangeWithItsOriginAndItReplicates() {
    ClusterService primary = cluster(null);
    Revision before = primary.configuration().revision();
    primaryFiles.replaceBehindTheLibrarysBack(
        filesWithout(
            key(FILE, "Directories", "LockFiles"),
            key(FILE, "Directories", "PEM"),
            key(FILE, "Setup", "Organization"),
            key(FILE, "Setup", "Domain")));
    assertHeldBack(primary, before, FILE, "every key");

    // A secondary points at the primary; a file with nothing held back is refused.
    ClusterException onSecondary = failure(nodes.get("mx2").confirmHeldBack(FILE, "api:admin"));
    assertEquals(ErrorCode.NOT_PRIMARY, onSecondary.code());
    assertTrue(
        onSecondary.getMessage().contains("confirm on the primary mx1"), onSecondary.getMessage());
    ClusterException nothing = failure(primary.confirmHeldBack("Plugins.ini", "api:admin"));
    assertEquals(ErrorCode.INVALID_VALUE, nothing.code());
    assertTrue(nothing.getMessage().contains("held back: MDaemon.ini"), nothing.getMessage());

    Revision confirmed = await(primary.confirmHeldBack("mdaemon.INI", "api:admin"));
    assertEquals(before.sequence() + 1, confirmed.sequence());
    LogEntry last = primary.history().get(primary.history().size() - 1);
    assertEquals("held back:MDaemon.ini confirmed by api:admin", last.origin());
    assertEquals(4, last.diff().size());
    time.runFor(Duration.ofSeconds(2));
    assertEquals(List.of(), primary.heldBack());
    assertEquals(confirmed, nodes.get("mx2").configuration().revision());
    Map<String, String> left = withoutMembers(secondaryFiles.files).asMap();
    assertEquals(
        Map.of(
            key("Plugins.ini", "Spam", "Enabled"), "Yes", key("Plugins.ini", "Spam", "Score"), "5"),
        left);
  }

  @Test
  void otherFilesStillCommitWhileOneIsHeldBack() {
    ClusterService primary = cluster(null);
    Revision before = primary.configuration().revision();
    ConfigSnapshot edited =
        filesWithout(
                key(FILE, "Directories", "LockFiles"),
                key(FILE, "Directories", "PEM"),
                key(FILE, "Setup", "Organization"),
                key(FILE, "Setup", "Domain"))
            .with(key("Plugins.ini", "Spam", "Score"), "7");
    primaryFiles.replaceBehindTheLibrarysBack(edited);
    time.runFor(Duration.ofSeconds(2));
    assertEquals(before.sequence() + 1, primary.configuration().revision().sequence());
    assertEquals(Optional.of("7"), secondaryFiles.files.get(key("Plugins.ini", "Spam", "Score")));
    assertEquals(
        Optional.of("C:\\MDaemon\\LockFiles\\"),
        secondaryFiles.files.get(key(FILE, "Directories", "LockFiles")));
    assertEquals(List.of(FILE), primary.heldBack().stream().map(HeldBackChange::file).toList());

    // A later edit of the held file that keeps it suspicious stays held; the others go on.
    primaryFiles.editBehindTheLibrarysBack(key("Plugins.ini", "Spam", "Enabled"), "No");
    time.runFor(Duration.ofSeconds(2));
    assertEquals(
        Optional.of("No"), secondaryFiles.files.get(key("Plugins.ini", "Spam", "Enabled")));
    assertEquals(1, primary.heldBack().size());
  }

  @Test
  void theStartupRevisionIsGuardedWhenTheFilesAreGoneAtStart() {
    ClusterService primary = cluster(null);
    Revision before = primary.configuration().revision();
    await(primary.closeAsync());
    // The primary starts again over an empty directory while its state holds the keys.
    MemoryConfigSource empty = new MemoryConfigSource(ConfigSnapshot.empty());
    ClusterService restarted = node("mx1", true, empty, null);
    time.runFor(Duration.ofSeconds(5));
    assertEquals(before, restarted.configuration().revision());
    assertEquals(4 + 2, withoutMembers(restarted.configuration()).size());
    assertEquals(
        List.of("MDaemon.ini", "Plugins.ini"),
        restarted.heldBack().stream().map(HeldBackChange::file).toList());
    List<String> errors = events(restarted, "ERROR");
    assertTrue(
        errors.stream()
            .anyMatch(e -> e.startsWith("HELD_BACK: the change of MDaemon.ini found at start")),
        errors.toString());
    assertEquals(sample(), withoutMembers(secondaryFiles.files));
    assertEquals(List.of(), time.failures());

    // The files come back: both hold-backs clear, and nothing was ever deleted.
    empty.replaceBehindTheLibrarysBack(sample());
    time.runFor(Duration.ofSeconds(2));
    assertEquals(List.of(), restarted.heldBack());
    assertEquals(before, restarted.configuration().revision());
  }
}
