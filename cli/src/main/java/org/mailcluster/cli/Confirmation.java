package org.mailcluster.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code --yes}, and the question an action asks before it acts: the command first prints what it
 * will do, then asks on the terminal. Only {@code yes} (or {@code y}) goes ahead; anything else,
 * and a missing terminal without {@code --yes}, ends the command with {@link Main#NOT_CONFIRMED}
 * and nothing done.
 */
final class Confirmation {
  @Option(
      names = {"-y", "--yes"},
      description = "Act without asking (for scripts; the plan is printed all the same).")
  boolean yes;

  /**
   * Returns once the operator agreed to {@code question} (or gave {@code --yes}); throws otherwise.
   */
  void ask(CommandSpec spec, String question) {
    PrintWriter out = spec.commandLine().getOut();
    out.flush();
    if (yes) {
      return;
    }
    Main.Terminal terminal =
        spec.root().userObject() instanceof Main main ? main.terminal() : Main.Terminal.system();
    Optional<String> answer = terminal.readLine(question + " [yes/no] ");
    if (answer.isEmpty()) {
      throw new InputException(
          spec.name() + " needs a confirmation, but there is no terminal to ask on",
          "read the plan above, then run the command again with --yes to act without asking",
          null,
          Main.NOT_CONFIRMED);
    }
    String a = answer.get().strip().toLowerCase(Locale.ROOT);
    if (!a.equals("yes") && !a.equals("y")) {
      throw new InputException(
          "not confirmed: nothing was done",
          "answer yes to go ahead, or give --yes",
          null,
          Main.NOT_CONFIRMED);
    }
  }
}
