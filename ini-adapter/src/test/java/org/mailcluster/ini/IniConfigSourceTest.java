package org.mailcluster.ini;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigDiff.Change;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.runtime.SystemScheduler;

class IniConfigSourceTest {
  static final String LOCK_FILES = "config/MDaemon.ini/Directories/LockFiles";
  static final Duration DEADLINE = Duration.ofSeconds(20);

  @TempDir Path dir;
  SystemScheduler scheduler;
  IniConfigSource source;
  final BlockingQueue<ConfigDiff> edits = new LinkedBlockingQueue<>();

  @BeforeEach
  void setUp() throws IOException {
    scheduler = SystemScheduler.create("test");
    Files.write(dir.resolve("MDaemon.ini"), IniDocumentTest.sample());
  }

  @AfterEach
  void tearDown() {
    if (source != null) {
      source.close();
    }
    scheduler.close();
  }

  IniConfigSource.Builder builder() {
    return IniConfigSource.builder(dir).scheduler(scheduler);
  }

  String read(String name) throws IOException {
    return new String(Files.readAllBytes(dir.resolve(name)), ISO_8859_1);
  }

  Object fileKey(String name) throws IOException {
    return Files.readAttributes(dir.resolve(name), BasicFileAttributes.class).fileKey();
  }

  @Test
  void load_maps_top_level_ini_files_to_state_keys() throws IOException {
    Files.writeString(dir.resolve("Other.INI"), "[A/B]\r\nk%=1\r\n", ISO_8859_1);
    Files.writeString(dir.resolve("notes.txt"), "[A]\r\nk=1\r\n", ISO_8859_1);
    Files.createDirectory(dir.resolve("sub"));
    Files.writeString(dir.resolve("sub/x.ini"), "[A]\r\nk=1\r\n", ISO_8859_1);
    source = builder().filePattern("*.ini").build();
    ConfigSnapshot s = source.load();
    assertEquals(Optional.of("C:\\MDaemon\\LockFiles\\"), s.get(LOCK_FILES));
    assertEquals(
        Optional.of("Societ\u00e0 Esempio S.p.A."),
        s.get("config/MDaemon.ini/Special/Organization"));
    assertEquals(Optional.of("1"), s.get("config/Other.INI/A%2FB/k%25"));
    assertTrue(
        s.asMap().keySet().stream().noneMatch(k -> k.contains("notes") || k.contains("x.ini")));
    assertEquals(31, s.size(), s.asMap().keySet().toString());
  }

  @Test
  void apply_changes_only_the_value_bytes_and_matches_keys_case_insensitively() throws IOException {
    source = builder().build();
    source.load();
    String before = read("MDaemon.ini");
    source.apply(
        ConfigDiff.of(
            Change.changed(
                "config/mdaemon.ini/DIRECTORIES/lockfiles",
                "C:\\MDaemon\\LockFiles\\",
                "\\\\nas\\mail\\LockFiles\\")));
    assertEquals(
        before.replace(
            "LockFiles=C:\\MDaemon\\LockFiles\\", "LockFiles=\\\\nas\\mail\\LockFiles\\"),
        read("MDaemon.ini"));
    assertEquals(Optional.of("\\\\nas\\mail\\LockFiles\\"), source.load().get(LOCK_FILES));
  }

