package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs the whole demo in this JVM, as `java -jar mailcluster.jar demo` does, and reads it. */
class DemoCommandTest {
  @Test
  void everyStepShowsWhatTheClusterDidAndNothingIsLeftBehind() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    long started = System.nanoTime();
    int code = Main.run(new String[] {"demo"}, new PrintWriter(out), new PrintWriter(err));
    long seconds = (System.nanoTime() - started) / 1_000_000_000;
    String text = out.toString();
    assertEquals(0, code, text + err);
    assertTrue(seconds < 30, "the demo took " + seconds + " s");

    // Initial sync: both secondaries hold what the primary holds.
    for (String s : List.of("mx2", "mx3")) {
      assertTrue(text.contains(s + " joined and completed its initial sync in "), text);
      assertTrue(
          Pattern.compile(
                  s
                      + "  revision \\d+:\\d+  \\d+ keys  fingerprint \\w+  \\(same as the primary\\)")
              .matcher(text)
              .find(),
          text);
    }
    // The change on the primary reached both, with its diff, into their files.
    String diffLine =
        "[Directories] LockFiles: C:\\MDaemon\\LockFiles\\ → \\\\nas01\\mail\\LockFiles\\";
    assertEquals(2, count(text, diffLine), text);
    assertTrue(
        text.contains("mx2's MDaemon.ini now reads: LockFiles=\\\\nas01\\mail\\LockFiles\\"), text);
    assertTrue(
        text.contains("mx3's MDaemon.ini now reads: LockFiles=\\\\nas01\\mail\\LockFiles\\"), text);
    // The local edit on mx3 was overwritten.
    assertTrue(text.contains("someone edits mx3's MDaemon.ini by hand: Quota=4096"), text);
    assertTrue(text.contains("[NewAccountTemplate] Quota: 4096 → 1024"), text);
    assertTrue(text.contains("mx3's MDaemon.ini reads again: Quota=1024"), text);
    // The write on a secondary was refused, naming the primary.
    assertTrue(text.contains("refused: NOT_PRIMARY: "), text);
    assertTrue(text.contains("mx2's MDaemon.ini still reads: ServerName=mail.example.com"), text);
    // A mail event published on mx3 reached mx1 and, through it, mx2; never back to mx3.
    assertTrue(
        text.contains("on mx3: a message arrived in example.com/frank/Inbox (uid=4711)"), text);
    assertTrue(
        Pattern.compile(
                "mx1 heard it after \\d+ ms: MESSAGE_ADDED example.com/frank/Inbox from mx3")
            .matcher(text)
            .find(),
        text);
    assertTrue(
        Pattern.compile(
                "mx2 heard it after \\d+ ms: MESSAGE_ADDED example.com/frank/Inbox from mx3"
                    + " \\(uid=4711\\), relayed by the primary")
            .matcher(text)
            .find(),
        text);
    assertTrue(text.contains("mx3 got its own event back: no, never to its origin"), text);
    // The clock check: both peers answered, in step, with an offset and its bound.
    for (String s : List.of("mx2", "mx3")) {
      assertTrue(
          Pattern.compile(
                  s
                      + "\\s+[+-]\\d+\\.\\d\\d ms\\s+\\d+\\.\\d\\d ms\\s+\\d+\\.\\d\\d ms\\s+\\S+.*in step")
              .matcher(text)
              .find(),
          text);
    }
    // The relocation dry run: every shared folder planned under the share, nothing changed.
    assertTrue(text.contains("Relocation to \\\\nas01\\mail (dry run: nothing was changed)"), text);
    assertTrue(
        text.contains(
            "[Directories] Users:           C:\\MDaemon\\Users\\ → \\\\nas01\\mail\\Users\\"),
        text);
    assertTrue(text.contains("The mail server must be restarted after the keys change."), text);
    assertTrue(
        Pattern.compile(
                "the cluster's configuration is untouched: still revision \\d+:\\d+, .*\\(unchanged\\)")
            .matcher(text)
            .find(),
        text);
    // Diagnostics: one row per member, the secondaries streaming and caught up, their files too.
    assertTrue(text.contains("node mx1 (PRIMARY)"), text);
    Matcher tip = Pattern.compile("committed as revision (\\d+:\\d+)").matcher(text);
    assertTrue(tip.find(), text);
    for (String s : List.of("mx2", "mx3")) {
      assertTrue(
          Pattern.compile(
                  s
                      + "\\s+SECONDARY\\s+127\\.0\\.0\\.1:\\d+\\s+streaming\\s+(\\d+:\\d+)\\s+0"
                      + "\\s+\\1\\s+\\d+\\.\\d+ ms")
              .matcher(text)
              .find(),
          text);
    }
    // Nothing left behind.
    Matcher dir = Pattern.compile("working directory: (.+)").matcher(text);
    assertTrue(dir.find(), text);
    assertFalse(Files.exists(Path.of(dir.group(1).strip())), dir.group(1) + " is still there");
    assertTrue(text.contains("working directory removed"), text);
    assertFalse(text.contains("DIFFERENT"), text);
    assertFalse(text.contains("a bug"), text);
    for (int step = 1; step <= 8; step++) {
      assertTrue(text.contains("[" + step + "/8] "), text);
    }
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
