package org.mailcluster.ini;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;
import org.mailcluster.spi.ConfigSource;

/**
 * What the INI source tells the primary's guard over host-file changes: a missing directory is an
 * error, a file's shape problems (cut mid-line, not INI, gone) are named, an unreadable file is
 * reported, and a file that disappears and reappears within the debounce is read once.
 */
class IniConfigSourceGuardTest {
  private static final String WHOLE =
      "[Directories]\r\nPEM=C:\\MDaemon\\PEM\\\r\nLockFiles=C:\\MDaemon\\LockFiles\\\r\n";

  @TempDir Path dir;
  final ManualScheduler scheduler = new ManualScheduler();

  private static ConfigSnapshot committed() {
    return ConfigSnapshot.of(
        Map.of(
            SettingKey.ini("MDaemon.ini", "Directories", "PEM").stateKey(),
            "C:\\MDaemon\\PEM\\",
            SettingKey.ini("MDaemon.ini", "Directories", "LockFiles").stateKey(),
            "C:\\MDaemon\\LockFiles\\"));
  }

  private static Optional<String> shape(String text, Boolean endedBefore) {
    return IniConfigSource.shapeProblem(
        "MDaemon.ini", IniDocument.parse(text.getBytes(ISO_8859_1)), endedBefore, committed());
  }