  @Test
  void apply_writes_only_files_that_change_and_creates_missing_ones() throws IOException {
    Files.writeString(dir.resolve("untouched.ini"), "[A]\r\nk=1\r\n", ISO_8859_1);
    source = builder().filePattern("*.ini").build();
    source.load();
    Object untouched = fileKey("untouched.ini");
    Object mdaemon = fileKey("MDaemon.ini");
    source.apply(
        ConfigDiff.of(
            Change.added("config/New.ini/Cluster/Role", "Secondary"),
            Change.removed("config/MDaemon.ini/NoSuchSection/Key", "x"),
            Change.added("setting/antispam/threshold", "5"),
            Change.added("member/mx2", "x")));
    assertEquals(untouched, fileKey("untouched.ini"));
    assertEquals(mdaemon, fileKey("MDaemon.ini"), "nothing to remove: no rewrite");
    assertEquals("[Cluster]\r\nRole=Secondary\r\n", read("New.ini"));
    source.apply(ConfigDiff.of(Change.removed(LOCK_FILES, "C:\\MDaemon\\LockFiles\\")));
    assertNotEquals(mdaemon, fileKey("MDaemon.ini"), "replaced, not written in place");
    assertFalse(read("MDaemon.ini").contains("LockFiles="));
    assertEquals(List.of(), leftoverTempFiles());
  }

  @Test
  void apply_of_a_removal_takes_every_line_of_the_key_so_no_duplicate_is_read() throws IOException {
    Files.writeString(
        dir.resolve("MDaemon.ini"),
        "[Special]\r\nAttachmentLinking=Yes\r\nServerName=mx\r\nattachmentlinking=No\r\n",
        ISO_8859_1);
    source = builder().build();
    source.load();
    source.apply(
        ConfigDiff.of(Change.removed("config/MDaemon.ini/Special/AttachmentLinking", "Yes")));
    assertEquals("[Special]\r\nServerName=mx\r\n", read("MDaemon.ini"));
    assertEquals(
        Optional.empty(), source.load().get("config/MDaemon.ini/Special/AttachmentLinking"));
  }

  @Test
  void quoted_values_are_read_without_their_quotes_and_written_back_between_them()
      throws IOException {
    Files.writeString(
        dir.resolve("MDaemon.ini"),
        "[Directories]\r\nPublicFolders=\"C:\\MDaemon\\Public Folders\\\"\r\n",
        ISO_8859_1);
    source = builder().build();
    String key = "config/MDaemon.ini/Directories/PublicFolders";
    assertEquals(Optional.of("C:\\MDaemon\\Public Folders\\"), source.load().get(key));
    source.apply(
        ConfigDiff.of(
            Change.changed(
                key, "C:\\MDaemon\\Public Folders\\", "\\\\nas01\\mail\\Public Folders\\")));
    assertEquals(
        "[Directories]\r\nPublicFolders=\"\\\\nas01\\mail\\Public Folders\\\"\r\n",
        read("MDaemon.ini"));
    assertEquals(Optional.of("\\\\nas01\\mail\\Public Folders\\"), source.load().get(key));
  }

  @Test
  void by_default_only_the_mail_server_profiles_files_are_managed() throws Exception {
    String backup = "[Directories]\r\nLockFiles=C:\\Old\\\r\n";
    Files.writeString(dir.resolve("MDaemon-backup.ini"), backup, ISO_8859_1);
    source = builder().debounce(Duration.ofMillis(50)).build();
    assertTrue(source.manages("MDaemon.ini"));
    assertTrue(source.manages("mdaemon.INI"), "file names compare as Windows compares them");
    assertFalse(source.manages("MDaemon-backup.ini"));
    ConfigSnapshot loaded = source.load();
    assertTrue(loaded.asMap().keySet().stream().allMatch(k -> k.startsWith("config/MDaemon.ini/")));
    assertEquals(Optional.of("C:\\MDaemon\\LockFiles\\"), loaded.get(LOCK_FILES));

    source.watch(edits::add);
    Files.writeString(dir.resolve("MDaemon-backup.ini"), backup + "Extra=1\r\n", ISO_8859_1);
    source.apply(
        ConfigDiff.of(
            Change.added("config/MDaemon-backup.ini/Directories/Extra", "2"),
            Change.added("config/Other.ini/A/b", "c")));
    assertEquals(backup + "Extra=1\r\n", read("MDaemon-backup.ini"), "not written");
    assertFalse(Files.exists(dir.resolve("Other.ini")), "not created");
    settleAndRescan();
    assertEquals(List.of(), new ArrayList<>(edits), "edits of unmanaged files are not reported");
  }

