package org.mailcluster.cli;

import ch.qos.logback.classic.Level;
import java.io.Console;
import java.io.PrintWriter;
import java.util.Objects;
import java.util.Optional;
import org.mailcluster.ClusterException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code mailcluster} command.
 *
 * <p>Exit codes: {@code 0} success (for {@code diff}: no differences); {@code 1} {@code diff} found
 * differences, or {@code clock-check} found a drifting clock or another time zone; {@code 2} the
 * command line is wrong; {@code 3} an input is unreadable or invalid; {@code 4} an unexpected
 * internal error; {@code 5} a node could not be reached, or the cluster did not answer in time;
 * {@code 6} the node agent stopped on a fatal JVM error (out of memory); {@code 7} an action was
 * not confirmed, so nothing was done (the operator answered no, or there was no terminal to ask on
 * and no {@code --yes}). Errors are one line plus a hint; {@code --verbose} adds the stack trace.
 *
 * <pre>{@code
 * java -jar mailcluster.jar diff old/MDaemon.ini new/MDaemon.ini
 * }</pre>
 */
@Command(
    name = "mailcluster",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Configuration clustering for Windows-style mail servers.",
    subcommands = {
      DemoCommand.class,
      NodeCommand.class,
      StatusCommand.class,
      ConfirmCommand.class,
      PromoteCommand.class,
      ResyncCommand.class,
      RollbackCommand.class,
      HistoryCommand.class,
      CertsCommand.class,
      DiffCommand.class,
      RelocateCommand.class,
      ClockCheckCommand.class,
      RecoverCommand.class,
      TourCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success (diff: no differences; clock-check: every clock in step)",
      "1:diff found differences; clock-check found a drifting clock or another time zone",
      "2:the command line is wrong",
      "3:an input is unreadable or invalid",
      "4:unexpected internal error",
      "5:a node could not be reached, or the cluster did not answer in time",
      "6:node: the agent stopped on a fatal JVM error (out of memory)",
      "7:promote, resync, rollback, recover, confirm: not confirmed, nothing was done"
    })
public final class Main implements Runnable {
  /** Exit code: {@code diff} found differences. */
  static final int DIFFERENCES = 1;

  /** Exit code: an input is unreadable or invalid. */
  static final int INPUT_ERROR = 3;

  /** Exit code: an unexpected internal error. */
  static final int INTERNAL_ERROR = 4;

  /** Exit code: a node could not be reached, or the cluster did not answer in time. */
  static final int UNAVAILABLE = 5;

  /** Exit code: the node agent stopped on a fatal JVM error, such as an OutOfMemoryError. */
  static final int FATAL = 6;

  /** Exit code: an action was not confirmed, so nothing was done. */
  static final int NOT_CONFIRMED = 7;

  /**
   * Where an action asks for confirmation: a line read from the operator's terminal, or nothing
   * when there is no terminal to ask on.
   */
  interface Terminal {
    /** Shows {@code prompt} and returns the line typed; empty when there is no terminal. */
    Optional<String> readLine(String prompt);

    /** The process's console, if it has one (standard input and output are a terminal). */
    static Terminal system() {
      return prompt -> {
        Console console = System.console();
        if (console == null) {
          return Optional.empty();
        }
        // End of input (Ctrl-D) is no answer, so no.
        return Optional.of(Objects.requireNonNullElse(console.readLine("%s", prompt), ""));
      };
    }
  }

  private final Terminal terminal;

  Main(Terminal terminal) {
    this.terminal = terminal;
  }

  Terminal terminal() {
    return terminal;
  }

  @Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces with errors.")
  boolean verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given output streams and returns the exit code. */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    return run(args, out, err, Terminal.system());
  }

  /**
   * As {@link #run(String[], PrintWriter, PrintWriter)}, asking for confirmations on {@code
   * terminal}.
   */
  static int run(String[] args, PrintWriter out, PrintWriter err, Terminal terminal) {
    // Until a command says otherwise: warnings and errors on standard error, nothing else.
    Logging.console(Level.WARN);
    CommandLine cl = new CommandLine(new Main(terminal));
    // Descriptions are written in lines of up to 90 characters; do not wrap them again.
    cl.setUsageHelpWidth(100);
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean verbose =
              commandLine.getCommandSpec().root().userObject() instanceof Main m && m.verbose;
          return report(e, commandLine.getErr(), verbose);
        });
    return cl.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private static int report(Exception e, PrintWriter err, boolean verbose) {
    int code;
    String hint;
    if (e instanceof InputException ie) {
      code = ie.exitCode();
      hint = ie.hint();
    } else if (e instanceof ClusterException) {
      code = INPUT_ERROR;
      hint = "see the message above";
    } else {
      code = INTERNAL_ERROR;
      hint = "this is a bug in mailcluster; run again with --verbose and report the output";
    }
    err.println("error: " + e.getMessage());
    err.println("hint: " + hint);
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  /** Reports the version from the jar's manifest, or "development build" outside a jar. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"mailcluster " + (v == null ? "(development build)" : v)};
    }
  }
}
