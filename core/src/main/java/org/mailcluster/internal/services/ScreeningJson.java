package org.mailcluster.internal.services;

import java.time.Instant;
import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.screening.ScreeningVerdict;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * How screening entries and verdicts are written as JSON: a block in the replicated state is {@code
 * {"until", "reason"}}; a verdict the primary answers is {@code {"address", "blocked", "until",
 * "reason", "failures"}}.
 */
final class ScreeningJson {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** A block as stored under {@code screening/blocked/<address>}. */
  record Block(Instant until, String reason) {}

  private ScreeningJson() {}

  static String blockJson(Instant until, String reason) {
    ObjectNode b = JSON.createObjectNode();
    b.put("until", until.toString());
    b.put("reason", reason);
    return JSON.writeValueAsString(b);
  }

  static Block parseBlock(String json) {
    JsonNode n = tree(json);
    return new Block(
        Instant.parse(n.path("until").asString(Instant.EPOCH.toString())),
        n.path("reason").asString("blocked"));
  }

  static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (JacksonException e) {
      throw new ClusterException(
          ErrorCode.CORRUPT_DATA, "a screening entry is not JSON (" + json + ")", e);
    }
  }

  static String writeVerdict(ScreeningVerdict v) {
    ObjectNode o = JSON.createObjectNode();
    o.put("address", v.address());
    o.put("blocked", v.blocked());
    v.until().ifPresent(u -> o.put("until", u.toString()));
    o.put("reason", v.reason());
    o.put("failures", v.failures());
    return JSON.writeValueAsString(o);
  }

  static ScreeningVerdict readVerdict(String json) {
    JsonNode n = tree(json);
    String until = n.path("until").asString("");
    return new ScreeningVerdict(
        n.path("address").asString(),
        n.path("blocked").asBoolean(),
        until.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(until)),
        n.path("reason").asString(""),
        n.path("failures").asInt(0),
        false);
  }
}
