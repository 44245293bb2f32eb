package org.mailcluster.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** Shows a running node's diagnostics, read from its status endpoint. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    header = "Show a running node's diagnostics, as a table or JSON.",
    description = {
      "Show a running node's diagnostics: its role, revision and initial sync, every member",
      "with its connection, acknowledged revision, lag (unknown while it is disconnected),",
      "the revision its files hold and round trip, why the node or a member is DEGRADED",
      "(a write or commit that failed and is retried), and the recent warnings, errors and",
      "recoveries. Asks the node's status endpoint (status.listen in its configuration), on",
      "this machine. Exits 5 when no node answers there."
    })
final class StatusCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  NodeTarget target;

  @Option(names = "--json", description = "Print the diagnostics as JSON.")
  boolean json;

  @Option(
      names = "--timeout",
      defaultValue = "5",
      paramLabel = "SECONDS",
      description = "How long to wait for the node (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    String body = target.get(Duration.ofSeconds(timeoutSeconds), StatusEndpoint.DIAGNOSTICS);
    JsonNode diagnostics;
    try {
      diagnostics = DiagnosticsView.JSON.readTree(body);
    } catch (JacksonException e) {
      throw InputException.unavailable(
          "the node's answer is not JSON", "is this the status address of a mailcluster node?", e);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(
          DiagnosticsView.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(diagnostics));
    } else {
      DiagnosticsView.print(diagnostics, out, "");
    }
    out.flush();
    return 0;
  }
}
