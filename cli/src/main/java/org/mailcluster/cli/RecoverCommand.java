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

/** Rebuilds a running primary whose state was lost from the most up-to-date registered server. */
@Command(
    name = "recover",
    mixinStandardHelpOptions = true,
    header = "Rebuild a primary whose state was lost, from the newest registered server.",
    description = {
      "A primary whose state directory was lost, or restored from an old copy, is refused by",
      "the secondaries that hold newer state and serves no one (its status says so). This",
      "copies the whole state and history of the registered server with the newest state (or",
      "of --from), checks the copy, saves the primary's own state to its divergence directory,",
      "installs the copy and writes it into the primary's INI files; the secondaries then",
      "follow it again. Run it on the primary's machine, as the user that runs the node.",
      "First shows what it will do, then asks (--yes to skip the question).",
      "Exits 0 once recovered, 3 if the node refused (the message says why), 5 if it cannot",
      "be reached or did not finish in time, 7 if not confirmed."
    })
final class RecoverCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  NodeTarget node;

  @Option(
      names = "--from",
      paramLabel = "NODE",
      description = "The registered server to copy from (default: the one with the newest state).")
  String from;

  @Option(
      names = "--caller",
      paramLabel = "NAME",
      description = "Who recovers, for the history (default: cli:<your user name>).")
  String caller;

  @Mixin Confirmation confirmation;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    node.requireToken();
    JsonNode d = node.diagnostics();
    String id = d.path("node").asString();
    PrintWriter out = spec.commandLine().getOut();
    DiagnosticsView.print(d, out, "  ");
    out.printf(
        "%nrecover %s from %s: copy that server's whole state and history, check it against its"
            + " fingerprint, save %s's own state (revision %s) to its divergence directory,"
            + " install the copy and write it into %s's INI files, then serve in a new epoch"
            + " granted by a majority. The secondaries follow it again.%n",
        id,
        from == null ? "the registered server with the newest state" : from,
        id,
        DiagnosticsView.revision(d.path("revision")),
        id);
    confirmation.ask(spec, "Replace " + id + "'s state with the copy?");
    String who = NodeTarget.caller(caller);
    String answer =
        from == null
            ? node.post(
                StatusEndpoint.RECOVERY_LIMIT.plusMinutes(1),
                "see `mailcluster status`",
                StatusEndpoint.RECOVER,
                "caller",
                who)
            : node.post(
                StatusEndpoint.RECOVERY_LIMIT.plusMinutes(1),
                "see `mailcluster status`",
                StatusEndpoint.RECOVER,
                "from",
                from,
                "caller",
                who);
    String revision = DiagnosticsView.JSON.readTree(answer).path("revision").asString();
    out.println(
        "recovered at revision "
            + revision
            + (from == null ? " from the newest registered server" : " from " + from)
            + "; the node's own state was saved to its divergence directory");
    out.flush();
    return 0;
  }
}
