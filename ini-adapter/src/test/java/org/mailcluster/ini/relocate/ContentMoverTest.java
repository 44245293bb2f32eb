package org.mailcluster.ini.relocate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.ini.MailServerProfile.SharedFolder;
import org.mailcluster.paths.PathMapping;
import org.mailcluster.paths.StoragePath;

class ContentMoverTest {
  @TempDir Path tmp;

  private PathMapping mapping() {
    return PathMapping.builder()
        .map(StoragePath.parse("C:\\MDaemon"), tmp.resolve("MDaemon"))
        .map(StoragePath.parse("\\\\nas01\\mail"), tmp.resolve("nas"))
        .build();
  }

  private static final List<RelocationPlan.Move> MOVES =
      List.of(
          new RelocationPlan.Move(
              SharedFolder.PEM,
              StoragePath.parse("C:\\MDaemon\\PEM"),
              StoragePath.parse("\\\\nas01\\mail\\PEM")));

  private void sources() throws IOException {
    Path pem = Files.createDirectories(tmp.resolve("MDaemon/PEM/mail.example.com"));
    Files.writeString(pem.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n");
    Files.writeString(pem.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nBBBB\n");
  }

  @Test
  void aCopyThatDiffersFromItsSourceIsCaughtByVerification() throws IOException {
    sources();
    Path journal = tmp.resolve("j");
    ContentMover stopAfterOne =
        ContentMover.builder(mapping(), journal)
            .listener(
                new ContentMover.Listener() {
                  @Override
                  public void copied(String file, long size, String sha256) {
                    throw new IllegalStateException("stop after " + file);
                  }
                })
            .build();
    assertThrows(IllegalStateException.class, () -> stopAfterOne.copyAndVerify(MOVES));
    // Someone damages the first copy (same size) while the move is stopped.
    Path copied = tmp.resolve("nas/PEM/mail.example.com/cert.pem");
    byte[] bytes = Files.readAllBytes(copied);
    bytes[bytes.length - 2] ^= 1;
    Files.write(copied, bytes);

    ClusterException e =
        assertThrows(
            ClusterException.class,
            () -> ContentMover.builder(mapping(), journal).build().copyAndVerify(MOVES));
    assertEquals(ErrorCode.STORAGE_FAILURE, e.code());
    assertTrue(e.getMessage().contains("differ from their source"), e.getMessage());
    assertTrue(Files.exists(tmp.resolve("MDaemon/PEM/mail.example.com/cert.pem")));
  }

  @Test
  void sourcesAreDeletedOnlyThroughAVerifiedReport() throws IOException {
    sources();
    Path journal = tmp.resolve("j");
    ContentMover mover = ContentMover.builder(mapping(), journal).build();
    ContentMover.Report report = mover.copyAndVerify(MOVES);
    assertEquals(2, report.folders().get(0).files());
    assertEquals(2, report.folders().get(0).copied());
    // Run again: everything is journaled, nothing is copied twice.
    assertEquals(0, mover.copyAndVerify(MOVES).folders().get(0).copied());
    mover.deleteSources(report);
    assertFalse(Files.exists(tmp.resolve("MDaemon/PEM/mail.example.com")));
    assertTrue(Files.isDirectory(tmp.resolve("MDaemon/PEM")));
    assertFalse(Files.exists(journal));
    assertEquals(
        "-----BEGIN PRIVATE KEY-----\nBBBB\n",
        Files.readString(tmp.resolve("nas/PEM/mail.example.com/key.pem"), StandardCharsets.UTF_8));
  }

  @Test
  void aJournalOfAnotherMoveIsRefused() throws IOException {
    sources();
    Path journal = tmp.resolve("j");
    Files.writeString(journal, "mailcluster-move 1 0123456789abcdef\n");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> ContentMover.builder(mapping(), journal).build().copyAndVerify(MOVES));
    assertTrue(e.getMessage().contains("belongs to another move"), e.getMessage());
  }

  @Test
  void aMissingSourceSaysWhere() {
    ClusterException e =
        assertThrows(
            ClusterException.class,
            () -> ContentMover.builder(mapping(), tmp.resolve("j")).build().copyAndVerify(MOVES));
    assertTrue(e.getMessage().contains("is not a directory on this machine"), e.getMessage());
  }
}
