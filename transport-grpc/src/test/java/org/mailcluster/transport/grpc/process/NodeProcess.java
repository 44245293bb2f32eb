package org.mailcluster.transport.grpc.process;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mailcluster.ClusterService;
import org.mailcluster.ClusterServiceBuilder;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.Diagnostics;
import org.mailcluster.clock.ClockState;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.runtime.SystemScheduler;
import org.mailcluster.storage.FileStateStore;
import org.mailcluster.storage.FsyncPolicy;
import org.mailcluster.transport.grpc.GrpcTransport;
import org.mailcluster.transport.grpc.TransportSecurity;

/**
 * One cluster node in a JVM of its own, driven by a test over a line protocol on standard input and
 * output: a real {@link ClusterService} with a {@link FileStateStore} that forces every commit to
 * the disk, an INI directory, and the {@link GrpcTransport} with mutual TLS on 127.0.0.1.
 *
 * <p>Arguments: {@code --id mx1 --role primary|secondary --port 7401 --state DIR --app DIR --certs
 * DIR} (the certificate directory holds {@code ca.pem}, {@code node.pem} and {@code node-key.pem}),
 * plus {@code --primary 127.0.0.1:7401} on a secondary and one {@code --server mx2=127.0.0.1:7402}
 * per secondary on the primary, which registers them when it starts (again after a restart, which
 * changes nothing).
 *
 * <p>Once started it prints {@code ready <id> <role> <address> <revision>}. Then, one command per
 * line:
 *
 * <ul>
 *   <li>{@code commit <key> <value>} → {@code committed <revision>} once the update's future
 *       completed, which is when the commit is acknowledged to its caller;
 *   <li>{@code get <key>} → {@code value <value>} or {@code absent};
 *   <li>{@code revision} → {@code revision <revision>};
 *   <li>{@code fingerprint} → {@code fingerprint <revision> <fingerprint>} of one snapshot;
 *   <li>{@code synced} → {@code synced <revision>} once initial synchronization is complete;
 *   <li>{@code dump <prefix>} → one {@code entry <key> <value>} per key starting with the prefix,
 *       then {@code end <count>};
 *   <li>{@code events} → one {@code event <level> <message>} per recent diagnostics event, then
 *       {@code end <count>};
 *   <li>{@code stream <prefix> <count> <window>} → {@code streaming}, then commits {@code <prefix>1
 *       = v1}, {@code <prefix>2 = v2}, … with up to {@code window} commits in flight, and prints
 *       {@code stream acked <key> <value> <revision>} as each one is acknowledged, {@code stream
 *       done <count>} at the end or {@code stream failed <message>} at the first failure;
 *   <li>{@code clocks} → checks every peer's clock now and prints one {@code clock <node> <offset>
 *       <errorBound> <zone> <drifting> <zoneDiffers>} per peer, then {@code end <count>};
 *   <li>{@code publish <mailbox>} → publishes a mail event, prints {@code published <id>};
 *   <li>{@code received} → one {@code mail <origin> <mailbox> <id>} per mail event received, in
 *       arrival order, then {@code end <count>};
 *   <li>{@code import-cert <name> <dir>} → imports {@code <dir>/chain.pem} and {@code
 *       <dir>/key.pem} as certificate {@code <name>} (primary only), prints {@code imported
 *       <revision>};
 *   <li>{@code cert-file <name>} → {@code cert-file <name> <key permissions> <sha-256 of the chain
 *       file>} for the files the node wrote, or {@code absent};
 *   <li>{@code quit} → closes the node gracefully, prints {@code bye} and exits with status 0.
 * </ul>
 *
 * Failures answer {@code failed <message>}; a line that is not a command answers {@code error
 * <message>}. The node's logs go to standard error, never to standard output. The process ends when
 * its standard input ends.
 */
public final class NodeProcess {
  static final String PRODUCT_VERSION = "23.5.2";
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final PrintStream out;
  private final ClusterService node;
  private final Path installedCertificates;
  private final java.util.Queue<org.mailcluster.events.MailEvent> received =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  private NodeProcess(PrintStream out, ClusterService node, Path installedCertificates) {
    this.out = out;
    this.node = node;
    this.installedCertificates = installedCertificates;
    node.mailEvents().addListener(received::add);
  }

