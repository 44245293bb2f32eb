package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.membership.NodeId;

/**
 * The private keys {@link ClusterCertificateAuthority} writes are readable by their owner only,
 * also when they replace a key file someone left readable by all, and no temporary file stays
 * behind. (The certificate files that nodes write from the replicated state are checked the same
 * way in the testkit's {@code CertificatesTest} and the three-process services test.)
 */
class PrivateKeyFilesTest {
  @TempDir Path dir;

  private static String permissions(Path file) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }

  @Test
  void privateKeysAreWrittenOwnerOnlyAndCertificatesStayReadable() throws Exception {
    assertTrue(
        dir.getFileSystem().supportedFileAttributeViews().contains("posix"),
        "this test checks POSIX permissions and needs a POSIX file system");
    ClusterCertificateAuthority ca = ClusterCertificateAuthority.create("permissions");
    ca.writeTo(dir.resolve("ca"));
    ca.issue(NodeId.of("mx1"), List.of("127.0.0.1")).writeTo(dir.resolve("mx1"));

    assertEquals("rw-------", permissions(dir.resolve("ca/ca-key.pem")));
    assertEquals("rw-------", permissions(dir.resolve("mx1/node-key.pem")));
    for (Path certificate :
        List.of(dir.resolve("ca/ca.pem"), dir.resolve("mx1/node.pem"), dir.resolve("mx1/ca.pem"))) {
      assertTrue(Files.isReadable(certificate), certificate.toString());
    }

    // A key file left readable by all is replaced by an owner-only one, not rewritten in place.
    Path key = dir.resolve("mx2/node-key.pem");
    Files.createDirectories(key.getParent());
    Files.writeString(key, "old");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-rw-rw-"));
    ca.issue(NodeId.of("mx2"), List.of("127.0.0.1")).writeTo(dir.resolve("mx2"));
    assertEquals("rw-------", permissions(key));
    assertTrue(Files.readString(key).startsWith("-----BEGIN PRIVATE KEY-----"), "key replaced");

    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> temporary = files.filter(f -> f.toString().endsWith(".tmp")).toList();
      assertEquals(List.of(), temporary, "temporary files left behind");
    }
    // What was written loads back.
    assertEquals(
        ca.certificate(),
        ClusterCertificateAuthority.load(dir.resolve("ca/ca.pem"), dir.resolve("ca/ca-key.pem"))
            .certificate());
  }
}
