package org.mailcluster.ini;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.SettingKey;
import org.mailcluster.spi.ConfigSource;

/**
 * A file over the source's size limit is never read into memory (requirement S7): loading fails
 * with {@code LIMIT_EXCEEDED} naming the file, its size and the limit; a watched file that grows
 * over it is refused once, its keys keep their last values, and it is taken in again once it is
 * back under the limit; writing to it fails the same way and leaves it as it is.
 */
class IniFileLimitTest {
  private static final long LIMIT = 1_000;

  @TempDir Path dir;
  final ManualScheduler scheduler = new ManualScheduler();
  final List<ConfigDiff> edits = new ArrayList<>();
  final List<ClusterException> refusals = new ArrayList<>();

  private IniConfigSource source() {
    return IniConfigSource.builder(dir)
        .scheduler(scheduler)
        .files("a.ini")
        .debounce(Duration.ofHours(1))
        .rescanInterval(Duration.ofSeconds(30))
        .maxFileBytes(LIMIT)
        .build();
  }

  private void write(String text) throws IOException {
    Files.writeString(dir.resolve("a.ini"), text, ISO_8859_1);
  }

  private static String big() {
    return "[S]\r\nk=" + "x".repeat((int) LIMIT) + "\r\n";
  }

  @Test
  void loadingAFileOverTheLimitFailsNamingItsSizeAndTheLimit() throws IOException {
    write(big());
    long size = Files.size(dir.resolve("a.ini"));
    ClusterException e = assertThrows(ClusterException.class, () -> source().load());
    assertEquals(ErrorCode.LIMIT_EXCEEDED, e.code());
    assertTrue(e.getMessage().contains("a.ini has " + size + " bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("limit of 1000 for one file"), e.getMessage());
  }

  @Test
  void aWatchedFileThatGrowsOverTheLimitIsRefusedOnceAndTakenInAgainWhenItShrinks()
      throws IOException {
    write("[S]\r\nk=1\r\n");
    IniConfigSource source = source();
    assertEquals(Optional.of("1"), source.load().get("config/a.ini/S/k"));
    source.watch(
        new ConfigSource.Listener() {
          @Override
          public void externalEdit(ConfigDiff diff) {
            edits.add(diff);
          }

          @Override
          public void refused(ClusterException why) {
            refusals.add(why);
          }
        });
    write(big());
    scheduler.advance(Duration.ofSeconds(30));
    assertEquals(List.of(), edits, "nothing of the large file is reported");
    assertEquals(1, refusals.size());
    assertEquals(ErrorCode.LIMIT_EXCEEDED, refusals.get(0).code());
    scheduler.advance(Duration.ofSeconds(60));
    assertEquals(1, refusals.size(), "refused once while it stays as it is");

    // Writing to it fails too, and it keeps its content.
    byte[] before = Files.readAllBytes(dir.resolve("a.ini"));
    ClusterException e =
        assertThrows(
            ClusterException.class,
            () ->
                source.apply(
                    ConfigDiff.of(
                        ConfigDiff.Change.added(
                            SettingKey.ini("a.ini", "S", "j").stateKey(), "2"))));
    assertEquals(ErrorCode.LIMIT_EXCEEDED, e.code());
    assertArrayEquals(before, Files.readAllBytes(dir.resolve("a.ini")));

    write("[S]\r\nk=3\r\n");
    scheduler.advance(Duration.ofSeconds(30));
    assertEquals(1, edits.size());
    assertEquals(
        Optional.of("3"), edits.get(0).change("config/a.ini/S/k").orElseThrow().newValue());
    source.close();
  }

  @Test
  void theLimitMustBePositiveAndIsSetOnce() {
    assertThrows(
        IllegalArgumentException.class, () -> IniConfigSource.builder(dir).maxFileBytes(0));
    assertThrows(
        IllegalStateException.class,
        () -> IniConfigSource.builder(dir).maxFileBytes(5).maxFileBytes(6));
  }
}
