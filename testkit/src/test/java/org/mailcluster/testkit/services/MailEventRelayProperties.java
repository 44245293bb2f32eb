package org.mailcluster.testkit.services;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.mailcluster.events.MailEvent;
import org.mailcluster.membership.NodeId;
import org.mailcluster.testkit.Fault;
import org.mailcluster.testkit.SimulatedCluster;
import org.mailcluster.testkit.property.ActionGenerator;
import org.mailcluster.testkit.property.ActionProperty;

/**
 * The relay's promise under random faults: once the network heals, every node has heard every event
 * published on another node exactly once, in each origin's order, and never its own. 40 sequences
 * of 5 to 60 steps, drawn by the testkit's {@link ActionGenerator} and run by {@link
 * ActionProperty}; the seed is printed, and a failure is shrunk to a short sequence printed as Java
 * source with its cluster seed.
 */
class MailEventRelayProperties {
  /** One step: a node publishes (kinds 5 to 9), or a fault starts (0 to 3), or time passes (4). */
  record Step(int node, int kind, int millis) {}

  static ActionGenerator<Step> steps() {
    return ActionGenerator.<Step>builder()
        .add("step", 1, r -> new Step(r.nextInt(1, 4), r.nextInt(10), r.nextInt(2_001)))
        .length(5, 60)
        .build();
  }

  /** Simpler steps: the first node, no time. */
  static List<Step> simpler(Step s) {
    List<Step> out = new ArrayList<>();
    if (s.node() > 1) {
      out.add(new Step(1, s.kind(), s.millis()));
    }
    if (s.millis() > 0) {
      out.add(new Step(s.node(), s.kind(), 0));
    }
    return out;
  }

  @Test
  void everyEventReachesEveryOtherNodeOnceInOriginOrder() {
    ActionProperty.of(steps())
        .name("MailEventRelayProperties.everyEventReachesEveryOtherNodeOnceInOriginOrder")
        .sequences(40)
        .simplifications(MailEventRelayProperties::simpler)
        .check(MailEventRelayProperties::relay);
  }

  private static void relay(List<Step> steps, long seed) {
    try (SimulatedCluster cluster = SimulatedCluster.builder().nodes(3).seed(seed).build()) {
      cluster.start();
      Map<String, List<MailEvent>> heard = new LinkedHashMap<>();
      Map<String, List<MailEvent>> published = new LinkedHashMap<>();
      for (String id : cluster.ids()) {
        List<MailEvent> list = new ArrayList<>();
        heard.put(id, list);
        published.put(id, new ArrayList<>());
        cluster.node(id).mailEvents().addListener(list::add);
      }
      for (Step s : steps) {
        String id = "mx" + s.node();
        switch (s.kind()) {
          case 0 -> cluster.inject(new Fault.Duplicate(0.3));
          case 1 -> cluster.inject(new Fault.Reorder(0.3));
          case 2 -> cluster.inject(new Fault.Drop(0.1));
          case 3 ->
              cluster.inject(
                  new Fault.Partition(
                      Set.of(NodeId.of("mx1")), Set.of(NodeId.of(s.node() == 1 ? "mx2" : id))));
          case 4 -> cluster.runFor(Duration.ofMillis(s.millis()));
          default ->
              published
                  .get(id)
                  .add(
                      cluster
                          .node(id)
                          .mailEvents()
                          .publish(
                              "box/" + s.millis(), MailEvent.Kind.FLAGS_CHANGED, "" + s.kind()));
        }
      }
      cluster.healAll();
      cluster.runFor(Duration.ofSeconds(30));
      for (String receiver : cluster.ids()) {
        for (String origin : cluster.ids()) {
          List<MailEvent> got =
              heard.get(receiver).stream()
                  .filter(e -> e.origin().value().equals(origin))
                  .collect(Collectors.toList());
          List<MailEvent> expected = receiver.equals(origin) ? List.of() : published.get(origin);
          assertEquals(
              expected, got, receiver + " from " + origin + " (cluster seed " + seed + ")");
        }
      }
    }
  }
}