  public static void main(String[] args) throws Exception {
    // The protocol owns standard output; anything that prints on its own goes to standard error.
    PrintStream protocol =
        new PrintStream(
            new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8.name());
    System.setOut(System.err);
    Map<String, List<String>> options = parse(args);
    String id = single(options, "id");
    String role = single(options, "role");
    int port = Integer.parseInt(single(options, "port"));
    Path certs = Path.of(single(options, "certs"));
    Path app = Path.of(single(options, "app"));
    Files.createDirectories(app);

    SystemScheduler scheduler = SystemScheduler.create(id);
    GrpcTransport transport =
        GrpcTransport.builder(NodeId.of(id), "127.0.0.1", port)
            .security(
                TransportSecurity.mutualTls(
                    certs.resolve("ca.pem"),
                    certs.resolve("node.pem"),
                    certs.resolve("node-key.pem")))
            // Three JVMs on two shared cores are no WAN: do not warn about slow round trips.
            .roundTripWarning(Duration.ofSeconds(2))
            .gracePeriod(Duration.ofSeconds(1))
            .build();
    ClusterServiceBuilder builder =
        ClusterService.builder()
            .node(NodeId.of(id), NodeAddress.of("127.0.0.1", port))
            .productVersion(PRODUCT_VERSION)
            .licenceKey("licence-" + id)
            .configSource(IniConfigSource.builder(app).scheduler(scheduler).build())
            .stateStore(
                FileStateStore.builder(Path.of(single(options, "state")))
                    .fsyncPolicy(FsyncPolicy.PER_COMMIT)
                    .build())
            .transport(transport)
            .certificateDirectory(Path.of(single(options, "state")).resolveSibling(id + "-tls"))
            .scheduler(scheduler);
    ClusterService node;
    if (role.equals("primary")) {
      node = builder.primary().build();
    } else if (role.equals("secondary")) {
      node = builder.secondaryOf(NodeAddress.parse(single(options, "primary"))).build();
    } else {
      throw new IllegalArgumentException(
          "--role must be primary or secondary but was '" + role + "'");
    }
    NodeProcess process =
        new NodeProcess(
            protocol, node, Path.of(single(options, "state")).resolveSibling(id + "-tls"));
    node.start().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    for (String server : options.getOrDefault("server", List.of())) {
      int eq = server.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException(
            "--server must be id=host:port but was '" + server + "'");
      }
      node.addServer(
              NodeId.of(server.substring(0, eq)), NodeAddress.parse(server.substring(eq + 1)))
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    process.say(
        "ready "
            + id
            + " "
            + role
            + " "
            + transport.localAddress()
            + " "
            + node.configuration().revision());
    process.serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
  }

