package org.mailcluster.ini;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.config.ConfigDiff;

/**
 * The rescan fallback on virtual time: with the watch debounce set to an hour, only the periodic
 * rescan can find an edit, and it runs exactly when the scheduler's clock says so.
 */
class IniConfigSourceVirtualTimeTest {
  @TempDir Path dir;
  final ManualScheduler scheduler = new ManualScheduler();
  final List<ConfigDiff> edits = new ArrayList<>();

  @Test
  void rescan_runs_on_the_injected_scheduler_and_stops_after_close() throws IOException {
    Files.writeString(dir.resolve("a.ini"), "[S]\r\nk=1\r\n", ISO_8859_1);
    IniConfigSource source =
        IniConfigSource.builder(dir)
            .scheduler(scheduler)
            .files("a.ini")
            .debounce(Duration.ofHours(1))
            .rescanInterval(Duration.ofSeconds(30))
            .build();
    source.load();
    source.watch(edits::add);
    Files.writeString(dir.resolve("a.ini"), "[S]\r\nk=2\r\n", ISO_8859_1);

    scheduler.advance(Duration.ofSeconds(29));
    assertEquals(List.of(), edits, "nothing before the rescan is due");
    scheduler.advance(Duration.ofSeconds(1));
    assertEquals(1, edits.size());
    assertEquals(
        Optional.of("2"), edits.get(0).change("config/a.ini/S/k").orElseThrow().newValue());

    scheduler.advance(Duration.ofSeconds(30));
    assertEquals(1, edits.size(), "an unchanged file is not reported again");

    source.close();
    Files.writeString(dir.resolve("a.ini"), "[S]\r\nk=3\r\n", ISO_8859_1);
    scheduler.advance(Duration.ofMinutes(5));
    assertEquals(1, edits.size(), "nothing is reported after close");
    assertEquals(0, scheduler.pending(), "close cancels the scheduled work");
  }
}
