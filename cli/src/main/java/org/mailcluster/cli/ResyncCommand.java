package org.mailcluster.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** Forces a full resynchronization of a secondary from the primary's state. */
@Command(
    name = "resync",
    mixinStandardHelpOptions = true,
    header = "Replace a secondary's state with a full copy of the primary's.",
    description = {
      "Force a full resynchronization of --node: the primary sends it a whole snapshot of its",
      "state, which the node installs atomically in place of its own and writes into its INI",
      "files; its history starts again at the snapshot. Ask the primary (for any secondary)",
      "or the node itself (which then asks its primary). Divergence repair does the same by",
      "itself when a node's fingerprint differs; this is for when the operator knows better.",
      "First shows what will be replaced, then asks (--yes to skip the question).",
      "Exits 0 once done (on the primary: once the node acknowledged the snapshot), 3 if",
      "refused, 5 if the node cannot be reached or did not finish in time, 7 if not confirmed."
    })
final class ResyncCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  NodeTarget node;

  @Option(
      names = "--node",
      required = true,
      paramLabel = "NODE",
      description = "The secondary to resynchronize, e.g. mx2.")
  String target;

  @Mixin Confirmation confirmation;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    node.requireToken();
    JsonNode d = node.diagnostics();
    String asked = d.path("node").asString();
    boolean onPrimary = d.path("role").asString().equals("PRIMARY");
    PrintWriter out = spec.commandLine().getOut();
    if (onPrimary && asked.equals(target)) {
      throw InputException.of(
          target + " is the primary: its state is the one the others copy",
          "name a secondary with --node");
    }
    JsonNode member = null;
    for (JsonNode m : d.path("members")) {
      if (m.path("id").asString().equals(target)) {
        member = m;
      }
    }
    if (member == null) {
      throw InputException.of(
          target + " is not a registered server of " + asked + "'s cluster",
          "`mailcluster status` lists the members");
    }
    DiagnosticsView.print(d, out, "  ");
    String primary = onPrimary ? asked : d.path("primary").asString("the primary");
    out.printf(
        "%nresync %s: %s sends it a full snapshot of its state (now at revision %s). %s replaces"
            + " its whole state (it acknowledged %s) with it and rewrites its INI files from it:"
            + " an edit made only on %s is overwritten, and its history starts again at the"
            + " snapshot.%n",
        target,
        primary,
        onPrimary ? DiagnosticsView.revision(d.path("revision")) : "its newest",
        target,
        DiagnosticsView.revision(member.path("acknowledged")),
        target);
    confirmation.ask(spec, "Replace " + target + "'s state with " + primary + "'s?");
    node.post(
        StatusEndpoint.RESYNC_LIMIT.plusSeconds(15),
        "see `mailcluster status` on the primary",
        StatusEndpoint.RESYNC,
        "node",
        target);
    out.printf(
        "%s was resynchronized from %s%n",
        target,
        onPrimary || asked.equals(target)
            ? primary
            : primary + " (the primary accepted the request)");
    out.flush();
    return 0;
  }
}
