package org.mailcluster.testkit.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.access.AdminOperation;
import org.mailcluster.access.GateDecision;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.certificates.CertificateSettings;
import org.mailcluster.discovery.DiscoveredServer;
import org.mailcluster.discovery.Discovery;
import org.mailcluster.events.MailEvent;
import org.mailcluster.forwarding.ForwardedAnswer;
import org.mailcluster.forwarding.PrimaryForwarding;
import org.mailcluster.membership.HostResolver;
import org.mailcluster.routing.RoutingAdvice;
import org.mailcluster.testkit.SimulatedCluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/** The "Cluster services" examples of README.md, kept compiling and true. Keep them in step. */
class ReadmeServicesExampleTest {
  private static final Logger log = LoggerFactory.getLogger(ReadmeServicesExampleTest.class);
  private final List<String> replies = new ArrayList<>();

  private void reply(ErrorCode code, String message, Optional<String> primaryAddress) {
    replies.add(code + " " + primaryAddress.orElse("?"));
  }

  @Test
  void clusterServicesExamples() throws Exception {
    try (SimulatedCluster cluster = SimulatedCluster.builder().nodes(3).seed(12).build()) {
      cluster.start();
      ClusterService primary = cluster.primary();
      ClusterService mx2 = cluster.node("mx2");
      ClusterService mx3 = cluster.node("mx3");
      var imap = new Imap();
      var connection = new Connection();
      String remoteIp = "203.0.113.7";
      TestCertificates.Issued cert =
          TestCertificates.issue(
              "mail.example.com",
              Instant.parse("2025-01-01T00:00:00Z"),
              Instant.parse("2028-01-01T00:00:00Z"));
      String chainPem = cert.chainPem();
      String keyPem = cert.keyPem();
      HostResolver resolver = a -> List.of(InetAddress.getByName("192.0.2.4"));
      var loadBalancer = new LoadBalancer();
      JsonMapper json = JsonMapper.builder().build();

      // --- README: mail-change relay ---
      mx2.mailEvents().addListener(e -> imap.folderChanged(e.mailbox())); // events from other nodes
      mx3.mailEvents().publish("example.com/frank/Inbox", MailEvent.Kind.MESSAGE_ADDED, "uid=4711");
      // --- README: forwarded requests and dynamic screening ---
      for (int i = 0; i < 5; i++) {
        mx2.screening()
            .failedLogin(remoteIp) // five within ten minutes block the address for thirty
            .thenAccept(
                verdict -> {
                  if (verdict.blocked()) {
                    connection.reject(verdict.reason());
                  }
                });
        cluster.runFor(Duration.ofSeconds(1));
      }
      primary.registerService("quota", (from, user) -> CompletableFuture.completedFuture("42 MB"));
      CompletableFuture<ForwardedAnswer>
          quota = // any named service: the primary's answer, or a local one
          PrimaryForwarding.over(mx2)
                  .ask("quota", "frank", Duration.ofSeconds(2), why -> "unknown");
      // --- README: certificates ---
      primary.certificates().importPem("mail", chainPem, keyPem);
      primary.update(
          ConfigUpdate.builder("api:admin")
              .set(CertificateSettings.ACTIVE, "mail")
              .set(CertificateSettings.HOST_NAME, "mail.example.com")
              .build());
      cluster.runFor(Duration.ofSeconds(2)); // (in the test: let the commits replicate)
      List<CertificateCheck> checks = mx2.certificates().checks(); // on every node, once replicated
      // --- README: cluster constraints ---
      primary
          .constraints()
          .applied()
          .ifPresent(
              report ->
                  report
                      .changes()
                      .forEach(
                          c ->
                              log.info(
                                  "{}: {} -> {}",
                                  c.setting(),
                                  c.before().orElse("(unset)"),
                                  c.after())));
      // --- README: write gate ---
      GateDecision decision = mx2.writeGate().check(AdminOperation.write("AddUser"));
      if (!decision.allowed()) {
        reply(decision.code().orElseThrow(), decision.message(), decision.primaryAddress());
      }
      // --- README: routing advice ---
      for (RoutingAdvice advice : mx2.routing().advice()) {
        loadBalancer.pool(advice.protocol().name(), advice.nodes(), advice.sticky());
      }
      // --- README: discovery ---
      Discovery dns =
          Discovery.dns(List.of("mx4.example.com"), 7400, resolver); // HostResolver.system()
      List<DiscoveredServer> toOffer =
          Discovery.candidates(dns.discover(Duration.ofSeconds(3)), primary.members());
      // --- README: administrator views ---
      String optionsJson = json.writeValueAsString(mx2.options());
      String diagnosticsJson =
          json.writeValueAsString(mx2.diagnostics()); // certificates and screening per node
      // --- README examples end ---

      assertEquals(List.of("example.com/frank/Inbox"), imap.changed);
      assertEquals(List.of("too many failed logins (5)"), connection.rejected);
      assertEquals("42 MB", cluster.await(quota, Duration.ofSeconds(5)).payload());
      assertEquals(CertificateCheck.Level.OK, checks.get(0).level(), checks.toString());
      assertTrue(primary.constraints().applied().isPresent());
      assertFalse(decision.allowed());
      assertEquals(6, loadBalancer.pools.size());
      assertEquals("HTTP [mx1] sticky", loadBalancer.pools.get(3));
      assertEquals("192.0.2.4", toOffer.get(0).address().host());
      assertTrue(optionsJson.contains("\"role\":\"SECONDARY\""), optionsJson);
      assertTrue(diagnosticsJson.contains("\"screening\""), diagnosticsJson);
      assertEquals(
          List.of("NOT_PRIMARY Optional[mx1:7400]".replace("Optional[", "").replace("]", "")),
          replies);
    }
  }

  private static final class Imap {
    final List<String> changed = new ArrayList<>();

    void folderChanged(String mailbox) {
      changed.add(mailbox);
    }
  }

  private static final class Connection {
    final List<String> rejected = new ArrayList<>();

    void reject(String reason) {
      rejected.add(reason);
    }
  }

  private static final class LoadBalancer {
    final List<String> pools = new ArrayList<>();

    void pool(String name, List<String> nodes, boolean sticky) {
      pools.add(name + " " + nodes + (sticky ? " sticky" : ""));
    }
  }
}
