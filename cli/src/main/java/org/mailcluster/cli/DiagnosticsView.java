package org.mailcluster.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mailcluster.Diagnostics;
import org.mailcluster.config.SettingKey;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Renders a node's {@link Diagnostics} for a person. It works on the JSON form, the one the node's
 * status endpoint serves, so that the demo (which holds the record) and {@code status} (which reads
 * it over HTTP) print the same table from the same data.
 */
final class DiagnosticsView {
  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
          .withZone(ZoneId.systemDefault());

  private DiagnosticsView() {}

  static JsonNode toJson(Diagnostics diagnostics) {
    return JSON.valueToTree(diagnostics);
  }

  static String toJsonText(Diagnostics diagnostics) {
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(diagnostics);
  }

  /** Prints a summary line, the members table and the recent events, each line indented. */
  static void print(JsonNode d, PrintWriter out, String indent) {
    out.printf(
        "%snode %s (%s), epoch %s, revision %s, primary %s, initial sync %s%n",
        indent,
        text(d.path("node")),
        text(d.path("role")),
        text(d.path("epoch")),
        revision(d.path("revision")),
        text(d.path("primary")),
        syncState(d));
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "MEMBER", "ROLE", "ADDRESS", "CONNECTION", "ACKNOWLEDGED", "LAG", "FILES", "ROUND TRIP"
        });
    for (JsonNode m : d.path("members")) {
      rows.add(
          new String[] {
            text(m.path("id")),
            text(m.path("role")),
            text(m.path("address")),
            text(m.path("connection")),
            revision(m.path("acknowledged")),
            lag(m),
            files(m),
            roundTrip(m.path("roundTrip"))
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
        line.append(i == row.length - 1 ? row[i] : pad(row[i], width[i] + 2));
      }
      out.println(line.toString().stripTrailing());
    }
    for (JsonNode x : d.path("degraded")) {
      out.printf(
          "%sDEGRADED since %s: %s%n", indent, time(x.path("since")), text(x.path("reason")));
    }
    for (JsonNode m : d.path("members")) {
      JsonNode x = m.path("degraded");
      if (x.isObject()) {
        out.printf(
            "%smember %s DEGRADED since %s: %s%n",
            indent, text(m.path("id")), time(x.path("since")), text(x.path("reason")));
      }
    }
    JsonNode screening = d.path("screening");
    if (screening.isObject()) {
      out.printf(
          "%sscreening: %s (policy %s), %s blocked, %s allowed, %s local changes%n",
          indent,
          text(screening.path("mode")),
          text(screening.path("policy")),
          text(screening.path("blocked")),
          text(screening.path("allowed")),
          text(screening.path("localChanges")));
    }
    for (JsonNode c : d.path("certificates")) {
      out.printf(
          "%scertificate %s: %s, valid until %s%s%n",
          indent,
          text(c.path("name")),
          text(c.path("level")),
          time(c.path("notAfter")),
          c.path("problems").isEmpty() ? "" : "; " + joined(c.path("problems")));
    }
    for (JsonNode h : d.path("heldBack")) {
      List<String> deleted = new ArrayList<>();
      for (JsonNode c : h.path("changes")) {
        if (c.path("newValue").isMissingNode() || c.path("newValue").isNull()) {
          deleted.add(displayName(text(c.path("key"))));
        }
      }
      out.printf(
          "%sHELD BACK %s since %s: %s%n",
          indent, text(h.path("file")), time(h.path("since")), text(h.path("reason")));
      out.printf(
          "%s  it would commit %s change%s, deleting %s key%s%s%n",
          indent,
          h.path("changes").size(),
          h.path("changes").size() == 1 ? "" : "s",
          h.path("keysDeleted").asInt(),
          h.path("keysDeleted").asInt() == 1 ? "" : "s",
          deleted.isEmpty()
              ? ""
              : " ("
                  + String.join(", ", deleted.subList(0, Math.min(5, deleted.size())))
                  + (deleted.size() > 5 ? ", …" : "")
                  + ")");
      out.printf(
          "%s  restore the file to clear it, or confirm: mailcluster confirm --config"
              + " <agent.properties> %s%n",
          indent, text(h.path("file")));
    }
    JsonNode events = d.path("recentEvents");
    if (events.isEmpty()) {
      out.printf("%sno recent warnings or errors%n", indent);
    } else {
      out.printf("%srecent warnings and errors (newest last):%n", indent);
      for (JsonNode e : events) {
        out.printf(
            "%s  %s %-5s %s%n",
            indent, time(e.path("at")), text(e.path("level")), text(e.path("message")));
      }
    }
  }

  /** The initial sync's state; a secondary that has not synchronized may serve an older state. */
  private static String syncState(JsonNode d) {
    if (d.path("initialSyncComplete").asBoolean()) {
      return "complete";
    }
    String at = revision(d.path("revision"));
    return at.equals("0:0") || at.equals("-")
        ? "NOT complete (no configuration yet)"
        : "NOT complete (serving the last known configuration, revision " + at + ")";
  }

  /** The lag, or {@code unknown} (e.g. disconnected: it may be far behind by now, not at 0). */
  private static String lag(JsonNode m) {
    JsonNode lag = m.path("lag");
    return lag.isNumber() ? lag.asString() : "unknown";
  }

  /** What the member wrote to its host's files: a revision, and whether that is behind. */
  private static String files(JsonNode m) {
    JsonNode written = m.path("written");
    if (written.isMissingNode() || written.isNull()) {
      return "-";
    }
    String at = revision(written);
    return m.path("degraded").isObject() ? at + " (behind)" : at;
  }

  /** A state key as an operator reads it: {@code [Section] Key} for an INI file's key. */
  private static String displayName(String key) {
    try {
      return SettingKey.parse(key).displayName();
    } catch (IllegalArgumentException e) {
      return key;
    }
  }

  private static String joined(JsonNode array) {
    List<String> parts = new ArrayList<>();
    array.forEach(p -> parts.add(text(p)));
    return String.join("; ", parts);
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }

  private static String text(JsonNode n) {
    return n.isMissingNode() || n.isNull() ? "-" : n.asString();
  }

  /** A revision as {@code epoch:sequence}, whichever form the JSON has it in. */
  static String revision(JsonNode n) {
    if (n.isObject() && n.has("epoch") && n.has("sequence")) {
      return n.path("epoch").asLong() + ":" + n.path("sequence").asLong();
    }
    return text(n);
  }

  private static String roundTrip(JsonNode n) {
    if (n.isMissingNode() || n.isNull()) {
      return "-";
    }
    double seconds;
    if (n.isNumber()) {
      seconds = n.asDouble();
    } else {
      try {
        Duration d = Duration.parse(n.asString());
        seconds = d.getSeconds() + d.getNano() / 1e9;
      } catch (DateTimeParseException e) {
        return n.asString();
      }
    }
    return String.format(Locale.ROOT, "%.2f ms", seconds * 1000);
  }

  static String time(JsonNode n) {
    if (n.isMissingNode() || n.isNull()) {
      return "-";
    }
    if (n.isNumber()) {
      double seconds = n.asDouble();
      return TIME.format(Instant.ofEpochSecond((long) seconds));
    }
    try {
      return TIME.format(Instant.parse(n.asString()));
    } catch (DateTimeParseException e) {
      return text(n);
    }
  }
}
