package org.mailcluster.forwarding;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.mailcluster.ClusterService;
import org.mailcluster.internal.services.Forwarder;

/**
 * Sends requests to a {@linkplain ClusterService#registerService named service} on the primary and
 * falls back to a local answer when the primary is unknown, unreachable, or does not answer within
 * the deadline (requirement R18 in docs/REQUIREMENTS.md). A refusal by the service itself (any code
 * but {@code UNAVAILABLE}) is not a reason to fall back: it fails the returned future, as the
 * primary's decision stands.
 *
 * <p>Built only on {@link ClusterService#primary()} and {@link ClusterService#call}, so it works
 * over any transport.
 *
 * <pre>{@code
 * PrimaryForwarding forwarding = PrimaryForwarding.over(cluster);
 * ForwardedAnswer answer =
 *     forwarding.ask("quota", "{\"user\":\"frank\"}", Duration.ofSeconds(2), why -> localQuota("frank")).join();
 * }</pre>
 */
public final class PrimaryForwarding {
  private final ClusterService cluster;

  private PrimaryForwarding(ClusterService cluster) {
    this.cluster = cluster;
  }

  /** Returns a forwarder that asks the primary as {@code cluster} knows it. */
  public static PrimaryForwarding over(ClusterService cluster) {
    return new PrimaryForwarding(requireNonNull(cluster, "cluster"));
  }

  /**
   * Asks {@code service} on the primary; if the primary cannot answer in time, completes with
   * {@code fallback}'s answer, given the reason. On the primary itself the service is called
   * directly.
   *
   * @param service the registered service's name
   * @param payload the request
   * @param deadline how long to wait for the primary
   * @param fallback makes the local answer; its exception fails the returned future
   */
  public CompletableFuture<ForwardedAnswer> ask(
      String service, String payload, Duration deadline, Function<String, String> fallback) {
    requireNonNull(service, "service");
    requireNonNull(payload, "payload");
    requireNonNull(deadline, "deadline");
    requireNonNull(fallback, "fallback");
    return Forwarder.ask(cluster.primary(), cluster::call, service, payload, deadline, fallback);
  }
}
