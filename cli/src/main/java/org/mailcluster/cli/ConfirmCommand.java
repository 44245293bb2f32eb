package org.mailcluster.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.mailcluster.ClusterException;
import org.mailcluster.config.ConfigDiff;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

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
      "First shows the change, then asks (--yes to skip the question).",
      "Exits 3 when nothing of FILE is held back, 5 when no node answers, 7 if not confirmed."
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

  @Mixin Confirmation confirmation;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    node.requireToken();
    JsonNode d = node.diagnostics();
    String id = d.path("node").asString();
    JsonNode held = null;
    for (JsonNode h : d.path("heldBack")) {
      if (h.path("file").asString().equalsIgnoreCase(file)) {
        held = h;
      }
    }
    if (held == null) {
      throw InputException.of(
          d.path("role").asString().equals("PRIMARY")
              ? "nothing of " + file + " is held back on " + id
              : id
                  + " is a secondary, which holds nothing back: confirm on the primary "
                  + d.path("primary").asString("(unknown)"),
          "`mailcluster status` on the primary lists what is held back");
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "confirm on %s the held-back change of %s (%s): commit the file as it is now, %d"
            + " change%s deleting %d key%s, and every secondary follows:%n",
        id,
        held.path("file").asString(),
        held.path("reason").asString(),
        held.path("changes").size(),
        held.path("changes").size() == 1 ? "" : "s",
        held.path("keysDeleted").asInt(),
        held.path("keysDeleted").asInt() == 1 ? "" : "s");
    ConfigDiff changes;
    try {
      changes = ConfigDiff.fromJson(DiagnosticsView.JSON.writeValueAsString(held.path("changes")));
    } catch (ClusterException e) {
      changes = ConfigDiff.of(List.of()); // an agent of another version: the summary must do
    }
    changes.render().lines().limit(40).forEach(l -> out.println("  " + l));
    if (changes.size() > 40) {
      out.printf("  … and %d more%n", changes.size() - 40);
    }
    confirmation.ask(spec, "Commit the held-back change of " + file + "?");
    String body =
        node.post(
            StatusEndpoint.CONFIRM_LIMIT.plusSeconds(10),
            "`mailcluster status` on the primary lists what is held back",
            StatusEndpoint.CONFIRM,
            "file",
            file,
            "caller",
            NodeTarget.caller(caller));
    String revision = DiagnosticsView.JSON.readTree(body).path("revision").asString();
    out.printf(
        "confirmed the held-back change of %s: committed as revision %s, replicating to every"
            + " secondary%n",
        file, revision);
    out.flush();
    return 0;
  }
}
