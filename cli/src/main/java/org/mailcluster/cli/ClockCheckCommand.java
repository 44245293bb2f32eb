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

/** Has a running node check its peers' clocks and time zones now, and shows the result. */
@Command(
    name = "clock-check",
    mixinStandardHelpOptions = true,
    header = "Check every peer's clock offset and time zone from a running node.",
    description = {
      "Have a running node check every other registered server's clock and time zone now",
      "(a few pings each, NTP-style offsets with an error bound of half the round trip), and",
      "show each peer's offset ± bound, round trip, zone and verdict. A clock is DRIFTING",
      "only when |offset| - bound exceeds the node's threshold (1 s by default).",
      "Exits 0 when every clock is in step, 1 when one drifts or runs in another time zone,",
      "5 when no node answers."
    })
final class ClockCheckCommand implements Callable<Integer> {
  @ArgGroup(exclusive = true, multiplicity = "1")
  NodeTarget node;

  @Option(names = "--json", description = "Print the clock states as JSON.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    JsonNode clocks =
        DiagnosticsView.JSON.readTree(node.get(Duration.ofSeconds(20), StatusEndpoint.CLOCKS));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(DiagnosticsView.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(clocks));
    } else {
      ClockView.print(clocks, out, "");
    }
    out.flush();
    return ClockView.anyProblem(clocks) ? Main.DIFFERENCES : 0;
  }
}
