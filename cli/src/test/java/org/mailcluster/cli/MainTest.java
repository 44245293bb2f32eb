package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.run(args, new PrintWriter(out), new PrintWriter(err));
  }

  @Test
  void tourRunsEveryStepAndFindsNoBug() {
    assertEquals(0, run("tour"), err.toString());
    String text = out.toString();
    assertTrue(text.contains("written back unedited: byte-identical"), text);
    assertTrue(
        text.contains(
            "[Directories] LockFiles: C:\\MDaemon\\LockFiles\\ → \\\\nas01\\mail\\LockFiles\\"),
        text);
    assertTrue(text.contains("[Special] AttachmentLinking: Yes → No"), text);
    assertTrue(text.contains("43 of 51 lines byte-identical, 8 edited, 0 added"), text);
    assertFalse(text.contains("a bug"), text);
  }

  @Test
  void diffComparesWhatWindowsReadsAndExitsOneOnDifferences(@TempDir Path dir) throws IOException {
    Charset cp1252 = Charset.forName("windows-1252");
    Path a =
        Files.writeString(
            dir.resolve("a.ini"), "[Special]\r\nServerName=mail\r\nOrg=Società\r\n", cp1252);
    Path same =
        Files.writeString(
            dir.resolve("b.ini"), "; comment\n[SPECIAL]\nservername = mail\nORG=Società\n", cp1252);
    Path changed =
        Files.writeString(dir.resolve("c.ini"), "[Special]\r\nServerName=mx\r\n", cp1252);

    assertEquals(0, run("diff", a.toString(), same.toString()), err.toString());
    assertTrue(out.toString().contains("no differences"));

    assertEquals(1, run("diff", a.toString(), changed.toString()), err.toString());
    assertTrue(out.toString().contains("[Special] ServerName: mail → mx"), out.toString());
    assertTrue(out.toString().contains("[Special] Org: Società → (unset)"), out.toString());
  }

  @Test
  void entriesThatCannotBeNamedAreLeftOutInsteadOfFailingTheDiff(@TempDir Path dir)
      throws IOException {
    // "[]" is a section with an empty name: it stays in the file but the cluster cannot name it.
    Path a = Files.writeString(dir.resolve("a.ini"), "[]\nOrphan=1\n[S]\nK=v\n");
    Path b = Files.writeString(dir.resolve("b.ini"), "[]\nOrphan=2\n[S]\nK=w\n");
    assertEquals(1, run("diff", a.toString(), b.toString()), err.toString());
    assertEquals("[S] K: v → w", out.toString().lines().findFirst().orElseThrow());
    assertEquals("", err.toString());
  }

  @Test
  void unreadableInputIsOneLineWithAHintAndExitCodeThree(@TempDir Path dir) throws IOException {
    Path binary = Files.write(dir.resolve("bin.ini"), new byte[] {0, 1, 2, 0, (byte) 0xff});
    assertEquals(3, run("diff", binary.toString(), dir.resolve("missing.ini").toString()));
    String[] lines = err.toString().strip().split("\\R");
    assertEquals(2, lines.length, err.toString());
    assertTrue(lines[0].startsWith("error: "), lines[0]);
    assertTrue(lines[1].startsWith("hint: "), lines[1]);
  }

  @Test
  void wrongUsageExitsTwo() {
    assertEquals(2, run("diff", "only-one.ini"));
    assertTrue(err.toString().contains("Missing required parameter"), err.toString());
  }

  @Test
  void relocateShowsTheDryRunOfTheSample(@TempDir Path dir) throws IOException {
    Path ini = dir.resolve("MDaemon.ini");
    try (var in = Main.class.getResourceAsStream("MDaemon.ini")) {
      Files.write(ini, in.readAllBytes());
    }
    byte[] before = Files.readAllBytes(ini);
    assertEquals(0, run("relocate", "--root", "\\\\nas01\\mail", ini.toString()), err.toString());
    String text = out.toString();
    assertTrue(
        text.contains(
            "[Directories] LockFiles:       C:\\MDaemon\\LockFiles\\ → \\\\nas01\\mail\\Users\\LockFiles\\"),
        text);
    assertTrue(text.contains("The mail server must be restarted"), text);
    assertArrayEquals(before, Files.readAllBytes(ini), "a dry run changes nothing");

    assertEquals(3, run("relocate", "--root", "mail", ini.toString()));
    assertTrue(err.toString().contains("path 'mail' is relative"), err.toString());
  }
}
