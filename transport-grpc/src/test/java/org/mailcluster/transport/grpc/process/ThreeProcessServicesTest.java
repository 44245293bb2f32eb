package org.mailcluster.transport.grpc.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mailcluster.transport.grpc.process.Processes.awaitCondition;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority;

/**
 * The cluster services end to end across three JVMs over gRPC with mutual TLS: a mail event
 * published on a secondary reaches the other two nodes and never comes back to its origin, and a
 * certificate imported on the primary is written on every node, owner-only, byte for byte.
 */
@Tag("process")
class ThreeProcessServicesTest {
  private static final Duration START = Duration.ofSeconds(40);
  private static final Duration ANSWER = Duration.ofSeconds(20);
  private final List<ChildNode> children = new ArrayList<>();
  @TempDir Path dir;

  @AfterEach
  void killChildren() {
    children.forEach(ChildNode::close);
  }

  @Test
  void mailEventsAndCertificatesCrossProcessesOverMutualTls() throws Exception {
    try {
      scenario();
    } catch (Throwable t) {
      for (ChildNode c : children) {
        System.out.println(
            "---- " + c.name() + " transcript\n" + String.join("\n", c.transcript()));
        System.out.println("---- " + c.name() + " stderr\n" + String.join("\n", c.stderr()));
      }
      throw t;
    }
  }

  private void scenario() throws Exception {
    int[] ports = Processes.freePorts(3);
    ClusterCertificateAuthority ca = ClusterCertificateAuthority.create("services-test");
    for (String id : List.of("mx1", "mx2", "mx3")) {
      ca.issue(NodeId.of(id), List.of("127.0.0.1")).writeTo(dir.resolve("certs").resolve(id));
    }
    ChildNode mx1 =
        start(
            "mx1",
            Processes.args(
                dir,
                "mx1",
                "primary",
                ports[0],
                "--server",
                "mx2=127.0.0.1:" + ports[1],
                "--server",
                "mx3=127.0.0.1:" + ports[2]));
    assertTrue(
        mx1.next("start", START).startsWith("ready mx1 primary"), mx1.transcript()::toString);
    ChildNode mx2 =
        start("mx2", Processes.args(dir, "mx2", "secondary", ports[1], "--primary", at(ports[0])));
    ChildNode mx3 =
        start("mx3", Processes.args(dir, "mx3", "secondary", ports[2], "--primary", at(ports[0])));
    for (ChildNode s : List.of(mx2, mx3)) {
      assertTrue(s.next("start", START).startsWith("ready"), s.transcript()::toString);
      assertTrue(s.ask("synced", START).startsWith("synced"), s.transcript()::toString);
    }

    // Mail events: published on mx2, relayed by the primary to mx3, never back to mx2.
    String published = mx2.ask("publish INBOX/alice", ANSWER);
    assertTrue(published.startsWith("published "), published);
    String id = published.substring("published ".length());
    String primaryEvent = mx1.ask("publish Public/news", ANSWER);
    assertTrue(primaryEvent.startsWith("published "), primaryEvent);
    String id2 = primaryEvent.substring("published ".length());
    awaitCondition(
        "mx1 and mx3 receive mx2's event and mx2 and mx3 receive mx1's",
        () ->
            received(mx1).contains("mail mx2 INBOX/alice " + id)
                && received(mx3).contains("mail mx2 INBOX/alice " + id)
                && received(mx3).contains("mail mx1 Public/news " + id2)
                && received(mx2).contains("mail mx1 Public/news " + id2),
        START);
    assertEquals(List.of("mail mx1 Public/news " + id2), received(mx2), "mx2 got its own back");
    assertEquals(List.of("mail mx2 INBOX/alice " + id), received(mx1), "mx1 got its own back");

    // Certificates: imported on the primary, written on every node.
    ClusterCertificateAuthority.NodeCertificate mail =
        ClusterCertificateAuthority.create("public-ca")
            .issue(NodeId.of("mail.example.com"), List.of("mail.example.com"));
    Path source = dir.resolve("import");
    Files.createDirectories(source);
    Files.writeString(source.resolve("chain.pem"), mail.certificatePem());
    Files.writeString(source.resolve("key.pem"), mail.privateKeyPem());
    String imported = mx1.ask("import-cert mail " + source, ANSWER);
    assertTrue(imported.startsWith("imported "), imported);
    String expected =
        "cert-file mail rw------- "
            + Hashing.sha256().hashString(mail.certificatePem(), StandardCharsets.UTF_8);
    for (ChildNode node : List.of(mx1, mx2, mx3)) {
      awaitCondition(
          node.name() + " writes the certificate files",
          () -> node.ask("cert-file mail", ANSWER).equals(expected),
          START);
    }
    for (ChildNode node : List.of(mx1, mx2, mx3)) {
      assertEquals("bye", node.ask("quit", ANSWER));
    }
  }

  private static List<String> received(ChildNode node) {
    List<String> lines = new ArrayList<>(node.askLines("received", ANSWER));
    lines.removeIf(l -> !l.startsWith("mail "));
    return lines;
  }

  private ChildNode start(String name, List<String> arguments) {
    ChildNode child = ChildNode.start(name, arguments);
    children.add(child);
    return child;
  }

  private static String at(int port) {
    return "127.0.0.1:" + port;
  }
}
