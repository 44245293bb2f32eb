package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** relocate --apply on real folders: content copied and verified first, then the keys switched. */
class RelocateCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  @TempDir Path dir;

  private int run(String... args) {
    return Main.run(args, new PrintWriter(out), new PrintWriter(err));
  }

  private Path ini() throws IOException {
    Path local = dir.resolve("local");
    Files.createDirectories(local.resolve("Users/example.com/frank"));
    Files.writeString(
        local.resolve("Users/example.com/frank/1.msg"), "Subject: hello\r\n\r\nhi\r\n");
    Files.createDirectories(local.resolve("Public Folders"));
    Files.writeString(local.resolve("Public Folders/notice.msg"), "Subject: notice\r\n");
    Files.createDirectories(local.resolve("LockFiles"));
    String text =
        "; the mail server's own comment\r\n[Directories]\r\nUsers="
            + local.resolve("Users")
            + "/\r\nPublicFolders="
            + local.resolve("Public Folders")
            + "/\r\nLockFiles="
            + local.resolve("LockFiles")
            + "/\r\n[Special]\r\nServerName=mail.example.com\r\n";
    Path app = Files.createDirectories(dir.resolve("App"));
    return Files.writeString(app.resolve("MDaemon.ini"), text, StandardCharsets.UTF_8);
  }

  @Test
  void applyMovesTheContentThenSwitchesTheKeysAndKeepsEveryOtherByte() throws IOException {
    Path ini = ini();
    Path share = dir.resolve("share");
    Files.createDirectories(share);
    int code =
        run(
            "relocate",
            ini.toString(),
            "--root",
            share.toString(),
            "--apply",
            "--move-content",
            "--delete-sources");
    assertEquals(0, code, out + "\n" + err);
    assertEquals(
        "Subject: hello\r\n\r\nhi\r\n",
        Files.readString(share.resolve("Users/example.com/frank/1.msg")));
    assertEquals(
        "Subject: notice\r\n", Files.readString(share.resolve("Public Folders/notice.msg")));
    assertFalse(Files.exists(dir.resolve("local/Users/example.com/frank/1.msg")));
    String after = Files.readString(ini, StandardCharsets.UTF_8);
    assertTrue(after.startsWith("; the mail server's own comment\r\n[Directories]\r\n"), after);
    assertTrue(after.contains("Users=" + share.resolve("Users") + "/\r\n"), after);
    assertTrue(after.contains("LockFiles=" + share.resolve("Users/LockFiles") + "/\r\n"), after);
    assertTrue(after.contains("ServerName=mail.example.com\r\n"), after);
    assertTrue(out.toString().contains("verified "), out.toString());
    assertTrue(out.toString().contains("deleted the old folders"), out.toString());

    // Run again: everything is in place, nothing changes.
    out.getBuffer().setLength(0);
    assertEquals(0, run("relocate", ini.toString(), "--root", share.toString(), "--apply"));
    assertTrue(out.toString().contains("nothing to change"), out.toString());
  }

  @Test
  void moveOptionsWithoutApplyAreRefusedBeforeAnythingHappens() throws IOException {
    Path ini = ini();
    byte[] before = Files.readAllBytes(ini);
    assertEquals(
        3,
        run(
            "relocate",
            ini.toString(),
            "--root",
            dir.resolve("share").toString(),
            "--move-content"));
    assertTrue(err.toString().contains("only make sense with --apply"), err.toString());
    assertEquals(2, run("relocate", ini.toString(), "--root", "/mnt/mail", "--apply", "--dry-run"));
    assertEquals(new String(before, StandardCharsets.UTF_8), Files.readString(ini));
  }
}