  @Test
  void named_files_and_a_pattern_choose_the_managed_files() throws IOException {
    Files.writeString(dir.resolve("Plugins.ini"), "[P]\r\nk=1\r\n", ISO_8859_1);
    Files.writeString(dir.resolve("MAIL-gateways.INI"), "[G]\r\nk=2\r\n", ISO_8859_1);
    Files.writeString(dir.resolve("MDaemon-backup.ini"), "[B]\r\nk=3\r\n", ISO_8859_1);
    source = builder().files("mdaemon.ini", "plugins.ini").filePattern("mail-*.ini").build();
    ConfigSnapshot s = source.load();
    assertEquals(Optional.of("1"), s.get("config/Plugins.ini/P/k"));
    assertEquals(Optional.of("2"), s.get("config/MAIL-gateways.INI/G/k"));
    assertEquals(Optional.empty(), s.get("config/MDaemon-backup.ini/B/k"));
    assertEquals(Optional.of("7400"), s.get("config/MDaemon.ini/Cluster/Port"));
    assertFalse(source.manages(".mail-x.ini"), "hidden names, as temporary files have, never");
    assertFalse(source.manages("sub/mail-x.ini"));
    IniConfigSource profileFiles =
        builder().files(MailServerProfile.mdaemon().files()).filePattern("?lugins.ini").build();
    assertTrue(profileFiles.manages("MDaemon.ini"));
    assertTrue(profileFiles.manages("PLUGINS.ini"));
    assertFalse(profileFiles.manages("xPlugins.ini"));
    profileFiles.close();
  }

  @Test
  void a_file_whose_last_key_replication_removes_is_deleted_not_left_as_empty_sections()
      throws Exception {
    source = builder().filePattern("*.ini").debounce(Duration.ofMillis(50)).build();
    source.load();
    source.watch(edits::add);
    String backup = "config/MDaemon-backup.ini/";
    source.apply(
        ConfigDiff.of(
            Change.added(backup + "Directories/LockFiles", "C:\\Old\\"),
            Change.added(backup + "Special/ServerName", "old")));
    assertEquals(
        "[Directories]\r\nLockFiles=C:\\Old\\\r\n[Special]\r\nServerName=old\r\n",
        read("MDaemon-backup.ini"));
    // The primary deleted its copy: every key of the file is removed on this node.
    source.apply(
        ConfigDiff.of(
            Change.removed(backup + "Directories/LockFiles", "C:\\Old\\"),
            Change.removed(backup + "Special/ServerName", "old")));
    assertFalse(Files.exists(dir.resolve("MDaemon-backup.ini")), "no stub of empty sections");
    assertTrue(source.load().asMap().keySet().stream().noneMatch(k -> k.startsWith(backup)));
    settleAndRescan();
    assertEquals(List.of(), new ArrayList<>(edits), "the deletion is not an external edit");
    assertEquals(List.of(), leftoverTempFiles());

    // A removal that leaves other keys only writes the file.
    source.apply(ConfigDiff.of(Change.removed("config/MDaemon.ini/Time/ZoneId", "Europe/Rome")));
    assertTrue(read("MDaemon.ini").contains("[Time]\r\n\r\n[Cluster]"), "the header stays");
  }

  @Test
  void a_file_with_other_content_stays_when_its_last_key_is_removed() throws IOException {
    String own = "; kept by this node\r\n[Directories]\r\nLockFiles=C:\\Old\\\r\n";
    Files.writeString(dir.resolve("MDaemon-backup.ini"), own, ISO_8859_1);
    source = builder().filePattern("*.ini").build();
    source.load();
    source.apply(
        ConfigDiff.of(
            Change.removed("config/MDaemon-backup.ini/Directories/LockFiles", "C:\\Old\\")));
    assertEquals("; kept by this node\r\n[Directories]\r\n", read("MDaemon-backup.ini"));
  }

