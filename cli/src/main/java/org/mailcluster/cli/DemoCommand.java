package org.mailcluster.cli;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.Charset;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterListener;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.Diagnostics;
import org.mailcluster.clock.ClockState;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.StateLimits;
import org.mailcluster.events.MailEvent;
import org.mailcluster.ini.IniDocument;
import org.mailcluster.ini.relocate.PathRelocator;
import org.mailcluster.ini.relocate.RelocationPlan;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority;
import org.mailcluster.transport.grpc.TransportSecurity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Three real nodes in this process, over gRPC with mutual TLS on 127.0.0.1, each with its own copy
 * of the sample {@code MDaemon.ini} in a temporary directory, shown step by step.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    header = "Run a live three-node cluster in this process and show what it does, step by step.",
    description = {
      "Start a three-node cluster in this process (gRPC with mutual TLS on 127.0.0.1, a fresh",
      "cluster CA, one copy of the sample MDaemon.ini per node in a temporary directory) and",
      "show, step by step: the initial sync, a change on the primary reaching both secondaries,",
      "a local edit on a secondary being overwritten, a write refused on a secondary, a mail",
      "event relayed, the clock check, a relocation dry run, and the diagnostics. Removes the",
      "temporary directory at the end.",
      "Exits 0 when every step did what it shows, 5 when the cluster did not do it in time."
    })
final class DemoCommand implements Callable<Integer> {
  static final String FILE = "MDaemon.ini";
  private static final Charset CP1252 = Charset.forName("windows-1252");
  private static final Duration PATIENCE = Duration.ofSeconds(20);
  private static final SettingKey LOCK_FILES = SettingKey.ini(FILE, "Directories", "LockFiles");
  private static final String SHARED_LOCK_FILES = "\\\\nas01\\mail\\LockFiles\\";
  private static final int STEPS = 8;

  @Option(
      names = "--keep",
      description = "Keep the temporary directory (its path is printed) instead of removing it.")
  boolean keep;

  @Spec CommandSpec spec;

  private PrintWriter out;
  private final List<DemoNode> nodes = new ArrayList<>();

  /** One node of the demo and what its listener heard. */
  private static final class DemoNode implements ClusterListener {
    final String id;
    final NodeAddress address;
    final Path ini;
    ClusterService service;
    volatile CompletableFuture<ConfigDiff> nextChange = new CompletableFuture<>();
    volatile CompletableFuture<ConfigDiff> nextOverwrite = new CompletableFuture<>();
    volatile CompletableFuture<MailEvent> nextMailEvent = new CompletableFuture<>();

    DemoNode(String id, NodeAddress address, Path ini) {
      this.id = id;
      this.address = address;
      this.ini = ini;
    }

    @Override
    public void configurationChanged(ConfigSnapshot now, ConfigDiff diff) {
      nextChange.complete(diff);
    }

