package org.mailcluster.internal.epoch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.membership.NodeId;

/** A divergence file holds the whole state, private keys included: only its owner may read it. */
class DivergenceFileTest {
  @TempDir Path tmp;

  @Test
  void aDivergenceFileIsOwnerOnly() throws IOException {
    assumeTrue(
        Files.getFileAttributeView(tmp, PosixFileAttributeView.class) != null,
        "the file system has no POSIX permissions");
    String key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n";
    Path file =
        DivergenceFile.write(
            tmp.resolve("divergence"),
            NodeId.of("mx1"),
            3,
            4,
            "mx2",
            Instant.parse("2026-12-01T03:00:00Z"),
            List.of(),
            ConfigSnapshot.of(Map.of("cert/mail/key", key)));
    assertTrue(
        Files.readString(file, StandardCharsets.UTF_8).contains("MIGHAgEAMBMGByqGSM49"),
        "the file keeps the state it saves");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }
}