  private void serve(BufferedReader in) throws IOException {
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      String[] words = line.strip().split(" ", 3);
      try {
        if (!answer(words)) {
          return;
        }
      } catch (ExecutionException e) {
        say("failed " + oneLine(e.getCause()));
      } catch (RuntimeException | TimeoutException e) {
        say("failed " + oneLine(e));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Answers one command; false once the node has closed. */
  private boolean answer(String[] w)
      throws ExecutionException, TimeoutException, InterruptedException {
    switch (w[0]) {
      case "commit":
        arity(w, 3);
        say("committed " + await(commit(w[1], w[2])));
        return true;
      case "get":
        arity(w, 2);
        say(node.configuration().get(w[1]).map(v -> "value " + v).orElse("absent"));
        return true;
      case "revision":
        say("revision " + node.configuration().revision());
        return true;
      case "fingerprint":
        ConfigSnapshot state = node.configuration();
        say("fingerprint " + state.revision() + " " + state.fingerprint());
        return true;
      case "synced":
        await(node.awaitSynchronized());
        say("synced " + node.configuration().revision());
        return true;
      case "dump":
        arity(w, 2);
        dump(w[1]);
        return true;
      case "events":
        List<Diagnostics.Event> events = node.diagnostics().recentEvents();
        StringBuilder text = new StringBuilder();
        for (Diagnostics.Event e : events) {
          text.append("event ").append(e.level()).append(' ').append(oneLine(e.message()));
          text.append('\n');
        }
        say(text + "end " + events.size());
        return true;
      case "stream":
        arity(w, 3);
        String[] counts = w[2].split(" ");
        startStream(w[1], Integer.parseInt(counts[0]), Integer.parseInt(counts[1]));
        say("streaming");
        return true;
      case "publish":
        arity(w, 2);
        say(
            "published "
                + node.mailEvents()
                    .publish(w[1], org.mailcluster.events.MailEvent.Kind.MESSAGE_ADDED, "{}")
                    .id());
        return true;
      case "received":
        StringBuilder mail = new StringBuilder();
        int count = 0;
        for (org.mailcluster.events.MailEvent e : received) {
          mail.append("mail ")
              .append(e.origin())
              .append(' ')
              .append(e.mailbox())
              .append(' ')
              .append(e.id())
              .append('\n');
          count++;
        }
        say(mail + "end " + count);
        return true;
      case "import-cert":
        arity(w, 3);
        Path from = Path.of(w[2]);
        try {
          say(
              "imported "
                  + await(
                      node.certificates()
                          .importPem(
                              w[1],
                              Files.readString(from.resolve("chain.pem")),
                              Files.readString(from.resolve("key.pem")))));
        } catch (IOException e) {
          say("failed " + oneLine(e));
        }
        return true;
      case "cert-file":
        arity(w, 2);
        say(certificateFile(w[1]));
        return true;
      case "clocks":
        StringBuilder clocks = new StringBuilder();
        List<ClockState> states = await(node.checkClocks());
        for (ClockState c : states) {
          clocks
              .append("clock ")
              .append(c.node())
              .append(' ')
              .append(c.offset().map(Duration::toString).orElse("-"))
              .append(' ')
              .append(c.errorBound().map(Duration::toString).orElse("-"))
              .append(' ')
              .append(c.zone().orElse("-"))
              .append(' ')
              .append(c.drifting())
              .append(' ')
              .append(c.zoneDiffers())
              .append('\n');
        }
        say(clocks + "end " + states.size());
        return true;
      case "quit":
        node.close(WAIT);
        say("bye");
        return false;
      default:
        say("error unknown command '" + w[0] + "'");
        return true;
    }
  }

  private String certificateFile(String name) {
    Path chain = installedCertificates.resolve(name + ".pem");
    Path key = installedCertificates.resolve(name + ".key");
    if (!Files.exists(chain) || !Files.exists(key)) {
      return "absent";
    }
    try {
      return "cert-file "
          + name
          + " "
          + java.nio.file.attribute.PosixFilePermissions.toString(
              Files.getPosixFilePermissions(key))
          + " "
          + com.google.common.hash.Hashing.sha256().hashBytes(Files.readAllBytes(chain));
    } catch (IOException e) {
      return "failed " + oneLine(e);
    }
  }

  private CompletableFuture<?> commit(String key, String value) {
    return node.update(
        ConfigUpdate.builder("test:" + node.nodeId()).setRaw(SettingKey.parse(key), value).build());
  }

  private void dump(String prefix) {
    ConfigSnapshot state = node.configuration();
    StringBuilder text = new StringBuilder();
    int[] count = {0};
    state.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            text.append("entry ").append(k).append(' ').append(v).append('\n');
            count[0]++;
          }
        });
    say(text + "end " + count[0]);
  }

  /**
   * Commits {@code count} keys with at most {@code window} in flight, so that group commits and
   * streaming to the secondaries overlap; each acknowledgement is printed as it happens.
   */
  private void startStream(String prefix, int count, int window) {
    Semaphore inFlight = new Semaphore(window);
    AtomicBoolean failed = new AtomicBoolean();
    Thread streamer =
        new Thread(
            () -> {
              try {
                for (int i = 1; i <= count && !failed.get(); i++) {
                  inFlight.acquire();
                  String key = prefix + i;
                  String value = "v" + i;
                  CompletableFuture<?> done;
                  try {
                    done = commit(key, value);
                  } catch (RuntimeException e) {
                    done = CompletableFuture.failedFuture(e);
                  }
                  done.whenComplete(
                      (revision, failure) -> {
                        if (failure != null) {
                          if (!failed.getAndSet(true)) {
                            say("stream failed " + oneLine(failure));
                          }
                        } else {
                          say("stream acked " + key + " " + value + " " + revision);
                        }
                        inFlight.release();
                      });
                }
                inFlight.acquire(window);
                if (!failed.get()) {
                  say("stream done " + count);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "stream");
    streamer.setDaemon(true);
    streamer.start();
  }

  private static <T> T await(CompletableFuture<T> future)
      throws ExecutionException, TimeoutException, InterruptedException {
    return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private synchronized void say(String text) {
    out.println(text);
    out.flush();
  }

  private static void arity(String[] words, int n) {
    if (words.length != n) {
      throw new IllegalArgumentException(
          "'" + words[0] + "' takes " + (n - 1) + " argument(s) but got " + (words.length - 1));
    }
  }

  private static String oneLine(Throwable t) {
    return oneLine(t.getClass().getSimpleName() + ": " + t.getMessage());
  }

  private static String oneLine(String text) {
    return text.replace('\n', ' ').replace('\r', ' ');
  }

  private static Map<String, List<String>> parse(String[] args) {
    Map<String, List<String>> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "arguments are --name value pairs, but '" + args[i] + "' is not one");
      }
      options.computeIfAbsent(args[i].substring(2), k -> new ArrayList<>()).add(args[i + 1]);
    }
    return options;
  }

  private static String single(Map<String, List<String>> options, String name) {
    List<String> values = options.get(name);
    if (values == null || values.size() != 1) {
      throw new IllegalArgumentException("give --" + name + " exactly once");
    }
    return values.get(0);
  }
}
