package org.mailcluster.transport.grpc.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.mailcluster.config.Revision;

/**
 * A {@link NodeProcess} running in a child JVM, seen from the test: commands go to its standard
 * input, answers come back one line at a time; {@code stream …} lines, which arrive whenever the
 * child prints them, are kept apart; standard error is kept whole for failure reports.
 */
final class ChildNode implements AutoCloseable {
  private static final String STREAM_PREFIX = "stream ";

  private final String name;
  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
  private final List<String> streamLines = new CopyOnWriteArrayList<>();
  private final List<String> transcript = new CopyOnWriteArrayList<>();
  private final List<String> stderr = new CopyOnWriteArrayList<>();
  private final Thread stdoutReader;
  private final Thread stderrReader;

  private ChildNode(String name, Process process) {
    this.name = name;
    this.process = process;
    this.stdin = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    this.stdoutReader =
        drain(
            process.getInputStream(),
            line -> {
              transcript.add(line);
              if (line.startsWith(STREAM_PREFIX)) {
                streamLines.add(line.substring(STREAM_PREFIX.length()));
              } else {
                answers.add(line);
              }
            },
            name + "-stdout");
    this.stderrReader = drain(process.getErrorStream(), stderr::add, name + "-stderr");
  }

  /** Starts {@code java -cp <this JVM's class path> NodeProcess <arguments>}. */
  static ChildNode start(String name, List<String> arguments) {
    return start(name, List.of(), arguments);
  }

  /** Starts {@code java <jvmOptions> -cp <this JVM's class path> NodeProcess <arguments>}. */
  static ChildNode start(String name, List<String> jvmOptions, List<String> arguments) {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + "/bin/java");
    command.addAll(jvmOptions);
    // Small, quick-starting JVMs: the machine has two cores for three nodes and the test.
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-Dorg.slf4j.simpleLogger.log.mailcluster.cluster=info");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(NodeProcess.class.getName());
    command.addAll(arguments);
    try {
      return new ChildNode(name, new ProcessBuilder(command).start());
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + name + ": " + command, e);
    }
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  Process process() {
    return process;
  }

  /** Waits for the next answer line; fails naming the command if none comes in time. */
  String next(String what, Duration timeout) {
    try {
      String line = answers.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError(
            name
                + " gave no answer to '"
                + what
                + "' within "
                + timeout
                + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")"));
      }
      return line;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + name, e);
    }
  }

  /** Sends a command and returns its (first) answer line. */
  String ask(String command, Duration timeout) {
    send(command);
    return next(command, timeout);
  }

  /** Sends a command whose answer is several lines closed by {@code end <n>}; returns them all. */
  List<String> askLines(String command, Duration timeout) {
    send(command);
    List<String> lines = new ArrayList<>();
    while (true) {
      String line = next(command, timeout);
      if (line.startsWith("end ")) {
        return lines;
      }
      lines.add(line);
    }
  }

  void send(String command) {
    try {
      stdin.write(command + "\n");
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("could not send '" + command + "' to " + name, e);
    }
  }

  /** The {@code stream …} lines printed so far (without the prefix). */
  List<String> streamLines() {
    return List.copyOf(streamLines);
  }

  /** Every line of standard output so far. */
  List<String> transcript() {
    return List.copyOf(transcript);
  }

  /** Every line of standard error so far. */
  List<String> stderr() {
    return List.copyOf(stderr);
  }

  /**
   * Waits until the child's output streams are closed (it has exited and everything it printed has
   * been read).
   */
  void awaitOutputDrained(Duration timeout) {
    try {
      stdoutReader.join(timeout.toMillis());
      stderrReader.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Kills the child with SIGKILL, checks that the signal is what ended it (exit status 128 + 9, not
   * a shutdown of its own; Windows has no signals, and there status 1 from TerminateProcess), and
   * waits until everything it printed has been read.
   */
  void killMinusNine(Duration timeout) throws InterruptedException {
    long pid = process.pid();
    process.destroyForcibly();
    assertTrue(process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS), name + " did not die");
    assertEquals(
        System.getProperty("os.name").startsWith("Windows") ? 1 : 137,
        process.exitValue(),
        name + "'s exit status");
    assertFalse(
        ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
        "process " + pid + " still runs");
    awaitOutputDrained(timeout);
  }

  /** Asks the child for the revision its node has committed or applied. */
  Revision revision(Duration timeout) {
    String answer = ask("revision", timeout);
    assertTrue(answer.startsWith("revision "), name + " answered " + answer);
    return Revision.parse(answer.substring("revision ".length()));
  }

  /** Kills the child if it still runs, and waits for it. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread drain(InputStream in, Consumer<String> sink, String threadName) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  sink.accept(line);
                }
              } catch (IOException e) {
                sink.accept("(output unreadable: " + e + ")");
              }
            },
            threadName);
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
