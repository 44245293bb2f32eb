package org.mailcluster.internal.node;

import org.mailcluster.ClusterService;
import org.mailcluster.internal.epoch.Promotion;
import org.mailcluster.internal.resync.Resyncs;
import org.mailcluster.internal.services.NodeChecks;
import org.mailcluster.internal.services.NodeServices;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.spi.StateStore;
import org.mailcluster.transport.ClusterTransport;

/** Builds a node from its parts; the only way to make one. */
public final class Nodes {
  private Nodes() {}

  /**
   * Builds a node that has not started yet; see {@link org.mailcluster.ClusterServiceBuilder}.
   * Nothing here runs on the loop or talks to the network.
   */
  public static ClusterService create(
      NodeSettings settings, ClusterTransport transport, StateStore store, Scheduler scheduler) {
    NodeCore core = new NodeCore(settings, transport, store, scheduler);
    NodeServices services = new NodeServices(core, settings, scheduler);
    Promotion promotion = new Promotion(core, core.roleChange());
    Resyncs resyncs = new Resyncs(core);
    NodeChecks checks = new NodeChecks(core, settings, scheduler);
    core.install(services, checks);
    return new ClusterNode(core, promotion, resyncs);
  }
}
