package org.mailcluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status table, from the JSON a node's status endpoint serves. */
class DiagnosticsViewTest {
  private static final String JSON =
      """
      {
        "node": "mx1", "role": "PRIMARY", "epoch": 2,
        "revision": {"epoch": 2, "sequence": 17},
        "primary": "mx1", "initialSyncComplete": true,
        "members": [
          {"id": "mx1", "role": "PRIMARY", "address": "10.0.0.11:7400", "connection": "self",
           "acknowledged": null, "lag": 0, "roundTrip": null},
          {"id": "mx2", "role": "SECONDARY", "address": "10.0.0.12:7400",
           "connection": "disconnected", "acknowledged": {"epoch": 2, "sequence": 12}, "lag": null,
           "roundTrip": "PT0.000412S", "written": {"epoch": 2, "sequence": 10},
           "degraded": {"reason": "its files hold 2:10 but it applied 2:12",
                        "since": "2026-11-24T02:59:00Z"}},
          {"id": "mx3", "role": "SECONDARY", "address": "10.0.0.13:7400",
           "connection": "streaming", "acknowledged": {"epoch": 2, "sequence": 12}, "lag": 5,
           "roundTrip": null, "written": {"epoch": 2, "sequence": 12}, "degraded": null}
        ],
        "degraded": [{"reason": "a file edit could not be committed (No space left on device)",
                      "since": "2026-11-24T02:58:00Z"}],
        "recentEvents": [
          {"at": "2026-11-24T03:00:00Z", "level": "WARN", "message": "mx2 stopped acknowledging"}
        ],
        "certificates": [
          {"name": "mail", "level": "ERROR", "notAfter": "2026-12-01T00:00:00Z",
           "problems": ["expires in 7 days: renew it on the primary"]}
        ],
        "screening": {"policy": "OVERWRITE", "mode": "forwarding", "blocked": 3, "allowed": 1,
                      "localChanges": 0},
        "somethingNewer": {"ignored": true}
      }
      """;

  @Test
  void aTableAnOperatorCanReadAtThreeInTheMorning() {
    StringWriter text = new StringWriter();
    DiagnosticsView.print(DiagnosticsView.JSON.readTree(JSON), new PrintWriter(text, true), "");
    List<String> lines = text.toString().lines().toList();
    assertEquals(
        "node mx1 (PRIMARY), epoch 2, revision 2:17, primary mx1, initial sync complete",
        lines.get(0));
    assertEquals(
        List.of(
            "MEMBER",
            "ROLE",
            "ADDRESS",
            "CONNECTION",
            "ACKNOWLEDGED",
            "LAG",
            "FILES",
            "ROUND",
            "TRIP"),
        List.of(lines.get(1).split("\\s+")));
    // A disconnected member's lag is unknown, never 0; its files are behind what it applied.
    assertEquals(
        List.of(
            "mx2",
            "SECONDARY",
            "10.0.0.12:7400",
            "disconnected",
            "2:12",
            "unknown",
            "2:10",
            "(behind)",
            "0.41",
            "ms"),
        List.of(lines.get(3).split("\\s+")));
    assertEquals(
        List.of("mx3", "SECONDARY", "10.0.0.13:7400", "streaming", "2:12", "5", "2:12", "-"),
        List.of(lines.get(4).split("\\s+")));
    // Columns line up: every value starts where its heading does.
    assertEquals(lines.get(1).indexOf("LAG"), lines.get(3).indexOf(" unknown ") + 1);
    assertEquals(lines.get(1).indexOf("LAG"), lines.get(4).indexOf(" 5 ") + 1);
    assertEquals(lines.get(1).indexOf("FILES"), lines.get(3).indexOf(" 2:10 ") + 1);
    assertTrue(
        text.toString().contains("\nDEGRADED since 2026-11-2")
            && text.toString()
                .contains(": a file edit could not be committed (No space left on device)"),
        text.toString());
    assertTrue(
        text.toString().contains("member mx2 DEGRADED since ")
            && text.toString().contains(": its files hold 2:10 but it applied 2:12"),
        text.toString());
    assertTrue(
        text.toString().contains("screening: forwarding (policy OVERWRITE), 3 blocked, 1 allowed"),
        text.toString());
    assertTrue(
        text.toString().contains("certificate mail: ERROR, valid until 2026-1"), text.toString());
    assertTrue(
        text.toString().contains("; expires in 7 days: renew it on the primary"), text.toString());
    assertTrue(text.toString().contains("recent warnings and errors (newest last):"));
    assertTrue(text.toString().contains("WARN  mx2 stopped acknowledging"), text.toString());
  }

  @Test
  void aHeldBackChangeSaysWhatItWouldDeleteAndHowToConfirm() {
    String json =
        """
        {"node": "mx1", "role": "PRIMARY", "members": [], "recentEvents": [],
         "heldBack": [
           {"file": "MDaemon.ini", "reason": "it deletes every key of MDaemon.ini (2 keys)",
            "changes": [
              {"key": "config/MDaemon.ini/Directories/LockFiles", "oldValue": "L",
               "newValue": null},
              {"key": "config/MDaemon.ini/Directories/PEM", "oldValue": "P",
               "newValue": null}],
            "keysDeleted": 2, "since": "2026-11-24T03:00:00Z"}]}
        """;
    StringWriter text = new StringWriter();
    DiagnosticsView.print(DiagnosticsView.JSON.readTree(json), new PrintWriter(text, true), "");
    String out = text.toString();
    assertTrue(
        out.contains("HELD BACK MDaemon.ini since 2026-11-2")
            && out.contains(": it deletes every key of MDaemon.ini (2 keys)"),
        out);
    assertTrue(
        out.contains(
            "  it would commit 2 changes, deleting 2 keys ([Directories] LockFiles,"
                + " [Directories] PEM)"),
        out);
    assertTrue(
        out.contains(
            "  restore the file to clear it, or confirm: mailcluster confirm --config"
                + " <agent.properties> MDaemon.ini"),
        out);
  }

  @Test
  void aSecondaryThatIsNotSynchronizedSaysWhatItServes() {
    assertEquals(
        "node mx2 (SECONDARY), epoch 1, revision 1:42, primary -, initial sync NOT complete"
            + " (serving the last known configuration, revision 1:42)",
        firstLine("{\"epoch\": 1, \"sequence\": 42}"));
    assertEquals(
        "node mx2 (SECONDARY), epoch 1, revision 0:0, primary -, initial sync NOT complete"
            + " (no configuration yet)",
        firstLine("{\"epoch\": 0, \"sequence\": 0}"));
  }

  private static String firstLine(String revision) {
    String json =
        "{\"node\": \"mx2\", \"role\": \"SECONDARY\", \"epoch\": 1, \"revision\": "
            + revision
            + ", \"primary\": null, \"initialSyncComplete\": false, \"members\": [],"
            + " \"recentEvents\": []}";
    StringWriter text = new StringWriter();
    DiagnosticsView.print(DiagnosticsView.JSON.readTree(json), new PrintWriter(text, true), "");
    return text.toString().lines().findFirst().orElseThrow();
  }
}
