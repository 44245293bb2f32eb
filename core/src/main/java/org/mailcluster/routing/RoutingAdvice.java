package org.mailcluster.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Which nodes may serve one protocol, and whether the load balancer must keep a client on the node
 * it first reached.
 *
 * <pre>{@code
 * RoutingAdvice http = cluster.routing().advice(Protocol.HTTP);
 * lb.pool("webmail", http.nodes(), http.sticky());
 * }</pre>
 *
 * @param protocol the protocol
 * @param nodes the node ids that may serve it, primary first
 * @param sticky whether sessions must stay on one node
 * @param reason why, for the administrator
 */
public record RoutingAdvice(Protocol protocol, List<String> nodes, boolean sticky, String reason) {
  /** Copies the list. */
  public RoutingAdvice {
    requireNonNull(protocol, "protocol");
    requireNonNull(reason, "reason");
    nodes = List.copyOf(nodes);
  }
}
