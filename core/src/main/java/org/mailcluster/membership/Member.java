package org.mailcluster.membership;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.mailcluster.Role;

/**
 * A registered server, as every node lists it (requirement R30 in docs/REQUIREMENTS.md). The list
 * is replicated state, so a secondary shows the same members and roles as the primary.
 *
 * <pre>{@code
 * for (Member m : cluster.members()) {
 *   System.out.printf("%s %s %s%n", m.id(), m.role(), m.address());
 * }
 * }</pre>
 *
 * @param id the node's id
 * @param address where it listens
 * @param role its role
 * @param productVersion the mail server version it reported when it joined, if it has joined
 */
public record Member(NodeId id, NodeAddress address, Role role, Optional<String> productVersion) {
  /** Checks that no part is null. */
  public Member {
    requireNonNull(id, "id");
    requireNonNull(address, "address");
    requireNonNull(role, "role");
    requireNonNull(productVersion, "productVersion");
  }
}
