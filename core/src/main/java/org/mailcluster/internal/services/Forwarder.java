package org.mailcluster.internal.services;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.forwarding.ForwardedAnswer;
import org.mailcluster.internal.node.NodeLoop;
import org.mailcluster.membership.NodeId;

/**
 * "Ask the primary, fall back locally": the logic behind {@link
 * org.mailcluster.forwarding.PrimaryForwarding}, for hosts and for the node's own services alike. A
 * refusal by the service itself (any code but {@code UNAVAILABLE}) is not a reason to fall back:
 * the primary's decision stands.
 */
public final class Forwarder {
  /** Calls a named service on a node. */
  @FunctionalInterface
  public interface Caller {
    /** Calls {@code service} on {@code target}; the future fails if it cannot answer. */
    CompletableFuture<String> call(
        NodeId target, String service, String payload, Duration deadline);
  }

  private Forwarder() {}

  /**
   * Asks {@code service} on {@code primary} through {@code caller}; if there is no primary or it
   * cannot answer in time, completes with {@code fallback}'s answer, given the reason.
   */
  public static CompletableFuture<ForwardedAnswer> ask(
      Optional<NodeId> primary,
      Caller caller,
      String service,
      String payload,
      Duration deadline,
      Function<String, String> fallback) {
    if (primary.isEmpty()) {
      return local(fallback, "the primary is not known yet (this node has not joined)");
    }
    return caller
        .call(primary.get(), service, payload, deadline)
        .handle(
            (answer, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(ForwardedAnswer.fromPrimary(answer));
              }
              Throwable cause = NodeLoop.unwrap(failure);
              if (cause instanceof ClusterException ce && ce.code() != ErrorCode.UNAVAILABLE) {
                return CompletableFuture.<ForwardedAnswer>failedFuture(ce);
              }
              return local(
                  fallback,
                  "the primary " + primary.get() + " did not answer: " + cause.getMessage());
            })
        .thenCompose(f -> f);
  }

  private static CompletableFuture<ForwardedAnswer> local(
      Function<String, String> fallback, String why) {
    try {
      return CompletableFuture.completedFuture(ForwardedAnswer.local(fallback.apply(why), why));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
