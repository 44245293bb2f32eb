package org.mailcluster.internal.services;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;
import org.mailcluster.ClusterListener;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.NodeService;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.node.NodeLoop;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;

/**
 * What the services built into a node may use of it: its state, its role, the registered servers,
 * commits, calls to peers and its event log. Everything else of the node core stays out of their
 * reach. Methods other than the read-only ones are called on the node's loop.
 */
public interface NodeContext {
  /** The node's loop, for work that must run on it. */
  NodeLoop loop();

  /** The node's role now. */
  Role role();

  /** The current primary: this node, the one it streams from, or empty while it knows none. */
  Optional<NodeId> primary();

  /** Where the primary is: this node's address on the primary, else as the secondary knows it. */
  Optional<NodeAddress> primaryAddress();

  /** The registered servers, this node included. */
  List<Member> members();

  /** The state this node applied last. */
  ConfigSnapshot configuration();

  /** The highest epoch this node has seen. */
  long epoch();

  /** Whether the node is shutting down. */
  boolean isClosing();

  /** Commits a change on the primary; fails with {@code NOT_PRIMARY} elsewhere. */
  CompletableFuture<Revision> update(ConfigUpdate update);

  /** Adds a listener of this node's changes. */
  void addListener(ClusterListener listener);

  /** Serves a named service to other nodes; the cluster's own names are allowed here. */
  void registerService(String name, NodeService service);

  /**
   * Calls a named service on a registered server (or this node) from the loop; never throws, the
   * future fails instead.
   */
  CompletableFuture<String> call(NodeId target, String service, String payload, Duration deadline);

  /**
   * Sends a request to a registered server from the loop, built there with the epoch this node has
   * seen then; never throws, the future fails instead.
   *
   * <pre>{@code
   * node.ask(peer, Request.ZoneQuery::new, deadline).thenAccept(r -> onZone((Response.Zone) r));
   * }</pre>
   */
  CompletableFuture<Response> ask(NodeId target, LongFunction<Request> request, Duration deadline);

  /** Sends a request to a registered server now; never throws, the future fails instead. */
  CompletableFuture<Response> send(NodeId target, Request request, Duration deadline);

  /** Reports a warning in the cluster log and in diagnostics. */
  void warn(String message);

  /** Reports an error in the cluster log and in diagnostics. */
  void error(String message);

  /** A service's state changed: diagnostics are brought up to date. */
  void diagnosticsChanged();
}
