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

/** Promotes a running secondary to primary when the primary is gone for good. */
@Command(
    name = "promote",
    mixinStandardHelpOptions = true,
    header = "Promote a secondary to primary when the primary is gone for good.",
    description = {
      "Promote the secondary that --config (or --address) names: it takes the next epoch,",
      "records the promotion as that epoch's first revision, and the other secondaries follow",
      "it. The promotion is refused while the primary still answers, when another reachable",
      "secondary has revisions this one lacks (the message names it: promote that one), and",
      "when fewer than a majority of the registered servers answer and grant the epoch.",
      "--force skips those checks, for the last server standing. First shows the node's",
      "status and what the promotion will do, then asks (--yes to skip the question).",
      "Exits 0 once promoted, 3 if the node refused (the message says why), 5 if it cannot be",
      "reached or did not finish in time, 7 if not confirmed."
    })
final class PromoteCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  NodeTarget node;

  @Option(
      names = "--force",
      description = "Promote even if the primary may be alive, this node is behind, or alone.")
  boolean force;

  @Mixin Confirmation confirmation;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    node.requireToken();
    JsonNode d = node.diagnostics();
    String id = d.path("node").asString();
    PrintWriter out = spec.commandLine().getOut();
    if (d.path("role").asString().equals("PRIMARY")) {
      throw InputException.of(
          id + " is already the primary, of epoch " + d.path("epoch").asString(),
          "promote a secondary: run the command with that node's --config");
    }
    DiagnosticsView.print(d, out, "  ");
    long next = d.path("epoch").asLong() + 1;
    String primary = d.path("primary").asString("");
    out.printf(
        "%npromote %s to primary: it takes epoch %d (or the next one free), starting from its"
            + " revision %s.%n",
        id, next, DiagnosticsView.revision(d.path("revision")));
    if (force) {
      out.println(
          "FORCED: no check is made. "
              + id
              + " becomes primary even if "
              + (primary.isEmpty() ? "the primary" : primary)
              + " is still alive, even if another secondary holds revisions it lacks (they are"
              + " then saved to that node's divergence directory, not merged) and even if it is"
              + " alone. Use it only when the other servers are gone too, one node at a time.");
    } else {
      out.println(
          "The promotion is refused if "
              + (primary.isEmpty() ? "the primary" : primary)
              + " still answers, if another reachable secondary has revisions "
              + id
              + " lacks, or if fewer than a majority of the registered servers grant the epoch.");
    }
    out.println(
        "The other secondaries then follow "
            + id
            + "; a former primary that comes back becomes a secondary and saves the revisions "
            + id
            + " never received to its divergence directory.");
    confirmation.ask(spec, "Promote " + id + (force ? " without any check" : "") + "?");
    String answer =
        node.post(
            StatusEndpoint.PROMOTION_LIMIT.plusSeconds(15),
            force
                ? "see the node's log"
                : "see `mailcluster status` on the other nodes; --force skips the checks",
            StatusEndpoint.PROMOTE,
            "force",
            Boolean.toString(force));
    String revision = DiagnosticsView.JSON.readTree(answer).path("revision").asString();
    out.printf(
        "%s is the primary now: its epoch begins at revision %s. Roles are durable, so it"
            + " restarts as the primary. Before the old primary starts again, make its"
            + " configuration a secondary's (role = secondary, primary = %s's listen address, no"
            + " servers).%n",
        id, revision, id);
    out.flush();
    return 0;
  }
}