  @Test
  void a_node_that_does_not_manage_a_file_leaves_it_as_it_was() throws IOException {
    String backup = "[Directories]\r\nLockFiles=C:\\Old\\\r\n";
    Files.writeString(dir.resolve("MDaemon-backup.ini"), backup, ISO_8859_1);
    source = builder().build();
    source.load();
    source.apply(
        ConfigDiff.of(
            Change.removed("config/MDaemon-backup.ini/Directories/LockFiles", "C:\\Old\\")));
    assertEquals(backup, read("MDaemon-backup.ini"));
  }

  @Test
  void apply_of_an_unwritable_value_writes_nothing() throws IOException {
    source = builder().build();
    source.load();
    byte[] before = Files.readAllBytes(dir.resolve("MDaemon.ini"));
    ClusterException e =
        assertThrows(
            ClusterException.class,
            () -> source.apply(ConfigDiff.of(Change.changed(LOCK_FILES, "x", "\u4e2d\u6587"))));
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
    assertTrue(e.getMessage().contains("MDaemon.ini"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(dir.resolve("MDaemon.ini")));
  }

  @Test
  void binary_file_is_refused_with_its_name() throws IOException {
    Files.write(dir.resolve("broken.ini"), new byte[] {'[', 'a', ']', '\n', 0, 1, 2});
    source = builder().files("MDaemon.ini", "broken.ini").build();
    ClusterException e = assertThrows(ClusterException.class, () -> source.load());
    assertEquals(ErrorCode.CORRUPT_DATA, e.code());
    assertTrue(e.getMessage().contains("broken.ini: line 2, column 1"), e.getMessage());
  }

  @Test
  void reader_never_sees_a_partial_file_while_diffs_are_applied() throws Exception {
    source = builder().build();
    source.load();
    int versions = 200;
    Map<String, Integer> complete = new HashMap<>();
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> problem = new AtomicReference<>();
    AtomicInteger reads = new AtomicInteger();
    String padding = "x".repeat(50_000);
    Thread reader =
        new Thread(
            () -> {
              while (!done.get() && problem.get() == null) {
                try {
                  byte[] bytes = Files.readAllBytes(dir.resolve("MDaemon.ini"));
                  IniDocument doc = IniDocument.parse(bytes);
                  Optional<String> v = doc.get("Directories", "LockFiles");
                  Optional<String> pad = doc.get("Directories", "Padding");
                  boolean whole =
                      v.isPresent()
                          && (v.get().equals("C:\\MDaemon\\LockFiles\\")
                              || (v.get().startsWith("v") && pad.equals(Optional.of(padding))))
                          && doc.get("Cluster", "Port").equals(Optional.of("7400"));
                  if (!whole) {
                    problem.set("partial file read: LockFiles=" + v + ", size " + bytes.length);
                  }
                  reads.incrementAndGet();
                } catch (IOException | RuntimeException e) {
                  problem.set("read failed: " + e);
                }
              }
            },
            "reader");
    reader.start();
    source.apply(ConfigDiff.of(Change.added("config/MDaemon.ini/Directories/Padding", padding)));
    String previous = "C:\\MDaemon\\LockFiles\\";
    for (int i = 0; i < versions; i++) {
      String next = "v" + i + "-" + "y".repeat(i * 37);
      source.apply(ConfigDiff.of(Change.changed(LOCK_FILES, previous, next)));
      complete.put(next, i);
      previous = next;
    }
    done.set(true);
    reader.join(DEADLINE.toMillis());
    assertNull(problem.get());
    assertTrue(reads.get() > 0, "the reader read " + reads.get() + " times");
    assertEquals(Optional.of(previous), source.load().get(LOCK_FILES));
    assertEquals(List.of(), leftoverTempFiles());
  }

  @Test
  void edit_by_another_process_replacing_the_file_is_reported() throws Exception {
    source = builder().debounce(Duration.ofMillis(50)).build();
    source.load();
    source.watch(edits::add);
    runShell(
        "printf '%s' \"$1\" > \"$2.tmp\" && mv \"$2.tmp\" \"$2\"",
        "[Directories]\r\nLockFiles=/mnt/locks\r\n", dir.resolve("MDaemon.ini").toString());
    Map<String, Optional<String>> seen =
        awaitChanges(
            m -> m.containsKey(LOCK_FILES) && m.get(LOCK_FILES).equals(Optional.of("/mnt/locks")));
    assertEquals(
        Optional.empty(), seen.get("config/MDaemon.ini/Cluster/Port"), "removed key reported");
  }

  @Test
  void edit_by_another_process_in_place_is_reported() throws Exception {
    source = builder().debounce(Duration.ofMillis(50)).build();
    source.load();
    source.watch(edits::add);
    String edited = read("MDaemon.ini").replace("Port=7400", "Port=7401");
    runShell("printf '%s' \"$1\" > \"$2\"", edited, dir.resolve("MDaemon.ini").toString());
    awaitChanges(
        m ->
            Optional.of("7401")
                .equals(m.getOrDefault("config/MDaemon.ini/Cluster/Port", Optional.empty())));
  }

  @Test
  void edit_is_found_by_the_periodic_rescan_when_watch_events_do_not_arrive() throws Exception {
    // A debounce of an hour keeps watch events from ever triggering a read within the test.
    source =
        builder()
            .filePattern("*.ini")
            .debounce(Duration.ofHours(1))
            .rescanInterval(Duration.ofMillis(100))
            .build();
    source.load();
    source.watch(edits::add);
    Files.writeString(dir.resolve("Extra.ini"), "[Time]\r\nZoneId=UTC\r\n", ISO_8859_1);
    awaitChanges(m -> m.containsKey("config/Extra.ini/Time/ZoneId"));
    Files.delete(dir.resolve("Extra.ini"));
    awaitChanges(
        m ->
            m.containsKey("config/Extra.ini/Time/ZoneId")
                && m.get("config/Extra.ini/Time/ZoneId").isEmpty());
  }

  @Test
  void own_writes_are_never_reported() throws Exception {
    source = builder().filePattern("*.ini").debounce(Duration.ofMillis(50)).build();
    source.load();
    source.watch(edits::add);
    source.apply(
        ConfigDiff.of(Change.changed(LOCK_FILES, "C:\\MDaemon\\LockFiles\\", "\\\\nas\\l\\")));
    source.apply(ConfigDiff.of(Change.added("config/Fresh.ini/A/b", "c")));
    source.rescanNow();
    // The watch events of our own renames are read after the debounce; wait well past it.
    CountDownLatch settled = new CountDownLatch(1);
    scheduler.schedule(Duration.ofMillis(1000), settled::countDown);
    assertTrue(settled.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
    CountDownLatch flushed = new CountDownLatch(1);
    source.rescanNow();
    scheduler.execute(flushed::countDown);
    assertTrue(flushed.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
    assertEquals(List.of(), new ArrayList<>(edits));
  }

  @Test
  void edit_made_between_scans_is_reported_when_apply_finds_it() throws Exception {
    source = builder().debounce(Duration.ofHours(1)).rescanInterval(Duration.ofHours(1)).build();
    source.load();
    source.watch(edits::add);
    String edited = read("MDaemon.ini").replace("Port=7400", "Port=7401");
    Files.writeString(dir.resolve("MDaemon.ini"), edited, ISO_8859_1);
    source.apply(ConfigDiff.of(Change.changed(LOCK_FILES, "C:\\MDaemon\\LockFiles\\", "L")));
    Map<String, Optional<String>> seen =
        awaitChanges(m -> m.containsKey("config/MDaemon.ini/Cluster/Port"));
    assertEquals(Optional.of("7401"), seen.get("config/MDaemon.ini/Cluster/Port"));
    assertFalse(seen.containsKey(LOCK_FILES), "our own change is not reported");
    assertTrue(read("MDaemon.ini").contains("Port=7401"), "the external edit is kept");
  }

  @Test
  void edit_found_by_a_failing_apply_is_reported_once() throws Exception {
    source = builder().debounce(Duration.ofHours(1)).rescanInterval(Duration.ofHours(1)).build();
    source.load();
    source.watch(edits::add);
    String edited = read("MDaemon.ini").replace("Port=7400", "Port=7401");
    Files.writeString(dir.resolve("MDaemon.ini"), edited, ISO_8859_1);
    assertThrows(
        ClusterException.class,
        () -> source.apply(ConfigDiff.of(Change.changed(LOCK_FILES, "x", "\u4e2d"))));
    awaitChanges(m -> m.containsKey("config/MDaemon.ini/Cluster/Port"));
    CountDownLatch flushed = new CountDownLatch(1);
    source.rescanNow();
    scheduler.execute(flushed::countDown);
    assertTrue(flushed.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
    assertEquals(List.of(), new ArrayList<>(edits), "the same edit is not reported twice");
  }

  @Test
  void builder_checks_its_input() {
    assertThrows(IllegalStateException.class, () -> IniConfigSource.builder(dir).build());
    assertThrows(
        IllegalStateException.class,
        () -> builder().debounce(Duration.ZERO).debounce(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> builder().rescanInterval(Duration.ZERO));
    assertThrows(
        IllegalArgumentException.class,
        () -> builder().fallbackCharset(java.nio.charset.StandardCharsets.UTF_16));
    for (String bad : List.of("", ".hidden.ini", "sub/a.ini", "sub\\a.ini", "a\u0001.ini")) {
      assertThrows(IllegalArgumentException.class, () -> builder().files(bad), bad);
      assertThrows(IllegalArgumentException.class, () -> builder().filePattern(bad), bad);
    }
    assertThrows(IllegalStateException.class, () -> builder().files("a.ini").files("b.ini"));
    assertThrows(
        IllegalStateException.class, () -> builder().filePattern("*.ini").filePattern("*"));
    IniConfigSource s = builder().build();
    s.watch(d -> {});
    assertThrows(IllegalStateException.class, () -> s.watch(d -> {}));
    s.close();
    s.close();
  }

  /** Waits well past the debounce for watch events of our own writes, then rescans and flushes. */
  void settleAndRescan() throws InterruptedException {
    CountDownLatch settled = new CountDownLatch(1);
    scheduler.schedule(Duration.ofMillis(1000), settled::countDown);
    assertTrue(settled.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
    CountDownLatch flushed = new CountDownLatch(1);
    source.rescanNow();
    scheduler.execute(flushed::countDown);
    assertTrue(flushed.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
  }

  /** Collects reported changes until {@code done} holds for the latest change per key. */
  Map<String, Optional<String>> awaitChanges(Predicate<Map<String, Optional<String>>> done)
      throws InterruptedException {
    Map<String, Optional<String>> seen = new HashMap<>();
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!done.test(seen)) {
      long left = deadline - System.nanoTime();
      ConfigDiff d = left > 0 ? edits.poll(left, TimeUnit.NANOSECONDS) : null;
      if (d == null) {
        fail("no matching edit reported within " + DEADLINE + "; seen: " + seen);
      }
      assertFalse(d.isEmpty(), "listener got an empty diff");
      for (Change c : d.changes()) {
        seen.put(c.key(), c.newValue());
      }
    }
    return seen;
  }

  void runShell(String script, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("sh", "-c", script, "sh"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(p.waitFor(DEADLINE.toMillis(), TimeUnit.MILLISECONDS), "shell did not finish");
    assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes(), ISO_8859_1));
  }

  List<Path> leftoverTempFiles() throws IOException {
    try (var s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
    }
  }
}
