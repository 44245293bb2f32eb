package org.mailcluster.membership;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns a server's name into IP addresses when an administrator registers it (requirement R28 in
 * docs/REQUIREMENTS.md), so a mistyped name is refused at once instead of failing later on every
 * connection attempt. Called on the caller's thread, never on a node's loop, because a lookup may
 * block.
 *
 * <p>The {@linkplain #system() system resolver} asks the operating system, which on Windows
 * resolves NetBIOS names as well as DNS names; tests inject their own.
 *
 * <pre>{@code
 * HostResolver fixed = address -> List.of(InetAddress.getByName("10.0.0.2"));
 * }</pre>
 */
@FunctionalInterface
public interface HostResolver {
  /**
   * Returns the addresses of {@code address}'s host, at least one.
   *
   * @throws UnknownHostException if the name does not resolve
   */
  List<InetAddress> resolve(NodeAddress address) throws UnknownHostException;

  /** Returns the operating system's resolver; IP literals are returned without a lookup. */
  static HostResolver system() {
    return address -> List.of(InetAddress.getAllByName(address.host()));
  }
}
