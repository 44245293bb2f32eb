package org.mailcluster.testkit.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.mailcluster.events.MailEvent;
import org.mailcluster.events.RelayStats;
import org.mailcluster.membership.NodeId;
import org.mailcluster.testkit.Fault;
import org.mailcluster.testkit.SimulatedCluster;

/** The mail-change relay (requirement R6 in docs/REQUIREMENTS.md) in a simulated cluster. */
class MailEventRelayTest {
  private static final NodeId MX1 = NodeId.of("mx1");
  private static final NodeId MX2 = NodeId.of("mx2");
  private static final NodeId MX3 = NodeId.of("mx3");

  private static Map<String, List<MailEvent>> listen(SimulatedCluster cluster) {
    Map<String, List<MailEvent>> heard = new LinkedHashMap<>();
    for (String id : cluster.ids()) {
      List<MailEvent> list = new ArrayList<>();
      heard.put(id, list);
      cluster.node(id).mailEvents().addListener(list::add);
    }
    return heard;
  }

  @Test
  void anEventFromASecondaryReachesEveryOtherNodeThroughThePrimaryButNeverItsOrigin() {
    try (SimulatedCluster cluster = SimulatedCluster.builder().nodes(4).seed(6).build()) {
      cluster.start();
      Map<String, List<MailEvent>> heard = listen(cluster);
      MailEvent e =
          cluster
              .node("mx2")
              .mailEvents()
              .publish("example.com/frank/Inbox", MailEvent.Kind.MESSAGE_ADDED, "uid=1");
      cluster.runFor(Duration.ofSeconds(2));
      assertEquals(List.of(e), heard.get("mx1"));
      assertEquals(List.of(e), heard.get("mx3"));
      assertEquals(List.of(e), heard.get("mx4"));
      assertEquals(List.of(), heard.get("mx2"), "the origin never hears its own event");

      MailEvent fromPrimary =
          cluster
              .primary()
              .mailEvents()
              .publish("example.com/anna/Sent", MailEvent.Kind.FOLDER_CREATED, "");
      cluster.runFor(Duration.ofSeconds(2));
      assertEquals(List.of(e), heard.get("mx1"));
      assertEquals(List.of(fromPrimary), heard.get("mx2"));
      assertEquals(List.of(e, fromPrimary), heard.get("mx3"));
      assertEquals(MX2, heard.get("mx3").get(0).origin());
      assertEquals(MX1, heard.get("mx3").get(1).origin());
    }
  }

  @Test
  void deliveryIsOncePerEventAndInOrderPerOriginDespiteDuplicatedReorderedAndLostMessages() {
    try (SimulatedCluster cluster = SimulatedCluster.builder().nodes(3).seed(2026).build()) {
      cluster.start();
      Map<String, List<MailEvent>> heard = listen(cluster);
      cluster.inject(new Fault.Duplicate(0.3));
      cluster.inject(new Fault.Reorder(0.3));
      cluster.inject(new Fault.Drop(0.05));
      List<MailEvent> fromMx2 = new ArrayList<>();
      List<MailEvent> fromMx3 = new ArrayList<>();
      for (int i = 0; i < 150; i++) {
        fromMx2.add(
            cluster
                .node("mx2")
                .mailEvents()
                .publish("box/" + i, MailEvent.Kind.FLAGS_CHANGED, "" + i));
        fromMx3.add(
            cluster
                .node("mx3")
                .mailEvents()
                .publish("box/" + i, MailEvent.Kind.MESSAGE_REMOVED, "" + i));
        cluster.runFor(Duration.ofMillis(7));
      }
      cluster.runFor(Duration.ofSeconds(30));
      cluster.healAll();
      cluster.runFor(Duration.ofSeconds(30));

      assertEquals(fromMx2, byOrigin(heard.get("mx1"), MX2), "seed " + cluster.seed());
      assertEquals(fromMx3, byOrigin(heard.get("mx1"), MX3), "seed " + cluster.seed());
      assertEquals(fromMx3, heard.get("mx2"), "seed " + cluster.seed());
      assertEquals(fromMx2, heard.get("mx3"), "seed " + cluster.seed());
      RelayStats stats = cluster.primary().mailEvents().stats();
      assertEquals(300, stats.received());
      assertEquals(0, stats.buffered());
      assertTrue(
          cluster.node("mx3").mailEvents().stats().duplicates()
                  + cluster.primary().mailEvents().stats().duplicates()
              > 0,
          "duplicated messages must have been seen and dropped");
    }
  }

  @Test
  void eventsWaitWhileThePrimaryIsUnreachableAndArriveInOrderWhenItReturns() {
    try (SimulatedCluster cluster = SimulatedCluster.builder().nodes(3).seed(9).build()) {
      cluster.start();
      Map<String, List<MailEvent>> heard = listen(cluster);
      var cut = cluster.inject(new Fault.Partition(Set.of(MX2), Set.of(MX1)));
      List<MailEvent> sent = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        sent.add(
            cluster.node("mx2").mailEvents().publish("box", MailEvent.Kind.MESSAGE_ADDED, "" + i));
      }
      cluster.runFor(Duration.ofSeconds(20));
      assertEquals(List.of(), heard.get("mx3"));
      assertEquals(5, cluster.node("mx2").mailEvents().stats().buffered());
      cut.heal();
      cluster.runFor(Duration.ofSeconds(10));
      assertEquals(sent, heard.get("mx1"));
      assertEquals(sent, heard.get("mx3"));
      assertEquals(0, cluster.node("mx2").mailEvents().stats().buffered());
    }
  }

  @Test
  void aFullBufferDropsTheOldestEventsCountsThemAndWarns() {
    try (SimulatedCluster cluster =
        SimulatedCluster.builder()
            .nodes(3)
            .seed(4)
            .nodeOptions((id, b) -> b.mailEventBuffer(3))
            .build()) {
      cluster.start();
      Map<String, List<MailEvent>> heard = listen(cluster);
      var cut = cluster.inject(new Fault.Partition(Set.of(MX2), Set.of(MX1)));
      List<MailEvent> sent = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        sent.add(
            cluster.node("mx2").mailEvents().publish("box", MailEvent.Kind.MESSAGE_ADDED, "" + i));
      }
      cluster.runFor(Duration.ofSeconds(5));
      RelayStats stats = cluster.node("mx2").mailEvents().stats();
      assertEquals(7, stats.overflowed());
      assertEquals(3, stats.buffered());
      List<String> warnings =
          cluster.node("mx2").diagnostics().recentEvents().stream()
              .map(e -> e.message())
              .filter(m -> m.contains("overflowed"))
              .collect(Collectors.toList());
      assertEquals(1, warnings.size(), "one warning per outage, not one per event: " + warnings);
      cut.heal();
      cluster.runFor(Duration.ofSeconds(10));
      assertEquals(sent.subList(7, 10), heard.get("mx3"));
    }
  }

  private static List<MailEvent> byOrigin(List<MailEvent> events, NodeId origin) {
    return events.stream().filter(e -> e.origin().equals(origin)).collect(Collectors.toList());
  }
}
