package org.mailcluster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.PromotionOptions;
import org.mailcluster.certificates.CertificateSettings;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.SettingKey;
import org.mailcluster.events.MailEvent;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;

/**
 * Fixed-seed scenarios whose whole observable outcome is compared with checked-in recordings: the
 * network trace message for message, every node's history, diagnostics and divergence files, and
 * the bytes of its INI files. A change to the engine's structure must leave every recording
 * byte-identical; a change of behaviour shows up here as a difference to review.
 *
 * <p>To record anew after an intended change of behaviour, run {@code ./mvnw -pl testkit test
 * -Dtest=GoldenTraceTest -Dgolden.update=true} and review the difference of {@code
 * src/test/resources/golden}.
 */
class GoldenTraceTest {
  private static final Path GOLDEN = Path.of("src", "test", "resources", "golden");
  private static final Duration LIMIT = Duration.ofSeconds(60);
  private static final String INI = "MDaemon.ini";

  @TempDir Path dirs;

  @Test
  void commitsLocalEditsAndACrashedSecondary() {
    Scenario s = new Scenario(20261201L);
    try (SimulatedCluster c = s.cluster) {
      c.start();
      ClusterService p = c.primary();
      c.await(p.update(ini("Directories", "LockFiles", "\\\\nas01\\mail\\LockFiles\\")), LIMIT);
      c.await(p.update(ini("Special", "ServerName", "mx.example.com")), LIMIT);
      c.runFor(Duration.ofSeconds(2));
      s.files("mx2").edit(INI, "Special", "ServerName", "edited-on-mx2");
      c.runFor(Duration.ofSeconds(1));
      c.crash("mx3");
      for (int i = 0; i < 5; i++) {
        c.await(p.update(ini("Special", "Quota" + i, Integer.toString(100 * i))), LIMIT);
      }
      c.await(
          p.update(
              ConfigUpdate.builder("api:golden")
                  .remove(SettingKey.ini(INI, "Special", "Quota2"))
                  .setRaw(SettingKey.plugin("antispam", "threshold"), "7")
                  .build()),
          LIMIT);
      c.runFor(Duration.ofSeconds(3));
      c.restart("mx3");
      c.awaitConverged(LIMIT);
      s.files("mx1").edit(INI, "Special", "Signature", "edited on the primary");
      c.runFor(Duration.ofSeconds(1));
      c.awaitConverged(LIMIT);
      s.compare("commits-local-edits-crash");
    }
  }

  @Test
  void aPartitionedPrimaryIsReplacedAndReturnsWithItsDivergence() {
    Scenario s = new Scenario(7);
    try (SimulatedCluster c = s.cluster) {
      c.start();
      c.await(c.primary().update(ini("Special", "ServerName", "before.example.com")), LIMIT);
      c.runFor(Duration.ofSeconds(2));
      SimulatedNetwork.InjectedFault cut =
          c.inject(
              new Fault.Partition(
                  Set.of(NodeId.of("mx1")), Set.of(NodeId.of("mx2"), NodeId.of("mx3"))));
      ClusterService old = c.node("mx1");
      CompletableFuture<?> lost = old.update(ini("Special", "ServerName", "lost.example.com"));
      c.await(lost, LIMIT);
      c.runFor(Duration.ofSeconds(6));
      ClusterService mx2 = c.node("mx2");
      c.await(mx2.promote(PromotionOptions.defaults()), LIMIT);
      c.await(mx2.update(ini("Special", "ServerName", "after.example.com")), LIMIT);
      c.runFor(Duration.ofSeconds(2));
      cut.heal();
      c.awaitConverged(LIMIT);
      c.await(mx2.update(ini("Special", "Organization", "Promoted")), LIMIT);
      c.awaitConverged(LIMIT);
      s.compare("partition-promotion-return");
    }
  }

  @Test
  void forcedResyncsAndARollback() {
    Scenario s = new Scenario(99);
    try (SimulatedCluster c = s.cluster) {
      c.start();
      ClusterService p = c.primary();
      for (int i = 0; i < 4; i++) {
        c.await(p.update(ini("Updates", "Step" + i, "v" + i)), LIMIT);
      }
      c.awaitConverged(LIMIT);
      c.await(p.resync(NodeId.of("mx2")), LIMIT);
      c.await(c.node("mx3").resync(NodeId.of("mx3")), LIMIT);
      List<LogEntry> history = p.history();
      c.await(p.rollback(history.get(history.size() - 3).revision(), "api:golden"), LIMIT);
      c.awaitConverged(LIMIT);
      c.inject(new Fault.Drop(0.3));
      c.await(p.update(ini("Updates", "AfterRollback", "yes")), LIMIT);
      c.runFor(Duration.ofSeconds(5));
      c.healAll();
      c.awaitConverged(LIMIT);
      s.compare("resync-rollback");
    }
  }

