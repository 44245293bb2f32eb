package org.mailcluster.testkit.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.Diagnostics;
import org.mailcluster.ErrorCode;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.certificates.CertificateSettings;
import org.mailcluster.certificates.IssuedCertificate;
import org.mailcluster.config.Editability;
import org.mailcluster.testkit.SimulatedCluster;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Certificates (requirements R20–R22 in docs/REQUIREMENTS.md) in a simulated cluster, written to
 * real directories.
 */
class CertificatesTest {
  // Virtual time starts at 2026-01-01.
  private static final Instant FROM = Instant.parse("2025-06-01T00:00:00Z");
  private static final Instant UNTIL = Instant.parse("2027-06-01T00:00:00Z");
  private static final Duration LIMIT = Duration.ofSeconds(30);

  @TempDir Path dirs;

  private SimulatedCluster cluster(long seed) {
    return SimulatedCluster.builder()
        .nodes(3)
        .seed(seed)
        .nodeOptions((id, b) -> b.certificateDirectory(dirs.resolve(id)))
        .build();
  }

  private static ClusterException failure(SimulatedCluster cluster, CompletableFuture<?> f) {
    cluster.runFor(Duration.ofSeconds(10));
    CompletionException e = assertThrows(CompletionException.class, f::join);
    return (ClusterException) e.getCause();
  }

  private static void configure(SimulatedCluster cluster, String active, String hostName) {
    cluster.await(
        cluster
            .primary()
            .update(
                ConfigUpdate.builder("api:test")
                    .set(CertificateSettings.ACTIVE, active)
                    .set(CertificateSettings.HOST_NAME, hostName)
                    .build()),
        LIMIT);
  }

