package org.mailcluster.internal.node;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.NodeService;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.transport.PeerIdentity;

/**
 * The named services this node serves to other nodes: the cluster's own, whose names start with
 * {@value #RESERVED_PREFIX}, and those a host or plugin registers under any other name.
 */
final class ServiceRegistry {
  /** The prefix of the cluster's own service names, which hosts may not register. */
  static final String RESERVED_PREFIX = "mailcluster.";

  // Calls of named services one node may make of this one: far above what a busy mail server's
  // screening and mail events need, low enough that a misbehaving member cannot take the loop.
  static final double CALLS_PER_SECOND = 20_000;
  static final double CALLS_AT_ONCE = 20_000;

  private final NodeId self;
  private final Scheduler scheduler;
  private final Map<String, NodeService> services = new ConcurrentHashMap<>();
  private final CallerRateLimit limit = new CallerRateLimit(CALLS_PER_SECOND, CALLS_AT_ONCE);

  ServiceRegistry(NodeId self, Scheduler scheduler) {
    this.self = self;
    this.scheduler = scheduler;
  }

  /** Registers one of the cluster's own services. */
  void registerOwn(String name, NodeService service) {
    services.put(name, requireNonNull(service, "service"));
  }

  /** Registers a host's service; the cluster's own names are refused. */
  void register(String name, NodeService service) {
    requireNonNull(name, "name");
    checkArgument(!name.isBlank(), "a service needs a name");
    checkArgument(
        !name.startsWith(RESERVED_PREFIX),
        "service name '%s' is reserved for the cluster's own services (they start with '%s');"
            + " choose another",
        name,
        RESERVED_PREFIX);
    services.put(name, requireNonNull(service, "service"));
  }

  /** Answers a call of service {@code name}; on the loop. */
  CompletableFuture<String> serve(PeerIdentity from, String name, String payload) {
    if (from.node().isPresent()) {
      Duration wait = limit.take(from.node().get(), scheduler.now());
      if (!wait.isZero()) {
        throw new ClusterException(
            ErrorCode.LIMIT_EXCEEDED,
            from.node().get()
                + " calls "
                + self
                + "'s services more than "
                + (long) CALLS_PER_SECOND
                + " times a second: retry in "
                + Math.max(1, wait.toMillis())
                + " ms");
      }
    }
    NodeService service = services.get(name);
    if (service == null) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE, "no service named '" + name + "' runs on " + self);
    }
    CompletableFuture<String> answer = service.handle(from, payload);
    if (answer == null) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE, "service '" + name + "' on " + self + " gave no answer");
    }
    return answer;
  }
}