  @Test
  void aCertificateAndScreeningDecisionsReachEveryNode() throws IOException {
    Scenario s = new Scenario(31, true);
    try (SimulatedCluster c = s.cluster) {
      c.start();
      ClusterService p = c.primary();
      c.await(
          p.update(
              ConfigUpdate.builder("api:golden")
                  .set(CertificateSettings.ACTIVE, "mail")
                  .set(CertificateSettings.HOST_NAME, "mail.example.com")
                  .build()),
          LIMIT);
      c.await(
          p.certificates().importPem("mail", resource("mail-chain.pem"), resource("mail-key.pem")),
          LIMIT);
      c.awaitConverged(LIMIT);
      ClusterService mx2 = c.node("mx2");
      for (int i = 0; i < 6; i++) {
        s.record("failedLogin on mx2: " + c.await(mx2.screening().failedLogin("192.0.2.7"), LIMIT));
      }
      s.record("check on mx3: " + c.await(c.node("mx3").screening().check("192.0.2.7"), LIMIT));
      s.record("allow on mx1: " + c.await(p.screening().allow("198.51.100.1"), LIMIT));
      s.record(
          "block on mx1: "
              + c.await(
                  p.screening().block("203.0.113.9", Duration.ofSeconds(20), "golden"), LIMIT));
      c.runFor(Duration.ofSeconds(30));
      s.record("unblock on mx3: " + c.await(c.node("mx3").screening().unblock("192.0.2.7"), LIMIT));
      c.awaitConverged(LIMIT);
      s.compare("certificates-screening");
    }
  }

  @Test
  void mailEventsAreRelayedThroughThePrimaryUnderLoss() {
    Scenario s = new Scenario(5);
    try (SimulatedCluster c = s.cluster) {
      c.start();
      for (String id : c.ids()) {
        c.node(id)
            .mailEvents()
            .addListener(
                e ->
                    s.record(
                        id
                            + " heard "
                            + e.id()
                            + " "
                            + e.kind()
                            + " "
                            + e.mailbox()
                            + " from "
                            + e.origin()));
      }
      c.node("mx3")
          .mailEvents()
          .publish("example.com/frank/Inbox", MailEvent.Kind.MESSAGE_ADDED, "uid=1");
      c.node("mx1").mailEvents().publish("example.com/anna", MailEvent.Kind.FOLDER_CREATED, "");
      c.runFor(Duration.ofSeconds(1));
      c.inject(new Fault.Drop(0.5));
      for (int i = 0; i < 4; i++) {
        c.node("mx2")
            .mailEvents()
            .publish("example.com/bob/Inbox", MailEvent.Kind.FLAGS_CHANGED, "uid=" + i);
      }
      c.runFor(Duration.ofSeconds(5));
      c.healAll();
      c.runFor(Duration.ofSeconds(10));
      for (String id : c.ids()) {
        s.record(id + " relay " + c.node(id).mailEvents().stats());
      }
      s.compare("mail-events");
    }
  }

  @Test
  void aPrimaryCrashAndATrimmedLogCatchUpBySnapshot() {
    Scenario s =
        new Scenario(
            b -> b.snapshotInterval(3).diskRetention(0).historyRetention(6, Duration.ofDays(90)),
            123,
            false);
    try (SimulatedCluster c = s.cluster) {
      c.start();
      c.crash("mx2");
      for (int i = 0; i < 8; i++) {
        c.await(c.primary().update(ini("Directories", "Extra" + i, "C:\\x" + i)), LIMIT);
      }
      c.crash("mx1");
      c.restart("mx1");
      c.restart("mx2");
      c.awaitConverged(LIMIT);
      c.await(c.primary().update(ini("Directories", "Extra9", "after")), LIMIT);
      c.awaitConverged(LIMIT);
      s.compare("crash-snapshot-catch-up");
    }
  }

