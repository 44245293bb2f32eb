package org.mailcluster.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mailcluster.clock.ClockState;
import tools.jackson.databind.JsonNode;

/**
 * Renders clock states (requirements R26 and B7 in docs/REQUIREMENTS.md) for a person: offset ±
 * bound, round trip, zone, verdict.
 */
final class ClockView {
  private ClockView() {}

  static void print(List<ClockState> clocks, PrintWriter out, String indent) {
    JsonNode tree = DiagnosticsView.JSON.valueToTree(clocks);
    print(tree, out, indent);
  }

  /** Prints a table of the JSON form, the one the status endpoint serves. */
  static void print(JsonNode clocks, PrintWriter out, String indent) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"PEER", "OFFSET", "± BOUND", "ROUND TRIP", "ZONE", "VERDICT"});
    for (JsonNode c : clocks) {
      rows.add(
          new String[] {
            c.path("node").asString(),
            millis(c.path("offset"), true),
            millis(c.path("errorBound"), false),
            millis(c.path("roundTrip"), false),
            c.path("zone").isNull() || c.path("zone").isMissingNode()
                ? "-"
                : c.path("zone").asString()
                    + (c.path("utcOffset").isNull()
                        ? ""
                        : " (" + c.path("utcOffset").asString() + ")"),
            verdict(c)
          });
    }
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder(indent);
      for (int i = 0; i < row.length; i++) {
        line.append(row[i]);
        if (i < row.length - 1) {
          line.append(" ".repeat(width[i] - row[i].length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
    if (clocks.isEmpty()) {
      out.println(indent + "(no other registered server to check)");
    }
  }

  /** Whether any peer's clock drifts beyond the threshold or runs in another time zone. */
  static boolean anyProblem(JsonNode clocks) {
    for (JsonNode c : clocks) {
      if (c.path("drifting").asBoolean() || c.path("zoneDiffers").asBoolean()) {
        return true;
      }
    }
    return false;
  }

  private static String verdict(JsonNode c) {
    if (c.path("offset").isNull() || c.path("offset").isMissingNode()) {
      return "no answer";
    }
    List<String> problems = new ArrayList<>();
    if (c.path("drifting").asBoolean()) {
      problems.add("DRIFTING");
    }
    if (c.path("zoneDiffers").asBoolean()) {
      problems.add("OTHER TIME ZONE");
    }
    return problems.isEmpty() ? "in step" : String.join(", ", problems);
  }

  private static String millis(JsonNode n, boolean signed) {
    if (n.isNull() || n.isMissingNode()) {
      return "-";
    }
    Duration d;
    if (n.isNumber()) {
      d = Duration.ofNanos((long) (n.asDouble() * 1e9));
    } else {
      d = Duration.parse(n.asString());
    }
    double ms = d.toNanos() / 1e6;
    return String.format(Locale.ROOT, signed ? "%+.2f ms" : "%.2f ms", ms);
  }
}
