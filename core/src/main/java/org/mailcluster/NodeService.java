package org.mailcluster;

import java.util.concurrent.CompletableFuture;
import org.mailcluster.transport.PeerIdentity;

/**
 * A named service that other nodes call through {@link ClusterService#call}: dynamic screening on
 * the primary, the shared-storage probe on every node, and the host's own services. It runs on the
 * node's single logical thread, so it must answer quickly and must not block; slow work completes
 * the returned future later.
 *
 * <pre>{@code
 * cluster.registerService("echo", (from, payload) -> CompletableFuture.completedFuture(payload));
 * String answer = other.call(NodeId.of("mx1"), "echo", "hello", Duration.ofSeconds(2)).join();
 * }</pre>
 */
@FunctionalInterface
public interface NodeService {
  /**
   * Answers one request.
   *
   * @param from the calling node, as the transport established it
   * @param payload the request, typically JSON
   * @return the answer; fail it with a {@link ClusterException} to refuse the request (the caller
   *     sees the same code and message)
   */
  CompletableFuture<String> handle(PeerIdentity from, String payload);
}