    @Override
    public void localEditOverwritten(ConfigDiff overwritten) {
      nextOverwrite.complete(overwritten);
    }
  }

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    boolean verbose = spec.root().userObject() instanceof Main m && m.verbose;
    // The cluster log would drown the steps; --verbose shows it on standard error.
    Logging.console(verbose ? Level.INFO : Level.OFF);
    long started = System.nanoTime();
    Path home = Files.createTempDirectory("mailcluster-demo-");
    try {
      out.println(
          "mailcluster demo: three nodes in this process, gRPC with mutual TLS on 127.0.0.1");
      out.println("working directory: " + home);
      setUp(home);
      initialSync();
      changeOnThePrimary();
      localEditOverwritten();
      writeRefusedOnASecondary();
      mailEventRelayed();
      clockCheck();
      relocationDryRun();
      diagnostics();
    } finally {
      closeNodes();
      if (keep) {
        out.println("kept " + home);
      } else {
        deleteRecursively(home);
      }
    }
    out.printf(
        "%ndone in %.1f s; every node was shut down%s.%n",
        (System.nanoTime() - started) / 1e9, keep ? "" : " and the working directory removed");
    out.flush();
    return 0;
  }

  private void step(int n, String title) {
    out.printf("%n[%d/%d] %s%n", n, STEPS, title);
    out.flush();
  }

  private void setUp(Path home) throws Exception {
    out.println();
    out.println("Setting up");
    ClusterCertificateAuthority ca = ClusterCertificateAuthority.create("demo");
    ca.writeTo(home.resolve("certs/ca"));
    byte[] sample = sample();
    for (String id : List.of("mx1", "mx2", "mx3")) {
      Path certs = home.resolve("certs").resolve(id);
      ca.issue(NodeId.of(id), List.of("127.0.0.1", "localhost")).writeTo(certs);
      Path app = Files.createDirectories(home.resolve(id).resolve("App"));
      Files.write(app.resolve(FILE), sample);
      nodes.add(new DemoNode(id, freeAddress(), app.resolve(FILE)));
    }
    out.println(
        "   a new cluster CA issued one certificate per node (common name = node id, 127.0.0.1)");
    for (DemoNode n : nodes) {
      out.printf(
          "   %s  %-9s  %-15s  %s%n",
          n.id, n == primaryNode() ? "primary" : "secondary", n.address, home.relativize(n.ini));
    }
    for (DemoNode n : nodes) {
      Path certs = home.resolve("certs").resolve(n.id);
      n.service =
          new NodeSetup(
                  NodeId.of(n.id),
                  n.address,
                  n == primaryNode() ? Optional.empty() : Optional.of(primaryNode().address),
                  n.ini.getParent(),
                  List.of(),
                  Optional.empty(),
                  home.resolve(n.id).resolve("Cluster"),
                  TransportSecurity.mutualTls(
                      certs.resolve("ca.pem"),
                      certs.resolve("node.pem"),
                      certs.resolve("node-key.pem")),
                  "23.5.2",
                  "demo-licence-" + n.id,
                  Duration.ofMillis(50),
                  Duration.ofSeconds(1),
                  Duration.ofMillis(200),
                  // Two busy cores are no slow LAN: only warn when something is really wrong.
                  Duration.ofSeconds(1),
                  StateLimits.defaults())
              .build();
      n.service.addListener(n);
      n.service.mailEvents().addListener(e -> n.nextMailEvent.complete(e));
      if (n == primaryNode()) {
        await(n.service.start(), "start " + n.id);
        for (DemoNode s : secondaries()) {
          await(n.service.addServer(NodeId.of(s.id), s.address), "register " + s.id);
        }
      }
    }
    out.println("   mx1 started as primary and registered mx2 and mx3");
  }

  private void initialSync() throws Exception {
    step(1, "Initial sync: each secondary receives the primary's whole configuration");
    ConfigSnapshot primary = primaryNode().service.configuration();
    out.printf(
        "   mx1 holds %d keys (the sample's and the members') at revision %s%n",
        primary.size(), primary.revision());
    for (DemoNode s : secondaries()) {
      long t0 = System.nanoTime();
      await(s.service.start(), "start " + s.id);
      await(s.service.awaitSynchronized(), s.id + "'s initial sync");
      out.printf(
          "   %s joined and completed its initial sync in %d ms%n",
          s.id, (System.nanoTime() - t0) / 1_000_000);
    }
    // Each join is itself a revision (the member's record), which the others then receive.
    awaitCondition(
        () ->
            secondaries().stream()
                .allMatch(
                    s ->
                        s.service
                            .configuration()
                            .fingerprint()
                            .equals(primaryNode().service.configuration().fingerprint())),
        PATIENCE);
    for (DemoNode n : nodes) {
      ConfigSnapshot c = n.service.configuration();
      out.printf(
          "   %s  revision %s  %d keys  fingerprint %s%s%n",
          n.id,
          c.revision(),
          c.size(),
          c.fingerprint(),
          n == primaryNode()
              ? ""
              : c.fingerprint().equals(primaryNode().service.configuration().fingerprint())
                  ? "  (same as the primary)"
                  : "  (DIFFERENT from the primary)");
    }
  }

  private void changeOnThePrimary() throws Exception {
    step(2, "A change on the primary reaches both secondaries");
    for (DemoNode s : secondaries()) {
      s.nextChange = new CompletableFuture<>();
    }
    long t0 = System.nanoTime();
    Revision revision =
        await(
            primaryNode()
                .service
                .update(
                    ConfigUpdate.builder("demo:admin")
                        .setRaw(LOCK_FILES, SHARED_LOCK_FILES)
                        .build()),
            "the commit on mx1");
    out.printf(
        "   on mx1: [Directories] LockFiles = %s  → committed as revision %s%n",
        SHARED_LOCK_FILES, revision);
    for (DemoNode s : secondaries()) {
      ConfigDiff diff = await(s.nextChange, s.id + " applying revision " + revision);
      out.printf(
          "   %s applied it %d ms after the commit began; its diff:%n",
          s.id, (System.nanoTime() - t0) / 1_000_000);
      diff.render().lines().forEach(line -> out.println("       " + line));
      out.printf("     %s's %s now reads: %s%n", s.id, FILE, lineOf(s.ini, "LockFiles="));
    }
  }

  private void localEditOverwritten() throws Exception {
    step(3, "A local edit on a secondary is overwritten with the primary's value");
    DemoNode mx3 = nodes.get(2);
    mx3.nextOverwrite = new CompletableFuture<>();
    IniDocument doc = IniDocument.parse(Files.readAllBytes(mx3.ini));
    doc.set("NewAccountTemplate", "Quota", "4096");
    Files.write(mx3.ini, doc.toBytes());
    out.printf("   someone edits mx3's %s by hand: %s%n", FILE, lineOf(mx3.ini, "Quota="));
    ConfigDiff overwritten = await(mx3.nextOverwrite, "mx3 noticing the local edit");
    out.println("   mx3 noticed the edit and wrote the primary's value back:");
    overwritten.render().lines().forEach(line -> out.println("       " + line));
    out.printf("   mx3's %s reads again: %s%n", FILE, lineOf(mx3.ini, "Quota="));
  }

  private void writeRefusedOnASecondary() throws Exception {
    step(4, "A write on a secondary is refused");
    ConfigUpdate update =
        ConfigUpdate.builder("demo:admin")
            .setRaw(SettingKey.ini(FILE, "Special", "ServerName"), "mx2.example.com")
            .build();
    out.println("   on mx2: [Special] ServerName = mx2.example.com");
    try {
      nodes.get(1).service.update(update).get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
      throw InputException.unavailable(
          "mx2 accepted a write although it is a secondary", "this is a bug in mailcluster", null);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ClusterException ce) {
        out.printf("   refused: %s: %s%n", ce.code(), ce.getMessage());
      } else {
        throw e;
      }
    }
    out.printf("   mx2's %s still reads: %s%n", FILE, lineOf(nodes.get(1).ini, "ServerName="));
  }

  private void mailEventRelayed() throws Exception {
    step(5, "A mail event is relayed through the primary to the other nodes");
    for (DemoNode n : nodes) {
      n.nextMailEvent = new CompletableFuture<>();
    }
    DemoNode mx3 = nodes.get(2);
    long t0 = System.nanoTime();
    MailEvent sent =
        mx3.service
            .mailEvents()
            .publish("example.com/frank/Inbox", MailEvent.Kind.MESSAGE_ADDED, "uid=4711");
    out.printf(
        "   on mx3: a message arrived in %s (%s); mx3 publishes event %s%n",
        sent.mailbox(), sent.payload(), sent.id());
    for (DemoNode n : nodes.subList(0, 2)) {
      MailEvent got = await(n.nextMailEvent, n.id + " receiving the mail event");
      out.printf(
          "   %s heard it after %d ms: %s %s from %s (%s)%s%n",
          n.id,
          (System.nanoTime() - t0) / 1_000_000,
          got.kind(),
          got.mailbox(),
          got.origin(),
          got.payload(),
          n == primaryNode() ? "" : ", relayed by the primary");
    }
    out.printf(
        "   mx3 got its own event back: %s%n",
        mx3.nextMailEvent.isDone() ? "YES (a bug)" : "no, never to its origin");
  }

  private void clockCheck() throws Exception {
    step(6, "Clock check: every peer's offset, with an error bound, and its time zone");
    List<ClockState> clocks = await(primaryNode().service.checkClocks(), "mx1's clock check");
    out.println(
        "   mx1 pinged each peer a few times (NTP-style; the bound is half the round trip):");
    ClockView.print(clocks, out, "   ");
  }

  private void relocationDryRun() {
    step(7, "Relocation dry run: the shared folders moved under \\\\nas01\\mail, nothing changed");
    ConfigSnapshot before = primaryNode().service.configuration();
    RelocationPlan plan =
        PathRelocator.builder(StoragePath.parse("\\\\nas01\\mail")).build().plan(before);
    plan.render().lines().forEach(line -> out.println("   " + line));
    ConfigSnapshot after = primaryNode().service.configuration();
    out.printf(
        "   the cluster's configuration is untouched: still revision %s, fingerprint %s (%s)%n",
        after.revision(),
        after.fingerprint(),
        after.fingerprint().equals(before.fingerprint()) ? "unchanged" : "CHANGED (a bug)");
  }

  private void diagnostics() {
    step(8, "Diagnostics (what `mailcluster status` shows for a running node)");
    ClusterService primary = primaryNode().service;
    Revision tip = primary.configuration().revision();
    // Acknowledgements and round trips arrive with the next heartbeats and probes.
    awaitCondition(
        () ->
            primary.diagnostics().members().stream()
                .filter(m -> !m.id().equals("mx1"))
                .allMatch(
                    m -> m.acknowledged().equals(Optional.of(tip)) && m.roundTrip().isPresent()),
        Duration.ofSeconds(10));
    Diagnostics d = primary.diagnostics();
    DiagnosticsView.print(DiagnosticsView.toJson(d), out, "   ");
  }

  private DemoNode primaryNode() {
    return nodes.get(0);
  }

  private List<DemoNode> secondaries() {
    return nodes.subList(1, nodes.size());
  }

  private void closeNodes() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      ClusterService s = nodes.get(i).service;
      if (s != null) {
        s.close(Duration.ofSeconds(5));
      }
    }
  }

  private static <T> T await(CompletableFuture<T> future, String what) throws Exception {
    try {
      return future.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw InputException.unavailable(
          what + " did not complete within " + PATIENCE.toSeconds() + " s",
          "the machine may be overloaded; run again with --verbose to see the cluster log",
          e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ClusterException ce) {
        throw InputException.unavailable(
            what + " failed: " + ce.code() + ": " + ce.getMessage(),
            "run again with --verbose to see the cluster log",
            ce);
      }
      throw e;
    }
  }

  /** Waits for a condition that the cluster reaches by itself; shows what it has either way. */
  private static void awaitCondition(BooleanSupplier condition, Duration limit) {
    long end = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() - end < 0) {
      LockSupport.parkNanos(20_000_000);
    }
  }

  private static String lineOf(Path ini, String prefix) throws IOException {
    return Files.readString(ini, CP1252)
        .lines()
        .filter(l -> l.startsWith(prefix))
        .findFirst()
        .orElse("(no " + prefix + " line)");
  }

  private static NodeAddress freeAddress() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return NodeAddress.of("127.0.0.1", socket.getLocalPort());
    }
  }

  static byte[] sample() {
    try (InputStream in = DemoCommand.class.getResourceAsStream(FILE)) {
      if (in == null) {
        throw new IllegalStateException("the sample " + FILE + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
