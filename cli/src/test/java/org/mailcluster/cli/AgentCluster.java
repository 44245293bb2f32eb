package org.mailcluster.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import tools.jackson.databind.JsonNode;

/**
 * Node agents ({@code mailcluster node}) in real JVMs, for tests: certificates from {@code
 * mailcluster certs}, one directory per node under {@code home} ({@code <id>/app} for the INI
 * files, {@code <id>/state}, {@code <id>/console.txt}), configurations on free loopback ports, and
 * the CLI run in-process against them. The first node is the primary; the others are its
 * secondaries. Close it to kill every process it started.
 */
final class AgentCluster implements AutoCloseable {
  static final Charset CP1252 = Charset.forName("windows-1252");
  static final Duration PATIENCE = Duration.ofSeconds(60);

  private final Path home;
  private final Map<String, Agent> agents = new LinkedHashMap<>();
  private final List<Process> processes = new ArrayList<>();

  /** One agent: its id, ports and configuration file, and its process once started. */
  static final class Agent {
    final String id;
    // The node id (and certificate) it runs with: its own id, or another's for a twin.
    final String nodeId;
    final int port;
    final int statusPort;
    Path config;
    Process process;

    Agent(String id, int port, int statusPort) {
      this(id, id, port, statusPort);
    }

    Agent(String id, String nodeId, int port, int statusPort) {
      this.id = id;
      this.nodeId = nodeId;
      this.port = port;
      this.statusPort = statusPort;
    }

    String address() {
      return "127.0.0.1:" + port;
    }

    String statusAddress() {
      return "127.0.0.1:" + statusPort;
    }
  }

