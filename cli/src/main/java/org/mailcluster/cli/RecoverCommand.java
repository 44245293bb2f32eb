package org.mailcluster.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
      "Exits 0 once recovered, 3 if the node refused (the message says why), 5 if it cannot",
      "be reached."
    })
final class RecoverCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  NodeTarget node;

  @Option(
      names = "--from",
      paramLabel = "NODE",
      description = "The registered server to copy from (default: the one with the newest state).")
  String from;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    String answer =
        from == null
            ? node.post(Duration.ofMinutes(3), "see `mailcluster status`", StatusEndpoint.RECOVER)
            : node.post(
                Duration.ofMinutes(3),
                "see `mailcluster status`",
                StatusEndpoint.RECOVER,
                "from",
                from);
    String revision = DiagnosticsView.JSON.readTree(answer).path("revision").asString();
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        "recovered at revision "
            + revision
            + (from == null ? " from the newest registered server" : " from " + from)
            + "; the node's own state was saved to its divergence directory");
    out.flush();
    return 0;
  }
}