  @Test
  void aMissingDirectoryIsAnErrorNamingItAndNothingIsCreated() {
    Path missing = dir.resolve("typo");
    IniConfigSource source = IniConfigSource.builder(missing).scheduler(scheduler).build();
    ClusterException e = assertThrows(ClusterException.class, source::load);
    assertEquals(ErrorCode.DIRECTORY_MISSING, e.code());
    assertTrue(e.getMessage().contains(missing.toAbsolutePath().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("create it"), e.getMessage());
    assertThrows(ClusterException.class, () -> source.watch(d -> {}));
    assertFalse(Files.exists(missing));
  }

  @Test
  void aWholeFileHasNoShapeProblem() {
    assertEquals(Optional.empty(), shape(WHOLE, null));
    assertEquals(Optional.empty(), shape(WHOLE, true));
    // A file that never ended with a line break may end without one.
    assertEquals(
        Optional.empty(),
        shape("[Directories]\r\nPEM=C:\\MDaemon\\PEM\\\r\nLockFiles=C:\\", false));
  }

  @Test
  void aLastValueCutMidLineIsNamed() {
    String cut = "[Directories]\r\nPEM=C:\\MDaemon\\PEM\\\r\nLockFiles=C:\\MDa";
    Optional<String> problem = shape(cut, true);
    assertTrue(problem.isPresent());
    assertTrue(
        problem.get().contains("[Directories] LockFiles=C:\\MDa is cut mid-value"), problem.get());
    assertTrue(problem.get().contains("C:\\MDaemon\\LockFiles\\"), problem.get());
    // At start nothing is known of the last reading: the committed value is the evidence.
    assertTrue(shape(cut, null).isPresent());
    // A value that is no prefix of the committed one is an edit, not a cut.
    assertEquals(
        Optional.empty(),
        shape("[Directories]\r\nPEM=C:\\MDaemon\\PEM\\\r\nLockFiles=D:\\x", true));
  }

  @Test
  void aKeyCutBeforeItsEqualsSignIsNamedWhenTheFileEndedWithALineBreakBefore() {
    String cut = "[Directories]\r\nPEM=C:\\MDaemon\\PEM\\\r\nLockFi";
    assertTrue(shape(cut, true).orElseThrow().contains("'LockFi' is cut short"));
  }

  @Test
  void textThatIsNotIniIsNamed() {
    String text =
        "Dear all,\r\nplease find the minutes below.\r\n\r\nItem one\r\nItem two\r\n"
            + "see you = tomorrow\r\n";
    Optional<String> problem = shape(text, true);
    assertTrue(problem.orElseThrow().contains("5 of its 5 non-blank lines"), problem.toString());
    assertTrue(problem.get().contains("no longer an INI file"));
    // Comments and a few stray lines keep an INI file an INI file.
    assertEquals(Optional.empty(), shape("; settings\r\n" + WHOLE + "stray\r\n", true));
  }

  @Test
  void theSourceNamesAFileOrDirectoryThatIsGone() throws IOException {
    Path app = Files.createDirectory(dir.resolve("app"));
    Files.writeString(app.resolve("MDaemon.ini"), WHOLE, ISO_8859_1);
    IniConfigSource source = IniConfigSource.builder(app).scheduler(scheduler).build();
    source.load();
    assertEquals(Optional.empty(), source.shapeProblem("MDaemon.ini", committed()));
    Files.delete(app.resolve("MDaemon.ini"));
    source.load();
    assertTrue(
        source.shapeProblem("MDaemon.ini", committed()).orElseThrow().contains("no longer exists"));
    Files.delete(app);
    assertTrue(
        source.shapeProblem("MDaemon.ini", committed()).orElseThrow().contains("is missing"));
  }

  @Test
  void aFileCutByAWatchedEditIsNamedAndAnUnreadableOneIsReported() throws IOException {
    Files.writeString(dir.resolve("MDaemon.ini"), WHOLE, ISO_8859_1);
    IniConfigSource source =
        IniConfigSource.builder(dir)
            .scheduler(scheduler)
            .debounce(Duration.ofHours(1))
            .rescanInterval(Duration.ofHours(1))
            .build();
    source.load();
    List<ConfigDiff> edits = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    source.watch(
        new ConfigSource.Listener() {
          @Override
          public void externalEdit(ConfigDiff diff) {
            edits.add(diff);
          }

          @Override
          public void unreadable(String file, String problem) {
            unreadable.add(file + ": " + problem);
          }
        });
    Files.writeString(
        dir.resolve("MDaemon.ini"),
        "[Directories]\r\nPEM=C:\\MDaemon\\PEM\\\r\nLockFiles=C:\\MDa",
        ISO_8859_1);
    source.rescanNow();
    scheduler.advance(Duration.ZERO);
    assertEquals(1, edits.size());
    assertTrue(
        source.shapeProblem("MDaemon.ini", committed()).orElseThrow().contains("cut mid-value"));

    Files.write(dir.resolve("MDaemon.ini"), new byte[] {'[', 'a', ']', '\n', 0, 1, 2});
    source.rescanNow();
    scheduler.advance(Duration.ZERO);
    assertEquals(1, edits.size(), "an unreadable file's keys are left as they were");
    assertEquals(1, unreadable.size(), unreadable.toString());
    assertTrue(unreadable.get(0).startsWith("MDaemon.ini: "), unreadable.get(0));
    assertTrue(unreadable.get(0).contains("restore the file"), unreadable.get(0));
    source.close();
  }

  @Test
  void aFileThatDisappearsAndReappearsWithinTheDebounceIsReadOnce() throws IOException {
    Files.writeString(dir.resolve("MDaemon.ini"), WHOLE, ISO_8859_1);
    IniConfigSource source =
        IniConfigSource.builder(dir)
            .scheduler(scheduler)
            .debounce(Duration.ofHours(1))
            .rescanInterval(Duration.ofDays(1))
            .build();
    source.load();
    List<ConfigDiff> edits = new ArrayList<>();
    source.watch(edits::add);
    // An editor renames the file away and writes the new one: same content but one key.
    Files.move(dir.resolve("MDaemon.ini"), dir.resolve("MDaemon.ini~"));
    Files.writeString(
        dir.resolve("MDaemon.ini"), WHOLE.replace("C:\\MDaemon\\PEM\\", "D:\\PEM\\"), ISO_8859_1);
    // Wait (in real time) until the watch events have been polled; virtual time stays far inside
    // the hour of debounce meanwhile.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!source.hasPendingEdits()) {
      assertTrue(System.nanoTime() < deadline, "no watch event arrived");
      scheduler.advance(Duration.ofMillis(250));
      LockSupport.parkNanos(10_000_000);
    }
    assertEquals(List.of(), edits, "nothing is read before the debounce is over");
    // Two hours: the rename's second event may be polled only now, restarting the quiet hour.
    scheduler.advance(Duration.ofHours(2));
    assertEquals(1, edits.size(), "one read: no deletion followed by a restore");
    assertEquals(
        "[Directories] PEM: C:\\MDaemon\\PEM\\ → D:\\PEM\\", edits.get(0).render().strip());
    source.close();
  }
}
