package org.mailcluster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.mailcluster.Role;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.runtime.SystemScheduler;

/**
 * The discovery SPI (requirement R28 in docs/REQUIREMENTS.md): static list, DNS, SRV records and
 * LAN multicast.
 */
class DiscoveryTest {
  private static final int PORT = 17401;

  @Test
  void aStaticListFindsEachAddressOnce() {
    Discovery d =
        Discovery.staticList(
            List.of(
                NodeAddress.parse("mx2:7400"),
                NodeAddress.parse("10.0.0.3"),
                NodeAddress.parse("mx2:7400")));
    List<DiscoveredServer> found = d.discover(Duration.ZERO);
    assertEquals(2, found.size());
    assertEquals("static", found.get(0).source());
    assertEquals(NodeAddress.parse("10.0.0.3:7400"), found.get(1).address());
  }

  @Test
  void dnsResolvesEveryAddressOfEveryNameAndSkipsNamesThatDoNotResolve() throws Exception {
    InetAddress a = InetAddress.getByName("192.0.2.10");
    InetAddress b = InetAddress.getByName("2001:db8::10");
    Discovery d =
        Discovery.dns(
            List.of("mail.example.com", "gone.example.com"),
            7400,
            address -> {
              if (address.host().equals("gone.example.com")) {
                throw new UnknownHostException(address.host());
              }
              return List.of(a, b);
            });
    List<DiscoveredServer> found = d.discover(Duration.ofSeconds(1));
    assertEquals(2, found.size());
    assertEquals("192.0.2.10", found.get(0).address().host());
    assertEquals("2001:db8:0:0:0:0:0:10", found.get(1).address().host());
    assertEquals("dns", found.get(1).source());
  }

  @Test
  void srvRecordsAreReadInPriorityOrder() {
    List<DiscoveredServer> found =
        SrvDiscovery.parse(
            List.of(
                "20 5 7400 mx3.example.com.", "10 5 7401 mx2.example.com.", "bogus", "0 0 0 ."));
    assertEquals(
        List.of(NodeAddress.of("mx2.example.com", 7401), NodeAddress.of("mx3.example.com", 7400)),
        found.stream().map(DiscoveredServer::address).toList());
  }

  @Test
  void candidatesAreTheServersNotYetRegistered() {
    List<Member> members =
        List.of(
            new Member(
                NodeId.of("mx1"), NodeAddress.parse("mx1:7400"), Role.PRIMARY, Optional.of("1")),
            new Member(
                NodeId.of("mx2"), NodeAddress.parse("mx2:7400"), Role.SECONDARY, Optional.empty()));
    List<DiscoveredServer> found =
        List.of(
            new DiscoveredServer(
                Optional.of("mx2"),
                NodeAddress.parse("10.0.0.2:7400"),
                Optional.of("1"),
                "multicast"),
            new DiscoveredServer(
                Optional.empty(), NodeAddress.parse("mx1:7400"), Optional.empty(), "static"),
            new DiscoveredServer(
                Optional.of("mx3"),
                NodeAddress.parse("10.0.0.3:7400"),
                Optional.of("1"),
                "multicast"));
    assertEquals(List.of(found.get(2)), Discovery.candidates(found, members));
  }

  @Test
  void announcementsAreParsedAndOtherTrafficIgnored() {
    assertEquals(
        Optional.of(
            new DiscoveredServer(
                Optional.of("mx3"),
                NodeAddress.parse("mx3:7400"),
                Optional.of("23.5.2"),
                "multicast")),
        MulticastDiscovery.parse(
            "{\"type\":\"mailcluster-announce\",\"id\":\"mx3\",\"version\":\"23.5.2\",\"address\":\"mx3:7400\"}"));
    assertEquals(Optional.empty(), MulticastDiscovery.parse("M-SEARCH * HTTP/1.1"));
    assertEquals(Optional.empty(), MulticastDiscovery.parse("{\"type\":\"other\"}"));
  }

  @Test
  void multicastAnnouncementsAreFoundOnLoopback() throws Exception {
    NetworkInterface loopback = NetworkInterface.getByInetAddress(InetAddress.getLoopbackAddress());
    InetAddress group = InetAddress.getByName("239.255.74.1");
    Optional<String> why = multicastUnavailable(loopback, group);
    Assumptions.assumeTrue(
        why.isEmpty(),
        () ->
            "skipped: this machine does not deliver multicast on loopback ("
                + why.orElse("")
                + ")");
    SystemScheduler clock = SystemScheduler.create("discovery-test");
    ExecutorService listener = Executors.newSingleThreadExecutor();
    try {
      MulticastDiscovery lan =
          MulticastDiscovery.builder()
              .group(group)
              .port(PORT)
              .networkInterface(loopback)
              .clock(clock)
              .build();
      CompletableFuture<List<DiscoveredServer>> found =
          CompletableFuture.supplyAsync(() -> lan.discover(Duration.ofMillis(1500)), listener);
      // Announce until the listener has finished; each wait on the future paces the loop.
      for (int i = 0; i < 500 && !found.isDone(); i++) {
        lan.announce(NodeId.of("mx3"), "23.5.2", NodeAddress.parse("mx3:7400"));
        lan.announce(NodeId.of("mx4"), "23.5.2", NodeAddress.parse("10.0.0.4:7400"));
        try {
          found.get(20, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          // still listening
        }
      }
      List<DiscoveredServer> servers = found.get(10, TimeUnit.SECONDS);
      assertEquals(
          List.of("mx3", "mx4"), servers.stream().map(s -> s.id().orElseThrow()).sorted().toList());
      assertTrue(servers.stream().allMatch(s -> s.version().equals(Optional.of("23.5.2"))));
    } finally {
      listener.shutdownNow();
      clock.close();
    }
  }

  /**
   * Sends one datagram to a group on loopback and tries to receive it; says why not if it fails.
   */
  private static Optional<String> multicastUnavailable(NetworkInterface nif, InetAddress group) {
    if (nif == null) {
      return Optional.of("no loopback interface");
    }
    try (MulticastSocket in = new MulticastSocket(PORT + 1);
        MulticastSocket out = new MulticastSocket()) {
      in.joinGroup(new InetSocketAddress(group, PORT + 1), nif);
      in.setSoTimeout(1000);
      out.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true);
      out.setNetworkInterface(nif);
      byte[] probe = "probe".getBytes(StandardCharsets.US_ASCII);
      out.send(new DatagramPacket(probe, probe.length, group, PORT + 1));
      in.receive(new DatagramPacket(new byte[16], 16));
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(e.toString());
    }
  }
}
