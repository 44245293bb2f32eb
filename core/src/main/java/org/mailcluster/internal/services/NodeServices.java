package org.mailcluster.internal.services;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mailcluster.ClusterListener;
import org.mailcluster.Role;
import org.mailcluster.admin.ClusterOptions;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.certificates.CertificateSettings;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Setting;
import org.mailcluster.internal.node.NodeSettings;
import org.mailcluster.membership.NodeId;
import org.mailcluster.routing.RoutingPlan;
import org.mailcluster.screening.ScreeningStatus;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;

/**
 * The cluster services built into a node (docs/ARCHITECTURE.md, The node core): mail-change relay,
 * dynamic screening, certificates, constraints and the write gate, plus the status reports through
 * which the primary shows every node's certificate and screening state in its diagnostics. The
 * services use only the node's public API (named services, {@code call}, {@code update}), the
 * transport's requests and the node's scheduler, so they run over any transport.
 */
public final class NodeServices {
  /** What a node reports to the primary about itself. */
  public record StatusReport(
      List<CertificateCheck> certificates, Optional<ScreeningStatus> screening) {}

  private final NodeContext node;
  private final NodeSettings settings;
  private final Scheduler scheduler;
  public final MailEventRelay mailEvents;
  public final ScreeningService screening;
  public final CertificateService certificates;
  public final ConstraintService constraints;
  public final NodeWriteGate writeGate;
  // Primary: the last report of each other node. Loop-confined.
  private final Map<NodeId, StatusReport> reports = new HashMap<>();
  private StatusReport lastSent;
  private int reportTicks;

  public NodeServices(NodeContext node, NodeSettings settings, Scheduler scheduler) {
    this.node = node;
    this.settings = settings;
    this.scheduler = scheduler;
    for (Setting<?> s : CertificateSettings.all()) {
      if (settings.registry().find(s.key()).isEmpty()) {
        try {
          settings.registry().register(s);
        } catch (IllegalArgumentException raced) {
          // another node sharing the registry registered it first
        }
      }
    }
    this.mailEvents = new MailEventRelay(node, settings, scheduler);
    this.screening = new ScreeningService(node, settings, scheduler);
    this.certificates = new CertificateService(node, settings, scheduler);
    this.constraints = new ConstraintService(node, settings);
    this.writeGate = new NodeWriteGate(node, settings);
  }

  /** Starts the services; runs on the loop once the node has its state. */
  public void start() {
    node.addListener(
        new ClusterListener() {
          @Override
          public void configurationChanged(ConfigSnapshot now, ConfigDiff diff) {
            screening.onApplied(diff);
            certificates.onApplied(diff);
          }

          @Override
          public void roleChanged(Role role, long epoch) {
            screening.roleChanged(role);
          }
        });
    mailEvents.start();
    screening.start();
    certificates.start();
    node.loop().every(certificates.recheckInterval(), certificates::recheck);
    // The role may change (promotion, fencing): each task checks it when it runs.
    node.loop()
        .every(
            settings.heartbeatInterval().multipliedBy(5),
            () -> {
              if (node.role() == Role.SECONDARY) {
                report();
              }
            });
    node.loop()
        .every(
            ScreeningService.PRUNE_INTERVAL,
            () -> {
              if (node.role() == Role.PRIMARY) {
                screening.prune();
              }
            });
  }

  public void close() {
    mailEvents.close();
    screening.close();
  }

  public RoutingPlan routing() {
    return RoutingPlan.simplest(settings.id().value(), node.role(), node.members());
  }

  public ClusterOptions options() {
    return new ClusterOptions(
        true,
        settings.id().value(),
        node.role(),
        settings.address().toString(),
        settings.address().port(),
        settings.primaryAddress().map(Object::toString),
        settings.productVersion(),
        settings.heartbeatInterval(),
        settings.callDeadline(),
        settings.snapshotInterval(),
        settings.services().screeningPolicy(),
        settings.services().mailEventBuffer(),
        settings.services().certificateDirectory().map(Object::toString));
  }

  /** This node's own report. */
  public StatusReport local() {
    return new StatusReport(certificates.checks(), Optional.of(screening.status()));
  }

  /** The last report of {@code id}: this node's own, or (on the primary) what it sent. */
  public Optional<StatusReport> reportOf(NodeId id) {
    if (id.equals(settings.id())) {
      return Optional.of(local());
    }
    return Optional.ofNullable(reports.get(id));
  }

  /** On a secondary: sends this node's report to the primary when it changed. */
  private void report() {
    Optional<NodeId> primary = node.primary();
    if (primary.isEmpty()) {
      return;
    }
    StatusReport body = local();
    // Unchanged reports are sent again now and then: a restarted primary has forgotten them.
    if (body.equals(lastSent) && ++reportTicks % 6 != 0) {
      return;
    }
    node.ask(
            primary.get(),
            epoch -> new Request.StatusReport(body.certificates(), body.screening(), epoch),
            settings.callDeadline())
        .whenComplete(
            (ok, failure) ->
                scheduler.execute(
                    () -> {
                      if (failure == null) {
                        lastSent = body;
                      }
                    }));
  }

  /**
   * On the primary: records the {@link Request.StatusReport} of the calling node for the
   * diagnostics. A caller the transport could not identify is not recorded.
   */
  public Response.Accepted receiveReport(PeerIdentity from, Request.StatusReport report) {
    if (from.node().isPresent()) {
      reports.put(from.node().get(), new StatusReport(report.certificates(), report.screening()));
      node.diagnosticsChanged();
    }
    return new Response.Accepted(node.epoch());
  }
}
