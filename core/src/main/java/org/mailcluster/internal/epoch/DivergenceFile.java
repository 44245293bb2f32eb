package org.mailcluster.internal.epoch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.internal.io.AtomicWriter;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the revisions a fenced-off primary committed that the new primary never received
 * (requirement B3 in docs/REQUIREMENTS.md), so that an operator can re-apply them by hand: never
 * merged, never lost. One JSON file per demotion, replaced atomically (temporary file, fsync,
 * atomic rename, directory fsync), so a crash leaves either no file or the whole one; writing it
 * again after a crash gives the same name and content.
 *
 * <p>Format: {@code {"node", "epoch", "newEpoch", "newPrimary", "savedAt", "revisions":
 * [{"revision", "committedAt", "origin", "changes": [{"key","oldValue","newValue"}…]}…],
 * "stateRevision", "stateFingerprint", "state": {key: value…}}}: the diverged revisions with their
 * diffs, and the node's whole replicated state at the last of them.
 */
public final class DivergenceFile {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private DivergenceFile() {}

  /** Returns the file name for a demotion from {@code epoch} at {@code lastRevision}. */
  static String fileName(long epoch, String lastRevision) {
    return "divergence-epoch" + epoch + "-" + lastRevision.replace(':', '_') + ".json";
  }

  public static Path write(
      Path directory,
      NodeId node,
      long epoch,
      long newEpoch,
      String newPrimary,
      Instant savedAt,
      List<LogEntry> revisions,
      ConfigSnapshot state)
      throws IOException {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("node", node.value());
    doc.put("epoch", epoch);
    doc.put("newEpoch", newEpoch);
    doc.put("newPrimary", newPrimary);
    doc.put("savedAt", savedAt.toString());
    List<Map<String, Object>> revs = new ArrayList<>();
    for (LogEntry e : revisions) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("revision", e.revision().toString());
      r.put("committedAt", e.committedAt().toString());
      r.put("origin", e.origin());
      r.put("changes", JSON.readTree(e.diff().toJson()));
      revs.add(r);
    }
    doc.put("revisions", revs);
    doc.put("stateRevision", state.revision().toString());
    doc.put("stateFingerprint", state.fingerprint().toString());
    doc.put("state", new LinkedHashMap<>(state.asMap()));
    byte[] bytes =
        JSON.writerWithDefaultPrettyPrinter()
            .writeValueAsString(doc)
            .getBytes(StandardCharsets.UTF_8);
    Files.createDirectories(directory);
    Path target = directory.resolve(fileName(epoch, state.revision().toString()));
    // The file holds the whole state, private keys of imported certificates among them.
    AtomicWriter.durable()
        .withPermissions(AtomicWriter.Permissions.OWNER_ONLY)
        .write(target, bytes);
    return target;
  }
}
