package org.mailcluster.transport.grpc;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.testkit.junit.TransportConformanceSuite;
import org.mailcluster.transport.ClusterTransport;

/** The gRPC transport keeps the transport contract, over real sockets with mutual TLS. */
class GrpcTransportConformanceTest extends TransportConformanceSuite {
  @Override
  protected ClusterTransport newTransport(NodeId node) {
    return TestCluster.transport(node);
  }

  @Override
  protected NodeAddress unreachableAddress() {
    return TestCluster.unusedAddress();
  }

  @Override
  protected void makeUnreachable(NodeId node, ClusterTransport transport) {
    transport.close();
  }

  @Override
  protected boolean await(BooleanSupplier condition, Duration timeout) {
    return TestCluster.await(condition, timeout);
  }

  @Override
  protected void quiesce() {
    TestCluster.await(() -> false, Duration.ofMillis(200));
  }

  @Override
  protected long nanoTime() {
    return System.nanoTime();
  }

  @Override
  protected boolean limitsUnreleasedMessages() {
    return true;
  }
}
