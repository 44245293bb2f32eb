package org.mailcluster.forwarding;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The answer to a request sent through {@link PrimaryForwarding}: from the primary, or made locally
 * because the primary could not be reached.
 *
 * <pre>{@code
 * ForwardedAnswer a = forwarding.ask("quota", json, Duration.ofSeconds(2), why -> localQuota(json)).join();
 * if (a.local()) log.warn("answered locally: " + a.whyLocal().orElseThrow());
 * }</pre>
 *
 * @param payload the answer
 * @param local whether it was made locally
 * @param whyLocal why the primary was not asked or did not answer, if local
 */
public record ForwardedAnswer(String payload, boolean local, Optional<String> whyLocal) {
  /** Checks the parts. */
  public ForwardedAnswer {
    requireNonNull(payload, "payload");
    requireNonNull(whyLocal, "whyLocal");
  }

  /** Returns an answer from the primary. */
  public static ForwardedAnswer fromPrimary(String payload) {
    return new ForwardedAnswer(payload, false, Optional.empty());
  }

  /** Returns an answer made locally, for the reason given. */
  public static ForwardedAnswer local(String payload, String why) {
    return new ForwardedAnswer(payload, true, Optional.of(why));
  }
}
