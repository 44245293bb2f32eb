package org.mailcluster.discovery;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.mailcluster.membership.NodeAddress;

/**
 * A server that a {@link Discovery} found: where it listens and, if it announced itself, its node
 * id and product version.
 *
 * <pre>{@code
 * for (DiscoveredServer s : discovery.discover(Duration.ofSeconds(3))) {
 *   ui.addCandidate(s.id().orElse(s.address().host()), s.address());
 * }
 * }</pre>
 *
 * @param id the node id it announced, if any
 * @param address where it listens
 * @param version the product version it announced, if any
 * @param source how it was found: {@code static}, {@code dns}, {@code dns-srv} or {@code multicast}
 */
public record DiscoveredServer(
    Optional<String> id, NodeAddress address, Optional<String> version, String source) {
  /** Checks the parts. */
  public DiscoveredServer {
    requireNonNull(id, "id");
    requireNonNull(address, "address");
    requireNonNull(version, "version");
    requireNonNull(source, "source");
  }
}
