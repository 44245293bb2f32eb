package org.mailcluster.admin;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;
import org.mailcluster.Role;
import org.mailcluster.screening.ScreeningPolicy;

/**
 * The cluster options page (requirement R32 in docs/REQUIREMENTS.md): how this node is set up.
 *
 * <pre>{@code
 * ClusterOptions o = cluster.options();
 * String json = jsonMapper.writeValueAsString(o);
 * }</pre>
 *
 * @param enabled whether clustering is on (always true for a running node)
 * @param node this node's id
 * @param role its role
 * @param listenAddress where it listens
 * @param port its cluster port
 * @param primaryAddress the primary's address, on a secondary
 * @param productVersion the mail server's version
 * @param heartbeatInterval how often the primary sends heartbeats
 * @param callDeadline how long calls to peers may take
 * @param snapshotInterval after how many commits the primary stores a snapshot
 * @param screeningPolicy what happens to local screening changes when the primary returns
 * @param mailEventBuffer how many mail events wait per unreachable node before the oldest is
 *     dropped
 * @param certificateDirectory where certificates are written, if configured
 */
public record ClusterOptions(
    boolean enabled,
    String node,
    Role role,
    String listenAddress,
    int port,
    Optional<String> primaryAddress,
    String productVersion,
    Duration heartbeatInterval,
    Duration callDeadline,
    int snapshotInterval,
    ScreeningPolicy screeningPolicy,
    int mailEventBuffer,
    Optional<String> certificateDirectory) {
  /** Checks the parts. */
  public ClusterOptions {
    requireNonNull(node, "node");
    requireNonNull(role, "role");
    requireNonNull(listenAddress, "listenAddress");
    requireNonNull(primaryAddress, "primaryAddress");
    requireNonNull(productVersion, "productVersion");
    requireNonNull(heartbeatInterval, "heartbeatInterval");
    requireNonNull(callDeadline, "callDeadline");
    requireNonNull(screeningPolicy, "screeningPolicy");
    requireNonNull(certificateDirectory, "certificateDirectory");
  }
}
