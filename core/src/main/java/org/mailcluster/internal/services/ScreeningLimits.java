package org.mailcluster.internal.services;

import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a screening operation may carry, from the host API or from a peer: nothing out of range
 * reaches the replicated state, and a refusal names what is wrong in one line.
 */
final class ScreeningLimits {
  // Limits on what a caller may put into the replicated state through screening: an address is an
  // IP address or a host name, a reason a sentence.
  static final int MAX_ADDRESS = 255;
  static final int MAX_REASON = 256;
  static final int MAX_ID = 64;
  static final int MAX_REPLAY = 10_000;
  static final int REPLAY_BATCH = 1000;
  static final Duration MAX_BLOCK = Duration.ofDays(366);
  private static final Set<String> OPERATIONS =
      Set.of("check", "failed-login", "block", "unblock", "allow");

  private ScreeningLimits() {}

  /**
   * Checks a block the host asks for.
   *
   * @throws IllegalArgumentException if it lasts no time or more than {@link #MAX_BLOCK}, or its
   *     reason is longer than {@link #MAX_REASON}
   */
  static void checkBlock(Duration duration, String reason) {
    java.util.Objects.requireNonNull(duration, "duration");
    java.util.Objects.requireNonNull(reason, "reason");
    if (duration.isNegative() || duration.isZero() || duration.compareTo(MAX_BLOCK) > 0) {
      throw new IllegalArgumentException(
          "a block must last a positive time of at most " + MAX_BLOCK + " but was " + duration);
    }
    if (reason.length() > MAX_REASON) {
      throw new IllegalArgumentException(
          "a block's reason must be at most "
              + MAX_REASON
              + " characters but has "
              + reason.length());
    }
  }

  /**
   * The address as screening keeps it: trimmed, lower case.
   *
   * @throws IllegalArgumentException if it cannot be screened
   */
  static String normalize(String address) {
    java.util.Objects.requireNonNull(address, "address");
    String a = address.trim().toLowerCase(Locale.ROOT);
    String problem = addressProblem(a);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return a;
  }

  /** Why {@code address} (normalised) cannot be screened, or null if it can. */
  static String addressProblem(String address) {
    if (address.isEmpty()) {
      return "a screened address must not be blank";
    }
    if (address.length() > MAX_ADDRESS) {
      return "a screened address has at most "
          + MAX_ADDRESS
          + " characters, not "
          + address.length();
    }
    for (int i = 0; i < address.length(); i++) {
      char c = address.charAt(i);
      boolean fits =
          (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == ':'
              || c == '-'
              || c == '_'
              || c == '['
              || c == ']'
              || c == '@';
      if (!fits) {
        return "a screened address is an IP address or a host name, not '"
            + shown(address)
            + "' (character "
            + (i + 1)
            + ")";
      }
    }
    return null;
  }

  private static String shown(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "…";
  }

  /**
   * The screening operation a peer sent, checked as the host API checks its arguments: a refusal
   * names what is wrong in one line, and nothing out of range reaches the replicated state.
   *
   * @throws ClusterException with {@code INVALID_VALUE}
   */
  static ObjectNode checkedOperation(JsonNode op) {
    if (!(op instanceof ObjectNode o)) {
      throw invalid("a screening operation is a JSON object, not " + op.getNodeType());
    }
    String kind = o.path("op").asString("");
    if (!OPERATIONS.contains(kind)) {
      throw invalid("'" + shown(kind) + "' is not a screening operation");
    }
    String address = o.path("address").asString("");
    String problem = addressProblem(address);
    if (problem != null || !address.equals(address.trim().toLowerCase(Locale.ROOT))) {
      throw invalid(problem != null ? problem : "a screened address is sent normalised");
    }
    if (o.path("id").asString("").length() > MAX_ID) {
      throw invalid("a screening operation's id has at most " + MAX_ID + " characters");
    }
    if (kind.equals("block")) {
      long seconds = o.path("seconds").asLong(ScreeningService.BLOCK_DURATION.toSeconds());
      if (seconds <= 0 || seconds > MAX_BLOCK.toSeconds()) {
        throw invalid("a block lasts 1 to " + MAX_BLOCK.toSeconds() + " seconds, not " + seconds);
      }
      if (o.path("reason").asString("").length() > MAX_REASON) {
        throw invalid("a block's reason has at most " + MAX_REASON + " characters");
      }
    }
    return o;
  }

  static ClusterException invalid(String message) {
    return new ClusterException(ErrorCode.INVALID_VALUE, message);
  }
}
