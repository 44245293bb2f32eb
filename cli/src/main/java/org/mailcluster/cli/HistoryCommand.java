package org.mailcluster.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** Lists the revisions a running node keeps: when, by whom or what, and how many changes. */
@Command(
    name = "history",
    mixinStandardHelpOptions = true,
    header = "List the configuration revisions a running node keeps.",
    description = {
      "List the configuration revisions a running node keeps, oldest first: each with when it",
      "was committed, its origin (api:<caller>, file edit, membership:…, rollback:…,",
      "promotion …) and its number of changes. `mailcluster diff --config CONFIG A B` shows",
      "what changed between two of them. Exits 5 when no node answers."
    })
final class HistoryCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  NodeTarget node;

  @Option(
      names = "--last",
      defaultValue = "20",
      paramLabel = "N",
      description = "Show only the last N revisions (default: ${DEFAULT-VALUE}; 0 for all).")
  int last;

  @Option(names = "--json", description = "Print the revisions as JSON.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    String body = node.get(Duration.ofSeconds(10), StatusEndpoint.HISTORY);
    PrintWriter out = spec.commandLine().getOut();
    JsonNode rows = DiagnosticsView.JSON.readTree(body);
    if (json) {
      out.println(DiagnosticsView.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
      out.flush();
      return 0;
    }
    int skip = last <= 0 ? 0 : Math.max(0, rows.size() - last);
    if (skip > 0) {
      out.printf("(%d older revisions not shown; --last 0 shows all)%n", skip);
    }
    out.printf("%-10s %-19s  %7s  %s%n", "REVISION", "COMMITTED", "CHANGES", "ORIGIN");
    for (int i = skip; i < rows.size(); i++) {
      JsonNode r = rows.get(i);
      out.printf(
          "%-10s %-19s  %7s  %s%n",
          r.path("revision").asString(),
          DiagnosticsView.time(r.path("committedAt")),
          r.path("changes").asString(),
          r.path("origin").asString());
    }
    if (rows.isEmpty()) {
      out.println("(no revisions kept yet)");
    }
    out.flush();
    return 0;
  }
}