  @Test
  void aPemImportOnThePrimaryIsWrittenOnEveryNodeOwnerOnlyAndChecked() throws Exception {
    try (SimulatedCluster cluster = cluster(1)) {
      cluster.start();
      configure(cluster, "mail", "mail.example.com");
      TestCertificates.Issued cert = TestCertificates.issue("mail.example.com", FROM, UNTIL);
      cluster.await(
          cluster.primary().certificates().importPem("mail", cert.chainPem(), cert.keyPem()),
          LIMIT);
      cluster.awaitConverged(LIMIT);
      for (String id : cluster.ids()) {
        Path chain = dirs.resolve(id).resolve("mail.pem");
        Path key = dirs.resolve(id).resolve("mail.key");
        assertTrue(Files.readString(chain).contains("BEGIN CERTIFICATE"), id);
        assertTrue(Files.readString(key).contains("BEGIN PRIVATE KEY"), id);
        assertEquals(
            "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)), id);
        assertEquals(
            "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(chain)), id);
        List<CertificateCheck> checks = cluster.node(id).certificates().checks();
        assertEquals(1, checks.size(), id + ": " + checks);
        CertificateCheck c = checks.get(0);
        assertEquals(CertificateCheck.Level.OK, c.level(), id + ": " + c.problems());
        assertEquals(List.of("mail.example.com"), c.hostNames());
        assertEquals(UNTIL, c.notAfter().orElseThrow());
        try (var leftovers = Files.list(dirs.resolve(id))) {
          assertEquals(2, leftovers.count(), "no temporary files are left behind");
        }
      }
      assertEquals(List.of("mail"), cluster.node("mx3").certificates().names());

      // Replacing it replaces the files.
      TestCertificates.Issued renewed = TestCertificates.issue("mail.example.com", FROM, UNTIL);
      cluster.await(
          cluster.primary().certificates().importPem("mail", renewed.chainPem(), renewed.keyPem()),
          LIMIT);
      cluster.awaitConverged(LIMIT);
      assertEquals(
          renewed.chainPem().replace("\r", ""),
          Files.readString(dirs.resolve("mx2").resolve("mail.pem")));
    }
  }

  @Test
  void aPkcs12ImportReplicatesLikeAPemImport() throws Exception {
    try (SimulatedCluster cluster = cluster(2)) {
      cluster.start();
      configure(cluster, "mail", "mail.example.com");
      TestCertificates.Issued cert = TestCertificates.issue("mail.example.com", FROM, UNTIL);
      char[] password = "secret".toCharArray();
      byte[] p12 = TestCertificates.pkcs12(cert, password);
      ClusterException wrongPassword =
          failure(
              cluster,
              cluster.primary().certificates().importPkcs12("mail", p12, "nope".toCharArray()));
      assertEquals(ErrorCode.INVALID_VALUE, wrongPassword.code());
      assertTrue(wrongPassword.getMessage().contains("password"), wrongPassword.getMessage());

      cluster.await(cluster.primary().certificates().importPkcs12("mail", p12, password), LIMIT);
      cluster.awaitConverged(LIMIT);
      CertificateCheck c = cluster.node("mx2").certificates().checks().get(0);
      assertEquals(CertificateCheck.Level.OK, c.level(), c.problems().toString());
      assertTrue(Files.exists(dirs.resolve("mx3").resolve("mail.key")));
    }
  }

  @Test
  void importsAreRefusedOnSecondariesAndWhenTheKeyDoesNotMatch() throws Exception {
    try (SimulatedCluster cluster = cluster(3)) {
      cluster.start();
      TestCertificates.Issued cert = TestCertificates.issue("mail.example.com", FROM, UNTIL);
      TestCertificates.Issued other = TestCertificates.issue("mail.example.com", FROM, UNTIL);
      assertEquals(
          ErrorCode.NOT_PRIMARY,
          failure(
                  cluster,
                  cluster
                      .node("mx2")
                      .certificates()
                      .importPem("mail", cert.chainPem(), cert.keyPem()))
              .code());
      ClusterException mismatch =
          failure(
              cluster,
              cluster.primary().certificates().importPem("mail", cert.chainPem(), other.keyPem()));
      assertEquals(ErrorCode.INVALID_VALUE, mismatch.code());
      assertTrue(mismatch.getMessage().contains("does not belong"), mismatch.getMessage());
      ClusterException garbage =
          failure(
              cluster, cluster.primary().certificates().importPem("mail", "hello", cert.keyPem()));
      assertEquals(ErrorCode.INVALID_VALUE, garbage.code());
      ClusterException pkcs1 =
          failure(
              cluster,
              cluster
                  .primary()
                  .certificates()
                  .importPem(
                      "mail",
                      cert.chainPem(),
                      "-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n"));
      assertTrue(pkcs1.getMessage().contains("openssl pkcs8"), pkcs1.getMessage());
      assertEquals(List.of(), cluster.primary().certificates().names());
    }
  }

  @Test
  void everyNodeReportsAnErrorWhereTlsWouldBreak() throws Exception {
    try (SimulatedCluster cluster = cluster(4)) {
      cluster.start();
      // The configured certificate is missing.
      configure(cluster, "mail", "mail.example.com");
      cluster.awaitConverged(LIMIT);
      CertificateCheck missing = cluster.node("mx2").certificates().checks().get(0);
      assertEquals(CertificateCheck.Level.ERROR, missing.level());
      assertTrue(
          missing.problems().get(0).contains("not in the cluster"), missing.problems().toString());
      assertTrue(
          cluster.node("mx2").diagnostics().recentEvents().stream()
              .anyMatch(e -> e.level().equals("ERROR") && e.message().contains("would break TLS")));

      // It does not cover the configured host name.
      TestCertificates.Issued wrongName = TestCertificates.issue("other.example.org", FROM, UNTIL);
      cluster.await(
          cluster
              .primary()
              .certificates()
              .importPem("mail", wrongName.chainPem(), wrongName.keyPem()),
          LIMIT);
      cluster.awaitConverged(LIMIT);
      CertificateCheck c = cluster.node("mx3").certificates().checks().get(0);
      assertEquals(CertificateCheck.Level.ERROR, c.level());
      assertTrue(c.problems().get(0).contains("mail.example.com"), c.problems().toString());

      // A wildcard covers it, but it expires soon: a warning.
      TestCertificates.Issued soon =
          TestCertificates.issue("*.example.com", FROM, Instant.parse("2026-01-01T02:00:00Z"));
      cluster.await(
          cluster.primary().certificates().importPem("mail", soon.chainPem(), soon.keyPem()),
          LIMIT);
      cluster.awaitConverged(LIMIT);
      assertEquals(
          CertificateCheck.Level.WARN, cluster.node("mx3").certificates().checks().get(0).level());
      // Time passes: the hourly check finds it expired.
      cluster.runFor(Duration.ofHours(3));
      CertificateCheck expired = cluster.node("mx3").certificates().checks().get(0);
      assertEquals(CertificateCheck.Level.ERROR, expired.level());
      assertTrue(expired.problems().get(0).startsWith("expired"), expired.problems().toString());
    }
  }

  @Test
  void acmeRenewalRunsOnThePrimaryOnlyAndTheRenewedCertificateReplicates() throws Exception {
    try (SimulatedCluster cluster = cluster(5)) {
      cluster.start();
      assertEquals(
          Editability.HIDDEN,
          cluster.node("mx2").writeGate().editability(CertificateSettings.ACME_ENABLED.key()));
      assertEquals(
          Editability.EDITABLE,
          cluster.primary().writeGate().editability(CertificateSettings.ACME_ENABLED.key()));
      List<List<String>> orders = new ArrayList<>();
      TestCertificates.Issued cert = TestCertificates.issue("mail.example.com", FROM, UNTIL);
      IssuedCertificate issued = new IssuedCertificate(cert.chainPem(), cert.keyPem());
      assertEquals(
          ErrorCode.INVALID_VALUE,
          failure(cluster, cluster.primary().certificates().renew((d, e) -> issued)).code());
      cluster.await(
          cluster
              .primary()
              .update(
                  ConfigUpdate.builder("api:test")
                      .set(CertificateSettings.ACME_ENABLED, true)
                      .set(CertificateSettings.ACME_EMAIL, "postmaster@example.com")
                      .set(CertificateSettings.ACME_DOMAINS, List.of("mail.example.com"))
                      .set(CertificateSettings.ACTIVE, "mail")
                      .build()),
          LIMIT);
      cluster.awaitConverged(LIMIT);
      ClusterException onSecondary =
          failure(
              cluster,
              cluster
                  .node("mx2")
                  .certificates()
                  .renew(
                      (d, e) -> {
                        orders.add(d);
                        return issued;
                      }));
      assertEquals(ErrorCode.NOT_PRIMARY, onSecondary.code());
      assertTrue(onSecondary.getMessage().contains("primary only"), onSecondary.getMessage());
      assertEquals(List.of(), orders, "a secondary never runs the ACME client");

      cluster.await(
          cluster
              .primary()
              .certificates()
              .renew(
                  (d, e) -> {
                    orders.add(d);
                    return issued;
                  }),
          LIMIT);
      cluster.awaitConverged(LIMIT);
      assertEquals(List.of(List.of("mail.example.com")), orders);
      assertEquals(
          CertificateCheck.Level.OK, cluster.node("mx3").certificates().checks().get(0).level());
    }
  }

  @Test
  void diagnosticsJsonShowsCertificateAndScreeningStatePerNode() throws Exception {
    try (SimulatedCluster cluster = cluster(6)) {
      cluster.start();
      configure(cluster, "mail", "mail.example.com");
      TestCertificates.Issued cert = TestCertificates.issue("mail.example.com", FROM, UNTIL);
      cluster.await(
          cluster.primary().certificates().importPem("mail", cert.chainPem(), cert.keyPem()),
          LIMIT);
      cluster.await(cluster.node("mx2").screening().failedLogin("203.0.113.9"), LIMIT);
      cluster.runFor(Duration.ofSeconds(12)); // secondaries report every five heartbeats
      Diagnostics d = cluster.primary().diagnostics();
      JsonNode json =
          JsonMapper.builder().build().readTree(JsonMapper.builder().build().writeValueAsString(d));
      assertEquals("OK", json.path("certificates").path(0).path("level").asString());
      assertEquals("primary", json.path("screening").path("mode").asString());
      assertEquals(3, json.path("members").size());
      for (JsonNode m : json.path("members").values()) {
        assertEquals("mail", m.path("certificates").path(0).path("name").asString(), m.toString());
        assertEquals("OK", m.path("certificates").path(0).path("level").asString(), m.toString());
        String mode = m.path("screening").path("mode").asString();
        assertEquals(
            m.path("id").asString().equals("mx1") ? "primary" : "forwarding", mode, m.toString());
      }
      assertFalse(json.toString().contains("PRIVATE KEY"), "diagnostics never show a private key");

      // A restarted primary hears from every node again.
      cluster.crash("mx1");
      cluster.restart("mx1");
      cluster.runFor(Duration.ofSeconds(40));
      for (Diagnostics.MemberState m : cluster.primary().diagnostics().members()) {
        assertEquals(1, m.certificates().size(), m.toString());
        assertTrue(m.screening().isPresent(), m.toString());
      }
    }
  }
}
