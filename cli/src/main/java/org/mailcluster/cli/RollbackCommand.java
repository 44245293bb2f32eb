package org.mailcluster.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Revision;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** Restores the configuration of an earlier revision on the primary, as a new revision. */
@Command(
    name = "rollback",
    mixinStandardHelpOptions = true,
    header = "Restore an earlier revision's configuration on the primary, as a new revision.",
    description = {
      "Restore the configuration of a revision the primary still keeps (`mailcluster history`",
      "lists them) as a new revision whose origin is rollback:<revision> by <caller>: history",
      "is never rewritten, and the registered servers and epoch records are not rolled back.",
      "The primary writes it into its INI files and every secondary follows. First shows the",
      "diff it will apply, then asks (--yes to skip the question). Ask the primary.",
      "Exits 0 once committed (or when there is nothing to undo), 3 if refused (a secondary,",
      "a revision no longer kept), 5 if the node cannot be reached or did not finish in time,",
      "7 if not confirmed."
    })
final class RollbackCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  NodeTarget node;

  @Option(
      names = "--to",
      required = true,
      paramLabel = "REVISION",
      description = "The revision whose configuration to restore, e.g. 1:40.")
  String to;

  @Option(
      names = "--caller",
      paramLabel = "NAME",
      description = "Who rolls back, for the history (default: cli:<your user name>).")
  String caller;

  @Mixin Confirmation confirmation;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    Revision target;
    try {
      target = Revision.parse(to);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage(), "give it as EPOCH:SEQUENCE, e.g. --to 1:40", e);
    }
    node.requireToken();
    JsonNode d = node.diagnostics();
    String id = d.path("node").asString();
    if (!d.path("role").asString().equals("PRIMARY")) {
      throw InputException.of(
          id + " is a secondary: only the primary rolls back",
          "run the command with the primary's --config (the primary is "
              + d.path("primary").asString("unknown")
              + ")");
    }
    String now = DiagnosticsView.revision(d.path("revision"));
    ConfigDiff diff =
        ConfigDiff.fromJson(
            node.getOrExplain(
                Duration.ofSeconds(10),
                "`mailcluster history` lists the revisions the node keeps",
                StatusEndpoint.DIFF,
                "from",
                now,
                "to",
                target.toString()));
    PrintWriter out = spec.commandLine().getOut();
    if (diff.isEmpty()) {
      out.printf("the configuration at %s already equals %s's: nothing to roll back%n", now, to);
      out.flush();
      return 0;
    }
    out.printf(
        "rollback on %s from revision %s to the configuration of %s: %d change%s, committed as"
            + " a new revision that every secondary follows:%n",
        id, now, target, diff.size(), diff.size() == 1 ? "" : "s");
    diff.render().lines().forEach(l -> out.println("  " + l));
    confirmation.ask(spec, "Apply these " + diff.size() + " change(s) on " + id + "?");
    String answer =
        node.post(
            StatusEndpoint.ROLLBACK_LIMIT.plusSeconds(15),
            "`mailcluster history` lists the revisions the primary keeps",
            StatusEndpoint.ROLLBACK,
            "to",
            target.toString(),
            "caller",
            NodeTarget.caller(caller));
    String revision = DiagnosticsView.JSON.readTree(answer).path("revision").asString();
    out.printf("rolled back to %s's configuration as revision %s%n", target, revision);
    out.flush();
    return 0;
  }
}
