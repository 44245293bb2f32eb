package org.mailcluster.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.testkit.junit.TransportConformanceSuite;
import org.mailcluster.transport.ClusterTransport;

/** The simulated network keeps the transport contract, on virtual time. */
class SimulatedTransportConformanceTest extends TransportConformanceSuite {
  private static final long SEED = Long.getLong("mailcluster.seed", 20261124L);

  private VirtualTime time;
  private SimulatedNetwork network;

  @RegisterExtension
  final TestWatcher dumpTraceOnFailure =
      new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
          System.out.println(
              context.getDisplayName()
                  + " failed with seed "
                  + SEED
                  + " (-Dmailcluster.seed="
                  + SEED
                  + " repeats it); network trace:");
          network.trace().forEach(System.out::println);
        }
      };

  @BeforeEach
  void createNetwork() {
    time = VirtualTime.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
    network = SimulatedNetwork.create(time, SEED);
  }

  @Override
  protected ClusterTransport newTransport(NodeId node) {
    return network.transport(node, NodeAddress.parse(node.value()));
  }

  @Override
  protected NodeAddress unreachableAddress() {
    return NodeAddress.parse("nobody");
  }

  @Override
  protected void makeUnreachable(NodeId node, ClusterTransport transport) {
    network.crash(node);
  }

  @Override
  protected boolean await(BooleanSupplier condition, Duration timeout) {
    return time.runUntil(condition, timeout);
  }

  @Override
  protected void quiesce() {
    time.runUntilIdle(Duration.ofMinutes(1));
  }

  @Override
  protected long nanoTime() {
    return time.elapsed().toNanos();
  }

  @Override
  protected Duration deadlineTolerance() {
    return Duration.ZERO;
  }
}
