package org.mailcluster.discovery;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.membership.HostResolver;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;

/**
 * Finds servers on the network that an administrator may add to the cluster (requirement R28 in
 * docs/REQUIREMENTS.md). Discovery may take a while and may block: call it from the host's own
 * thread, never from a listener.
 *
 * <p><b>Contract.</b> {@link #discover} returns every server found within {@code wait}, each
 * address once, and never throws for a server that does not answer; it fails with a {@link
 * ClusterException} ({@code UNAVAILABLE}) only when the mechanism itself cannot work (no DNS, no
 * multicast on this network).
 *
 * <pre>{@code
 * Discovery lan = MulticastDiscovery.builder().clock(scheduler).build();
 * List<DiscoveredServer> found = lan.discover(Duration.ofSeconds(5));
 * List<DiscoveredServer> toOffer = Discovery.candidates(found, cluster.members());
 * }</pre>
 */
@FunctionalInterface
public interface Discovery {
  /** Returns the servers found within {@code wait}. */
  List<DiscoveredServer> discover(Duration wait);

  /** Returns a discovery that always finds {@code addresses}. */
  static Discovery staticList(List<NodeAddress> addresses) {
    List<NodeAddress> copy = List.copyOf(addresses);
    return wait -> {
      List<DiscoveredServer> out = new ArrayList<>();
      for (NodeAddress a : new LinkedHashSet<>(copy)) {
        out.add(new DiscoveredServer(Optional.empty(), a, Optional.empty(), "static"));
      }
      return out;
    };
  }

  /**
   * Returns a discovery that resolves host names to their A/AAAA addresses; each address found is
   * one server on {@code port}. Names that do not resolve are skipped.
   */
  static Discovery dns(List<String> hostNames, int port, HostResolver resolver) {
    List<String> names = List.copyOf(hostNames);
    requireNonNull(resolver, "resolver");
    return wait -> {
      Map<String, DiscoveredServer> out = new LinkedHashMap<>();
      for (String name : names) {
        try {
          for (InetAddress ip : resolver.resolve(NodeAddress.of(name, port))) {
            NodeAddress a = NodeAddress.of(ip.getHostAddress(), port);
            out.putIfAbsent(
                a.toString(), new DiscoveredServer(Optional.empty(), a, Optional.empty(), "dns"));
          }
        } catch (UnknownHostException e) {
          // Skipped: the contract says a server that does not answer is not an error.
        }
      }
      return List.copyOf(out.values());
    };
  }

  /**
   * Returns a discovery that reads DNS SRV records, such as {@code _mailcluster._tcp.example.com},
   * through the JDK's JNDI DNS provider ({@code jdk.naming.dns}).
   */
  static Discovery dnsSrv(String serviceName) {
    return new SrvDiscovery(requireNonNull(serviceName, "serviceName"));
  }

  /**
   * Returns the servers of {@code found} that are not registered yet: what the primary offers the
   * administrator to add. A server counts as registered when its announced id or its address
   * matches a member.
   */
  static List<DiscoveredServer> candidates(List<DiscoveredServer> found, List<Member> members) {
    Set<String> ids = new HashSet<>();
    Set<String> addresses = new HashSet<>();
    for (Member m : members) {
      ids.add(m.id().value());
      addresses.add(m.address().toString());
    }
    List<DiscoveredServer> out = new ArrayList<>();
    for (DiscoveredServer s : found) {
      boolean known =
          s.id().map(ids::contains).orElse(false) || addresses.contains(s.address().toString());
      if (!known) {
        out.add(s);
      }
    }
    return out;
  }

  /** Fails with a message that says what to do. */
  static ClusterException unavailable(String what, Throwable cause) {
    return new ClusterException(ErrorCode.UNAVAILABLE, what, cause);
  }
}
