package org.mailcluster.internal.membership;

import com.google.common.net.InetAddresses;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.mailcluster.membership.HostResolver;
import org.mailcluster.membership.NodeAddress;

/**
 * Whether a caller's remote address (as the transport reports it, {@code /10.0.0.12:50122} or
 * {@code mx2:7400}) can be the host a node id is registered with, so that a second process using
 * one node's id and certificate from another machine is refused. Names are resolved off the node's
 * loop, on the given executor, and cached; until a name is resolved, or if it does not resolve, the
 * answer is "unknown" and the caller is not refused for it.
 */
public final class CallerAddresses {
  /** What is known of whether a caller is at a registered host. */
  public enum Match {
    /** The caller's address is one of the registered host's. */
    SAME_HOST,
    /** The caller's address is none of the registered host's. */
    OTHER_HOST,
    /** Not known (yet): the host name is being resolved, or does not resolve. */
    UNKNOWN
  }

  private final HostResolver resolver;
  private final Executor executor;
  // Host name (lower case) to its addresses; an empty list once it failed to resolve.
  private final Map<String, List<InetAddress>> resolved = new ConcurrentHashMap<>();
  private final Map<String, Boolean> resolving = new ConcurrentHashMap<>();

  /** Resolves registered host names with {@code resolver} on {@code executor}. */
  public CallerAddresses(HostResolver resolver, Executor executor) {
    this.resolver = resolver;
    this.executor = executor;
  }

  /**
   * Compares a caller's remote address with the host {@code registered}; {@code unresolvable} is
   * told (once per name) when the registered name does not resolve.
   */
  public Match compare(
      NodeAddress registered, String remoteAddress, Consumer<String> unresolvable) {
    String callerHost = host(remoteAddress);
    String host = registered.host();
    if (callerHost.isEmpty() || callerHost.equalsIgnoreCase(host)) {
      return callerHost.isEmpty() ? Match.UNKNOWN : Match.SAME_HOST;
    }
    Optional<InetAddress> caller = ip(callerHost);
    if (caller.isEmpty()) {
      // Both are names (a simulated network names its hosts): they differ.
      return ip(host).isPresent() ? Match.UNKNOWN : Match.OTHER_HOST;
    }
    Optional<InetAddress> literal = ip(host);
    if (literal.isPresent()) {
      return literal.get().equals(caller.get()) ? Match.SAME_HOST : Match.OTHER_HOST;
    }
    String key = host.toLowerCase(Locale.ROOT);
    List<InetAddress> ips = resolved.get(key);
    if (ips == null) {
      resolve(registered, key, unresolvable);
      return Match.UNKNOWN;
    }
    if (ips.isEmpty()) {
      return Match.UNKNOWN;
    }
    return ips.contains(caller.get()) ? Match.SAME_HOST : Match.OTHER_HOST;
  }

  private void resolve(NodeAddress registered, String key, Consumer<String> unresolvable) {
    if (resolving.putIfAbsent(key, Boolean.TRUE) != null) {
      return;
    }
    try {
      executor.execute(
          () -> {
            try {
              resolved.put(key, List.copyOf(resolver.resolve(registered)));
            } catch (IOException | RuntimeException e) {
              resolved.put(key, List.of());
              unresolvable.accept(
                  "the registered host "
                      + registered.host()
                      + " does not resolve ("
                      + e.getMessage()
                      + "), so calls with its node id cannot be checked against its address:"
                      + " register it by IP address, or fix the name");
            } finally {
              resolving.remove(key);
            }
          });
    } catch (RejectedExecutionException e) {
      resolving.remove(key);
    }
  }

  /** The host part of a transport's remote address: {@code /10.0.0.1:5} or {@code a/10.0.0.1:5}. */
  static String host(String remoteAddress) {
    String s = remoteAddress.strip();
    int slash = s.indexOf('/');
    if (slash >= 0) {
      s = s.substring(slash + 1);
    }
    if (s.startsWith("[")) {
      int end = s.indexOf(']');
      return end < 0 ? s.substring(1) : s.substring(1, end);
    }
    int colon = s.lastIndexOf(':');
    if (colon >= 0 && s.indexOf(':') == colon) {
      return s.substring(0, colon);
    }
    return s;
  }

  /** A remote address as people read it: without the leading slash some transports add. */
  public static String shown(String remoteAddress) {
    String s = remoteAddress.strip();
    return s.startsWith("/") ? s.substring(1) : s;
  }

  private static Optional<InetAddress> ip(String host) {
    return InetAddresses.isInetAddress(host)
        ? Optional.of(InetAddresses.forString(host))
        : Optional.empty();
  }
}
