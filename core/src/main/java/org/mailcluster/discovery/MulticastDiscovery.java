package org.mailcluster.discovery;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.Scheduler;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * LAN discovery by UDP multicast: each node {@linkplain #announce announces} its id, product
 * version and address to a group; {@link #discover} listens for announcements. Both run on the
 * caller's thread and block ({@code discover} for up to its wait). The host announces periodically
 * (for example every 10 s from its own timer) on every node that is not yet in a cluster.
 *
 * <pre>{@code
 * MulticastDiscovery lan = MulticastDiscovery.builder().clock(scheduler).build();
 * lan.announce(NodeId.of("mx3"), "23.5.2", NodeAddress.parse("mx3:7400")); // on the new server
 * List<DiscoveredServer> found = lan.discover(Duration.ofSeconds(5));     // on the primary
 * }</pre>
 */
public final class MulticastDiscovery implements Discovery {
  /** The default group, in the organization-local scope. */
  public static final String DEFAULT_GROUP = "239.255.74.0";

  /** The default UDP port. */
  public static final int DEFAULT_PORT = 7401;

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String MAGIC = "mailcluster-announce";

  private final InetAddress group;
  private final int port;
  private final Optional<NetworkInterface> networkInterface;
  private final Scheduler clock;

  private MulticastDiscovery(Builder b) {
    this.group = b.group;
    this.port = b.port;
    this.networkInterface = Optional.ofNullable(b.networkInterface);
    this.clock = b.clock;
  }

  /** Returns a builder: group {@value #DEFAULT_GROUP}, port {@value #DEFAULT_PORT}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Sends one announcement.
   *
   * @throws org.mailcluster.ClusterException with {@code UNAVAILABLE} if multicast cannot be sent
   */
  public void announce(NodeId id, String productVersion, NodeAddress address) {
    requireNonNull(id, "id");
    requireNonNull(productVersion, "productVersion");
    requireNonNull(address, "address");
    Map<String, String> body = new LinkedHashMap<>();
    body.put("type", MAGIC);
    body.put("id", id.value());
    body.put("version", productVersion);
    body.put("address", address.toString());
    byte[] data = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    try (MulticastSocket socket = new MulticastSocket()) {
      socket.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true);
      socket.setTimeToLive(1);
      if (networkInterface.isPresent()) {
        socket.setNetworkInterface(networkInterface.get());
      }
      socket.send(new DatagramPacket(data, data.length, group, port));
    } catch (IOException e) {
      throw Discovery.unavailable(
          "could not send a multicast announcement to "
              + group.getHostAddress()
              + ":"
              + port
              + " ("
              + e.getMessage()
              + "): this network may not allow multicast; add the server by name instead",
          e);
    }
  }

  @Override
  public List<DiscoveredServer> discover(Duration wait) {
    requireNonNull(wait, "wait");
    Map<String, DiscoveredServer> found = new LinkedHashMap<>();
    try (MulticastSocket socket = new MulticastSocket(port)) {
      NetworkInterface nif =
          networkInterface.isPresent()
              ? networkInterface.get()
              : NetworkInterface.getByInetAddress(InetAddress.getLocalHost());
      socket.joinGroup(new InetSocketAddress(group, port), nif);
      long end = clock.nanoTime() + wait.toNanos();
      byte[] buffer = new byte[2048];
      while (true) {
        long left = end - clock.nanoTime();
        if (left <= 0) {
          break;
        }
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
          socket.receive(packet);
        } catch (SocketTimeoutException e) {
          break;
        }
        parse(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8))
            .ifPresent(s -> found.put(s.address().toString(), s));
      }
    } catch (IOException e) {
      throw Discovery.unavailable(
          "could not listen for multicast announcements on "
              + group.getHostAddress()
              + ":"
              + port
              + " ("
              + e.getMessage()
              + "): this network may not allow multicast; add the server by name instead",
          e);
    }
    return List.copyOf(found.values());
  }

  /** Reads one announcement; anything else on the group is ignored. */
  static Optional<DiscoveredServer> parse(String text) {
    try {
      JsonNode n = JSON.readTree(text);
      if (n == null || !MAGIC.equals(n.path("type").asString(""))) {
        return Optional.empty();
      }
      String id = n.path("id").asString("");
      String version = n.path("version").asString("");
      NodeAddress address = NodeAddress.parse(n.path("address").asString(""));
      return Optional.of(
          new DiscoveredServer(
              id.isEmpty() ? Optional.empty() : Optional.of(NodeId.of(id).value()),
              address,
              version.isEmpty() ? Optional.empty() : Optional.of(version),
              "multicast"));
    } catch (JacksonException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Configures a {@link MulticastDiscovery}. */
  public static final class Builder {
    private InetAddress group;
    private int port = DEFAULT_PORT;
    private NetworkInterface networkInterface;
    private Scheduler clock;

    private Builder() {
      try {
        group = InetAddress.getByName(DEFAULT_GROUP);
      } catch (java.net.UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Sets the multicast group, e.g. {@code 239.255.74.0}. */
    public Builder group(InetAddress value) {
      requireNonNull(value, "group");
      if (!value.isMulticastAddress()) {
        throw new IllegalArgumentException(
            "'"
                + value.getHostAddress()
                + "' is not a multicast address: use 224.0.0.0/4 or ff00::/8");
      }
      this.group = value;
      return this;
    }

    /** Sets the UDP port. */
    public Builder port(int value) {
      if (value < 1 || value > 65535) {
        throw new IllegalArgumentException("port must be between 1 and 65535 but was " + value);
      }
      this.port = value;
      return this;
    }

    /** Sets the network interface to use (the loopback interface in tests). */
    public Builder networkInterface(NetworkInterface value) {
      this.networkInterface = requireNonNull(value, "networkInterface");
      return this;
    }

    /** Sets the clock that measures how long {@link #discover} waits (the node's scheduler). */
    public Builder clock(Scheduler value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    /**
     * Builds it.
     *
     * @throws IllegalStateException if no clock was set
     */
    public MulticastDiscovery build() {
      if (clock == null) {
        throw new IllegalStateException("multicast discovery needs a clock: call clock(scheduler)");
      }
      return new MulticastDiscovery(this);
    }
  }
}