  private static ConfigUpdate ini(String section, String key, String value) {
    return ConfigUpdate.builder("api:golden")
        .setRaw(SettingKey.ini(INI, section, key), value)
        .build();
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = GoldenTraceTest.class.getResourceAsStream("/golden/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  /** One scenario's cluster and what it records. */
  private final class Scenario {
    final SimulatedCluster cluster;
    final Map<String, IniFilesInMemory> files = new java.util.HashMap<>();
    final List<String> notes = new ArrayList<>();
    final boolean certificates;

    Scenario(long seed) {
      this(b -> b, seed, false);
    }

    Scenario(long seed, boolean certificates) {
      this(b -> b, seed, certificates);
    }

    Scenario(
        java.util.function.UnaryOperator<SimulatedCluster.Builder> options,
        long seed,
        boolean certificates) {
      this.certificates = certificates;
      byte[] sample;
      try {
        sample = GoldenTraceTest.class.getResourceAsStream("/golden/" + INI).readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      SimulatedCluster.Builder b =
          SimulatedCluster.builder()
              .nodes(3)
              .seed(seed)
              .configSources(
                  id -> files.computeIfAbsent(id, k -> new IniFilesInMemory(INI, sample)));
      if (certificates) {
        b = b.nodeOptions((id, nb) -> nb.certificateDirectory(dirs.resolve("certs").resolve(id)));
      }
      this.cluster = options.apply(b).build();
    }

    IniFilesInMemory files(String id) {
      return files.get(id);
    }

    void record(String note) {
      notes.add(note);
    }

    void compare(String name) {
      String actual = render();
      Path golden = GOLDEN.resolve(name + ".txt");
      try {
        if (Boolean.getBoolean("golden.update")) {
          Files.writeString(golden, actual, StandardCharsets.UTF_8);
          return;
        }
        if (!Files.exists(golden)) {
          fail(
              golden
                  + " is missing: record it with -Dgolden.update=true and review it (seed "
                  + cluster.seed()
                  + ")");
        }
        String expected = Files.readString(golden, StandardCharsets.UTF_8);
        if (!expected.equals(actual)) {
          Path written = Path.of("target", "golden-actual", name + ".txt");
          Files.createDirectories(written.getParent());
          Files.writeString(written, actual, StandardCharsets.UTF_8);
          assertEquals(
              firstDifference(expected, actual),
              "",
              "the run differs from "
                  + golden
                  + " (seed "
                  + cluster.seed()
                  + "); the whole run is in "
                  + written.toAbsolutePath());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private String render() {
      StringBuilder out = new StringBuilder();
      out.append("seed ").append(cluster.seed()).append('\n');
      out.append("== notes\n");
      notes.forEach(n -> out.append(n).append('\n'));
      out.append("== network trace\n");
      cluster.network().trace().forEach(l -> out.append(l).append('\n'));
      for (String id : cluster.ids()) {
        out.append("== node ").append(id).append('\n');
        if (!cluster.isRunning(id)) {
          out.append("(not running)\n");
          continue;
        }
        ClusterService n = cluster.node(id);
        out.append("role ")
            .append(n.role())
            .append(", revision ")
            .append(n.configuration().revision())
            .append(", fingerprint ")
            .append(n.configuration().fingerprint())
            .append('\n');
        out.append("-- configuration\n");
        n.configuration().forEach((k, v) -> out.append(k).append(" = ").append(v).append('\n'));
        out.append("-- history\n");
        for (LogEntry e : n.history()) {
          out.append(e.revision())
              .append(' ')
              .append(e.committedAt())
              .append(' ')
              .append(e.origin());
          for (ConfigDiff.Change ch : e.diff().changes()) {
            out.append("\n    ").append(ch.render());
          }
          out.append('\n');
        }
        out.append("-- diagnostics\n").append(masked(n.diagnostics().toString())).append('\n');
        out.append("-- divergences\n");
        n.divergences().forEach(d -> out.append(masked(d.toString())).append('\n'));
        out.append("-- divergence files\n");
        appendFiles(out, cluster.divergenceDirectory(id));
        if (certificates) {
          out.append("-- certificate files\n");
          appendFiles(out, dirs.resolve("certs").resolve(id));
        }
        out.append("-- ini files\n");
        IniFilesInMemory f = files.get(id);
        if (f != null) {
          f.bytes()
              .forEach(
                  (name, bytes) ->
                      out.append("[file ")
                          .append(name)
                          .append("]\n")
                          .append(
                              new String(bytes, StandardCharsets.ISO_8859_1).replace("\r", "\\r"))
                          .append("\n[end of ")
                          .append(name)
                          .append("]\n"));
        }
      }
      return out.toString();
    }

    private void appendFiles(StringBuilder out, Path dir) {
      if (!Files.isDirectory(dir)) {
        return;
      }
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.filter(Files::isRegularFile).sorted().toList()) {
          byte[] content = Files.readAllBytes(p);
          out.append(dir.relativize(p)).append(" sha256 ").append(sha256(content)).append('\n');
          if (p.getFileName().toString().endsWith(".txt") || !certificates) {
            out.append(masked(new String(content, StandardCharsets.UTF_8))).append('\n');
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private String masked(String text) {
      String out = text.replace(dirs.toString(), "<dirs>");
      for (String id : cluster.ids()) {
        out = out.replace(cluster.divergenceDirectory(id).toString(), "<divergence " + id + ">");
      }
      return out;
    }
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** The first line where the two differ, with its neighbours; empty when they are equal. */
  private static String firstDifference(String expected, String actual) {
    String[] a = expected.split("\n", -1);
    String[] b = actual.split("\n", -1);
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      String x = i < a.length ? a[i] : "(end)";
      String y = i < b.length ? b[i] : "(end)";
      if (!x.equals(y)) {
        return "line " + (i + 1) + ":\n  expected: " + x + "\n  actual:   " + y;
      }
    }
    return "";
  }
}
