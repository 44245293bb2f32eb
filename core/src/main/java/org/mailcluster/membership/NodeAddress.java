package org.mailcluster.membership;

import static java.util.Objects.requireNonNull;

import com.google.common.net.InetAddresses;
import com.google.common.net.InternetDomainName;

/**
 * Where a node listens: a host and a port. The host is given the way a Windows administrator knows
 * the server (requirement R28 in docs/REQUIREMENTS.md): a NetBIOS name ({@code MAIL2}), an IPv4 or
 * IPv6 literal, or a DNS name ({@code mx2.example.com}). Nothing is resolved here; resolution
 * happens through the cluster's injectable resolver when a connection is made.
 *
 * <pre>{@code
 * NodeAddress.parse("MAIL2");                 // NetBIOS name, default port 7400
 * NodeAddress.parse("mx2.example.com:7401");  // DNS name
 * NodeAddress.parse("[fe80::1]:7400");        // IPv6 literal
 * }</pre>
 *
 * @param host the host as given (IPv6 without brackets)
 * @param port 1 to 65535
 * @param kind what sort of name {@code host} is
 */
public record NodeAddress(String host, int port, Kind kind) {
  /** The port used when none is given: {@code [Cluster] Port} of the sample configuration. */
  public static final int DEFAULT_PORT = 7400;

  /** What sort of name a host is. */
  public enum Kind {
    /** A dotted-quad IPv4 literal such as {@code 192.168.1.20}. */
    IPV4,
    /** An IPv6 literal such as {@code fe80::1}. */
    IPV6,
    /** A single-label name of at most 15 characters, as Windows networking uses. */
    NETBIOS,
    /** A DNS name such as {@code mx2.example.com}. */
    DNS
  }

  // NetBIOS forbids these (and control characters); '.' is left out because it makes a DNS name.
  private static final String NETBIOS_FORBIDDEN = "\\/:*?\"<>|. ";

  /** Checks that the host is of the stated kind and the port is in range. */
  public NodeAddress {
    requireNonNull(host, "host");
    requireNonNull(kind, "kind");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1 to 65535 but was " + port);
    }
    Kind actual = classify(host);
    if (actual != kind) {
      throw new IllegalArgumentException(
          "host '" + host + "' is " + describe(actual) + ", not " + describe(kind));
    }
  }

  /** Returns the address of {@code host} (any kind) on {@code port}. */
  public static NodeAddress of(String host, int port) {
    requireNonNull(host, "host");
    return new NodeAddress(host, port, classify(host));
  }

  /**
   * Parses {@code host}, {@code host:port}, {@code [ipv6]:port} or a bare IPv6 literal.
   *
   * @throws IllegalArgumentException naming the text and the accepted forms
   */
  public static NodeAddress parse(String text) {
    requireNonNull(text, "text");
    String s = text.strip();
    String host;
    int port = DEFAULT_PORT;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw malformed(text, "an IPv6 address in brackets needs its ']'");
      }
      host = s.substring(1, close);
      String rest = s.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw malformed(text, "only ':<port>' may follow ']'");
        }
        port = parsePort(rest.substring(1), text);
      }
      if (classify(host) != Kind.IPV6) {
        throw malformed(text, "brackets are for IPv6 literals only");
      }
    } else if (s.indexOf(':') != s.lastIndexOf(':')) {
      host = s; // a bare IPv6 literal: several colons, no port
    } else if (s.indexOf(':') >= 0) {
      host = s.substring(0, s.indexOf(':'));
      port = parsePort(s.substring(s.indexOf(':') + 1), text);
    } else {
      host = s;
    }
    try {
      return of(host, port);
    } catch (IllegalArgumentException e) {
      throw malformed(text, e.getMessage());
    }
  }

  /** Returns {@code host:port}, with IPv6 hosts in brackets. */
  @Override
  public String toString() {
    return (kind == Kind.IPV6 ? "[" + host + "]" : host) + ":" + port;
  }

  private static Kind classify(String host) {
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (InetAddresses.isInetAddress(host)) {
      return host.indexOf(':') >= 0 ? Kind.IPV6 : Kind.IPV4;
    }
    if (host.indexOf('.') < 0 && host.length() <= 15 && isNetbios(host)) {
      return Kind.NETBIOS;
    }
    if (host.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
      throw new IllegalArgumentException("host '" + host + "' is not a valid IPv4 address");
    }
    if (InternetDomainName.isValid(host)) {
      return Kind.DNS;
    }
    throw new IllegalArgumentException(
        "host '"
            + host
            + "' is not an IP address, a NetBIOS name (up to 15 characters, none of "
            + "\\/:*?\"<>|. or spaces) or a DNS name");
  }

  private static boolean isNetbios(String host) {
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c < 0x21 || c > 0x7e || NETBIOS_FORBIDDEN.indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }

  private static int parsePort(String digits, String whole) {
    try {
      int p = Integer.parseInt(digits);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the whole text
    }
    throw malformed(whole, "the port must be a number from 1 to 65535");
  }

  private static IllegalArgumentException malformed(String text, String why) {
    return new IllegalArgumentException(
        "server address '"
            + text
            + "' is not valid: "
            + why
            + "; use a NetBIOS name, an IP address or a DNS name, optionally with ':<port>'");
  }

  private static String describe(Kind kind) {
    return switch (kind) {
      case IPV4 -> "an IPv4 address";
      case IPV6 -> "an IPv6 address";
      case NETBIOS -> "a NetBIOS name";
      case DNS -> "a DNS name";
    };
  }
}
