package org.mailcluster.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mailcluster.membership.NodeAddress.Kind;

class NodeAddressTest {
  @ParameterizedTest
  @CsvSource({
    "MAIL2, MAIL2, 7400, NETBIOS",
    "mail-2:7401, mail-2, 7401, NETBIOS",
    "mx2.example.com, mx2.example.com, 7400, DNS",
    "mx2.example.com:7401, mx2.example.com, 7401, DNS",
    "192.168.1.20:7400, 192.168.1.20, 7400, IPV4",
    "'[fe80::1]:7402', fe80::1, 7402, IPV6",
    "::1, ::1, 7400, IPV6",
    "' MAIL2 ', MAIL2, 7400, NETBIOS"
  })
  void parsesEveryFormAnAdministratorUses(String text, String host, int port, Kind kind) {
    NodeAddress a = NodeAddress.parse(text);
    assertEquals(host, a.host());
    assertEquals(port, a.port());
    assertEquals(kind, a.kind());
    assertEquals(a, NodeAddress.parse(a.toString()));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "mail:0",
        "mail:65536",
        "mail:http",
        "[mail]:7400",
        "[fe80::1",
        "[fe80::1]7400",
        "999.1.1.1",
        "bad name",
        "mx..example.com",
        "mail$$.example.com"
      })
  void refusesMalformedAddressesQuotingThem(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeAddress.parse(text));
    assertTrue(
        e.getMessage().startsWith("server address '" + text + "' is not valid"), e.getMessage());
  }

  @Test
  void longSingleLabelNamesAreDnsNames() {
    // Longer than NetBIOS allows but a valid DNS label.
    assertEquals(Kind.DNS, NodeAddress.parse("mailserver-number-two").kind());
  }

  @Test
  void theKindMustMatchTheHost() {
    assertThrows(IllegalArgumentException.class, () -> new NodeAddress("10.0.0.1", 7400, Kind.DNS));
  }

  @Test
  void nodeIdsAreValidated() {
    assertEquals("mx1", NodeId.of("mx1").toString());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NodeId.of("-mx"));
    assertTrue(e.getMessage().contains("'-mx'"));
  }
}
