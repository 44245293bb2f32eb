package org.mailcluster.testkit.services;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.mailcluster.events.MailEvent;
import org.mailcluster.membership.NodeId;
import org.mailcluster.testkit.Fault;
import org.mailcluster.testkit.SimulatedCluster;

/**
 * The relay's promise under random faults: once the network heals, every node has heard every event
 * published on another node exactly once, in each origin's order, and never its own. A failure
 * prints the cluster seed that reproduces it.
 */
class MailEventRelayProperties {
  /** One step: a node publishes, or a fault starts, or time passes. */
  record Step(int node, int kind, int millis) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    return Combinators.combine(
            Arbitraries.integers().between(1, 3),
            Arbitraries.integers().between(0, 9),
            Arbitraries.integers().between(0, 2_000))
        .as(Step::new)
        .list()
        .ofMinSize(5)
        .ofMaxSize(60);
  }

  @Property(tries = 40)
  void everyEventReachesEveryOtherNodeOnceInOriginOrder(
      @ForAll("steps") List<Step> steps, @ForAll long seed) {
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
              expected,
              got,
              receiver + " from " + origin + " (cluster seed " + seed + ", steps " + steps + ")");
        }
      }
    }
  }
}
