package org.mailcluster.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Confirms a host-file change that the primary held back because it looked like damage (requirement
 * S2 in docs/REQUIREMENTS.md): the running agent then commits it and it replicates.
 */
@Command(
    name = "confirm",
    mixinStandardHelpOptions = true,
    header = "Confirm a held-back change of an INI file, so that it replicates.",
    description = {
      "The primary holds back a change of an INI file that deletes every key of the file or",
      "most of them, leaves a value cut mid-line, or turns the file into text that is not INI:",
      "`mailcluster status` lists it with what it would delete. If the change is intended (the",
      "keys really are to go), confirm it here: the primary commits the file as it is now and",
      "every secondary follows. If the file was damaged, restore it instead; the hold-back",
      "then clears by itself. Ask the primary, with --config, as the user that runs the agent",
      "(the request carries the token in its state directory); a secondary answers with the",
      "primary's name.",
      "Exits 3 when nothing of FILE is held back, 5 when no node answers."
    })
final class ConfirmCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  NodeTarget node;

  @Parameters(
      index = "0",
      paramLabel = "FILE",
      description = "The held-back file, e.g. MDaemon.ini.")
  String file;

  @Option(
      names = "--caller",
      paramLabel = "NAME",
      description = "Who confirms, for the history (default: cli:<your user name>).")
  String caller;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    String who = caller != null ? caller : "cli:" + System.getProperty("user.name", "operator");
    String body =
        node.post(
            Duration.ofSeconds(40),
            "`mailcluster status` on the primary lists what is held back",
            StatusEndpoint.CONFIRM,
            "file",
            file,
            "caller",
            who);
    String revision = DiagnosticsView.JSON.readTree(body).path("revision").asString();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "confirmed the held-back change of %s: committed as revision %s, replicating to every"
            + " secondary%n",
        file, revision);
    out.flush();
    return 0;
  }
}
