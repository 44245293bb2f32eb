package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority;
import org.mailcluster.transport.grpc.TransportSecurity;

/** certs, status and node without a running cluster: what they write, and how they refuse. */
class OperatorCommandsTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  @TempDir Path dir;

  private int run(String... args) {
    return Main.run(args, new PrintWriter(out), new PrintWriter(err));
  }

  private void assertOneLineErrorWithHint() {
    String[] lines = err.toString().strip().split("\\R");
    assertEquals(2, lines.length, err.toString());
    assertTrue(lines[0].startsWith("error: "), lines[0]);
    assertTrue(lines[1].startsWith("hint: "), lines[1]);
  }

  @Test
  void certsCreatesACaAndNodeCertificatesThatTheTransportAccepts() {
    assertEquals(
        0, run("certs", "--dir", dir.toString(), "mx1=127.0.0.1,mx1.example.com"), err.toString());
    for (String f :
        List.of("ca/ca.pem", "ca/ca-key.pem", "mx1/node.pem", "mx1/node-key.pem", "mx1/ca.pem")) {
      assertTrue(Files.isRegularFile(dir.resolve(f)), f);
    }
    assertTrue(out.toString().contains("created the cluster CA"), out.toString());
    // The files are what the transport reads.
    TransportSecurity tls =
        TransportSecurity.mutualTls(
            dir.resolve("mx1/ca.pem"),
            dir.resolve("mx1/node.pem"),
            dir.resolve("mx1/node-key.pem"));
    assertFalse(tls.isPlaintext());

    // A second run issues new nodes from the same CA, and never replaces the CA.
    String caBefore = read(dir.resolve("ca/ca.pem"));
    assertEquals(0, run("certs", "--dir", dir.toString(), "mx2=127.0.0.1"), err.toString());
    assertTrue(out.toString().contains("issuing from the existing CA"), out.toString());
    assertEquals(caBefore, read(dir.resolve("ca/ca.pem")));
    assertEquals(read(dir.resolve("ca/ca.pem")), read(dir.resolve("mx2/ca.pem")));
    ClusterCertificateAuthority ca =
        ClusterCertificateAuthority.load(dir.resolve("ca/ca.pem"), dir.resolve("ca/ca-key.pem"));
    assertTrue(
        ca.issue(NodeId.of("mx3"), List.of("127.0.0.1"))
            .caCertificatePem()
            .contains("BEGIN CERTIFICATE"));
  }

  @Test
  void certsRefusesToReplaceANodeCertificateWithoutForce() {
    assertEquals(0, run("certs", "--dir", dir.toString(), "mx1=127.0.0.1"));
    String before = read(dir.resolve("mx1/node.pem"));
    assertEquals(3, run("certs", "--dir", dir.toString(), "mx1=127.0.0.1"));
    assertOneLineErrorWithHint();
    assertTrue(err.toString().contains("--force"), err.toString());
    assertEquals(before, read(dir.resolve("mx1/node.pem")));
    assertEquals(0, run("certs", "--dir", dir.toString(), "--force", "mx1=127.0.0.1"));
    assertFalse(before.equals(read(dir.resolve("mx1/node.pem"))));
  }

  @Test
  void certsExplainsANodeWithoutHosts() {
    assertEquals(3, run("certs", "--dir", dir.toString(), "mx1"));
    assertOneLineErrorWithHint();
    assertTrue(err.toString().contains("mx1=10.0.0.11"), err.toString());
  }

  @Test
  void statusOfANodeThatIsNotRunningExitsFiveWithAHint() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    assertEquals(5, run("status", "--address", "127.0.0.1:" + port));
    assertOneLineErrorWithHint();
    assertTrue(
        err.toString().contains("no node answers on http://127.0.0.1:" + port), err.toString());
  }

  @Test
  void statusNeedsToKnowWhichNode() {
    assertEquals(2, run("status"));
    assertTrue(
        err.toString().contains("--config") && err.toString().contains("--address"),
        err.toString());
  }

  @Test
  void nodeRefusesAConfigurationWithAMistakeBeforeStartingAnything() throws IOException {
    Path config =
        Files.writeString(
            dir.resolve("mx2.properties"),
            "node.id = mx2\nrole = secondary\nlisten = 127.0.0.1:7402\nini.directory = app\n"
                + "state.directory = state\ntls.directory = certs\nproduct.version = 23.5.2\n");
    assertEquals(3, run("node", config.toString()));
    assertOneLineErrorWithHint();
    assertTrue(err.toString().contains("a secondary needs 'primary'"), err.toString());

    Files.writeString(
        config, "node.id = mx2\nlisten = 127.0.0.1:7402\nrole = primary\nlisten.port = 1\n");
    err.getBuffer().setLength(0);
    assertEquals(3, run("node", config.toString()));
    assertTrue(err.toString().contains("unknown setting 'listen.port'"), err.toString());

    Files.writeString(
        config,
        "node.id = mx2\nrole = primary\nlisten = 127.0.0.1:7402\nini.directory = app\n"
            + "state.directory = state\ntls.directory = certs\nproduct.version = 23.5.2\n"
            + "ini.debounce.millis = -5\n");
    err.getBuffer().setLength(0);
    assertEquals(3, run("node", config.toString()));
    assertTrue(
        err.toString().contains("ini.debounce.millis: must be a whole number above 0, not '-5'"),
        err.toString());

    Files.writeString(
        config,
        "node.id = mx2\nrole = primary\nlisten = 127.0.0.1:7402\nini.directory = app\n"
            + "state.directory = state\ntls.directory = certs\nproduct.version = 23.5.2\n"
            + "ini.files = MDaemon.ini, sub/Plugins.ini\n");
    err.getBuffer().setLength(0);
    assertEquals(3, run("node", config.toString()));
    assertTrue(err.toString().contains("ini.files: file name 'sub/Plugins.ini'"), err.toString());

    Files.writeString(
        config,
        "node.id = mx1\nrole = primary\nlisten = 127.0.0.1:7402\nini.directory = app\n"
            + "state.directory = state\ntls.directory = certs\nproduct.version = 23.5.2\n");
    // The INI directory must exist: it is never created.
    err.getBuffer().setLength(0);
    assertEquals(3, run("node", config.toString()));
    assertOneLineErrorWithHint();
    assertTrue(err.toString().contains("ini.directory "), err.toString());
    assertTrue(err.toString().contains("does not exist"), err.toString());
    assertFalse(Files.exists(config.resolveSibling("app")));

    Files.createDirectories(config.resolveSibling("app"));
    err.getBuffer().setLength(0);
    assertEquals(3, run("node", config.toString()));
    assertOneLineErrorWithHint();
    assertTrue(err.toString().contains("mailcluster certs"), err.toString());
  }

  @Test
  void nodeRefusesAWildcardStatusAddressAndLogRotationSettingsOutOfRange() throws IOException {
    String base =
        "node.id = mx1\nrole = primary\nlisten = 127.0.0.1:7401\nini.directory = app\n"
            + "state.directory = state\ntls.directory = certs\nproduct.version = 23.5.2\n";
    Path config = dir.resolve("mx1.properties");
    Files.writeString(config, base + "status.listen = 0.0.0.0:7481\n");
    assertEquals(3, run("node", config.toString()));
    assertOneLineErrorWithHint();
    assertTrue(err.toString().contains("not the wildcard 0.0.0.0:7481"), err.toString());

    Files.writeString(config, base + "log.file.size = 10 parsecs\n");
    err.getBuffer().setLength(0);
    assertEquals(3, run("node", config.toString()));
    assertTrue(
        err.toString().contains("log.file.size: must be a size such as 10MB"), err.toString());

    Files.writeString(config, base + "log.file.count = 50\n");
    err.getBuffer().setLength(0);
    assertEquals(3, run("node", config.toString()));
    assertTrue(err.toString().contains("must be 2 to 21, not 50"), err.toString());

    // A management network's address is accepted (the token is then needed for every request),
    // and sizes take units.
    Files.writeString(
        config,
        base + "status.listen = 10.0.0.11:7481\nlog.file.size = 512KB\nlog.file.count = 3\n");
    NodeConfig loaded = NodeConfig.load(config);
    assertEquals("10.0.0.11:7481", loaded.statusListen().orElseThrow().toString());
    assertEquals(new Logging.Rotation(512 * 1024, 3), loaded.logRotation());
  }

  @Test
  void everyCommandHasHelp() {
    for (String command :
        List.of(
            "demo",
            "node",
            "status",
            "confirm",
            "promote",
            "resync",
            "rollback",
            "recover",
            "history",
            "clock-check",
            "certs",
            "diff",
            "relocate",
            "tour")) {
      out.getBuffer().setLength(0);
      assertEquals(0, run(command, "--help"), command);
      assertTrue(out.toString().contains("Usage: mailcluster " + command), out.toString());
    }
    out.getBuffer().setLength(0);
    assertEquals(0, run("--help"));
    String help = out.toString();
    assertTrue(help.contains("5   a node could not be reached"), help);
    // The list of commands shows each one's summary whole, on one line, not a cut sentence.
    for (String line : help.lines().toList()) {
      if (line.startsWith("  ") && !line.trim().startsWith("-") && line.contains("  ")) {
        String summary = line.trim().replaceFirst("^\\S+\\s+", "");
        if (!summary.isEmpty() && Character.isUpperCase(summary.charAt(0))) {
          assertTrue(summary.endsWith("."), "cut summary in the command list: " + line);
        }
      }
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