  /** The outcome of one CLI command run in-process. */
  record Result(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n" + out + err;
    }
  }

  /**
   * Certificates and configurations for {@code ids} (the first the primary, the rest its
   * secondaries); each node's {@code app} directory is created empty.
   */
  AgentCluster(Path home, String... ids) throws IOException {
    this.home = home;
    List<String> certs =
        new ArrayList<>(List.of("certs", "--dir", home.resolve("certs").toString()));
    certs.addAll(List.of("--cluster", "test"));
    for (String id : ids) {
      agents.put(id, new Agent(id, freePort(), freePort()));
      certs.add(id + "=127.0.0.1,localhost");
      Files.createDirectories(app(id));
    }
    Result made = cli(certs.toArray(String[]::new));
    if (made.code() != 0) {
      throw new IllegalStateException("mailcluster certs failed: " + made);
    }
    String primary = ids[0];
    List<String> servers = new ArrayList<>();
    for (int i = 1; i < ids.length; i++) {
      servers.add(ids[i] + "=" + agent(ids[i]).address());
    }
    for (int i = 0; i < ids.length; i++) {
      Agent a = agent(ids[i]);
      if (i == 0) {
        configure(
            a.id,
            "role = primary",
            "listen = " + a.address(),
            servers.isEmpty() ? "" : "servers = " + String.join(", ", servers),
            "status.listen = " + a.statusAddress());
      } else {
        configure(
            a.id,
            "role = secondary",
            "listen = " + a.address(),
            "primary = " + agent(primary).address(),
            "status.listen = " + a.statusAddress());
      }
    }
  }

  Agent agent(String id) {
    Agent a = agents.get(id);
    if (a == null) {
      throw new IllegalArgumentException("no agent " + id);
    }
    return a;
  }

  Path home() {
    return home;
  }

  /** The directory of {@code id}'s INI files. */
  Path app(String id) {
    return home.resolve(id).resolve("app");
  }

  /** {@code id}'s state directory. */
  Path state(String id) {
    return home.resolve(id).resolve("state");
  }

  /**
   * Writes {@code id}'s configuration file from {@code lines} plus the common ones (node id, the
   * directories, the certificates, a short debounce); an empty line is skipped.
   */
  Path configure(String id, String... lines) throws IOException {
    List<String> all = new ArrayList<>();
    for (String l : lines) {
      if (!l.isEmpty()) {
        all.add(l);
      }
    }
    all.add("node.id = " + agent(id).nodeId);
    if (all.stream().noneMatch(l -> l.startsWith("ini.directory"))) {
      all.add("ini.directory = app");
    }
    all.add("state.directory = state");
    all.add("tls.directory = ../certs/" + agent(id).nodeId);
    all.add("product.version = 23.5.2");
    all.add("ini.debounce.millis = 100");
    all.add("ini.rescan.seconds = 2");
    Path file = home.resolve(id).resolve(id + ".properties");
    Files.createDirectories(file.getParent());
    agent(id).config = Files.write(file, all);
    return file;
  }

  /** Starts {@code id}'s agent with extra JVM options (e.g. {@code -Xmx64m}). */
  Process start(String id, String... jvmOptions) throws IOException {
    Agent a = agent(id);
    Path dir = home.resolve(id);
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + "/bin/java");
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.addAll(List.of(jvmOptions));
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "node",
            a.config.toString()));
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.txt").toFile()))
            .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("console.txt").toFile()))
            .start();
    processes.add(p);
    a.process = p;
    return p;
  }

  /** Starts {@code id} and waits until its status endpoint answers. */
  Process startAndAwaitStatus(String id) throws IOException {
    Process p = start(id);
    awaitOrFail(() -> status(id).code == 0, id + "'s status endpoint", id);
    return p;
  }

  /** Stops {@code id} with SIGTERM and waits for it. */
  void stop(String id) throws InterruptedException {
    Process p = agent(id).process;
    if (p != null) {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError(id + " did not stop on SIGTERM\n" + console(id));
      }
    }
  }

  /** Kills {@code id} with SIGKILL and waits for it. */
  void kill(String id) throws InterruptedException {
    Process p = agent(id).process;
    if (p != null) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** {@code mailcluster status} of one node, as text. */
  Result status(String id) {
    return cli("status", "--address", agent(id).statusAddress());
  }

  /** {@code mailcluster status --json} of one node, parsed; null if it does not answer. */
  JsonNode statusJson(String id) {
    Result r = cli("status", "--address", agent(id).statusAddress(), "--json");
    return r.code() == 0 ? DiagnosticsView.JSON.readTree(r.out()) : null;
  }

  /** Waits until {@code condition} holds; fails with every node's console if it times out. */
  void awaitOrFail(BooleanSupplier condition, String what, String watched) {
    awaitOrFail(condition, what, watched, PATIENCE);
  }

  /** As {@link #awaitOrFail(BooleanSupplier, String, String)}, with its own patience. */
  void awaitOrFail(BooleanSupplier condition, String what, String watched, Duration patience) {
    long end = System.nanoTime() + patience.toNanos();
    while (!condition.getAsBoolean()) {
      Process p = watched == null ? null : agent(watched).process;
      boolean ended = p != null && !p.isAlive();
      if (ended || System.nanoTime() - end > 0) {
        throw new AssertionError(
            what
                + (ended ? " failed: " + watched + "'s process ended" : " timed out")
                + "\n"
                + consoles());
      }
      LockSupport.parkNanos(50_000_000);
    }
  }

  /** Every node's console output, for a failure message. */
  String consoles() {
    StringBuilder logs = new StringBuilder();
    for (String id : agents.keySet()) {
      logs.append("--- ").append(id).append(" ---\n").append(console(id));
    }
    return logs.toString();
  }

  /** What {@code id}'s agent wrote to its console (standard error) so far. */
  String console(String id) {
    return readUtf8(home.resolve(id).resolve("console.txt"));
  }

  /** {@code id}'s log file so far. */
  String log(String id) {
    return readUtf8(home.resolve(id).resolve("mailcluster-" + agent(id).nodeId + ".log"));
  }

  /**
   * Adds agent {@code name}, a second process that runs with {@code of}'s node id and certificate
   * (an operator's copy of a node's configuration), with ports and directories of its own,
   * configured as a secondary of the first node; {@link #configure} changes that.
   */
  Agent twin(String name, String of) throws IOException {
    String primary = agents.keySet().iterator().next();
    Agent twin = new Agent(name, agent(of).nodeId, freePort(), freePort());
    agents.put(name, twin);
    Files.createDirectories(app(name));
    configure(
        name,
        "role = secondary",
        "listen = " + twin.address(),
        "primary = " + agent(primary).address(),
        "status.listen = " + twin.statusAddress());
    return twin;
  }

  /** A file's text in Windows-1252, or "" if it does not exist. */
  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, CP1252) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A file's bytes, or an empty array if it does not exist. */
  static byte[] bytes(Path file) {
    try {
      return Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String readUtf8(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs the CLI in this JVM. */
  static Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Result(code, out.toString(), err.toString());
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    processes.forEach(Process::destroyForcibly);
    for (Process p : processes) {
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
