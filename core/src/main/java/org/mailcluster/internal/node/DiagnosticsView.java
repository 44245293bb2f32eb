package org.mailcluster.internal.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.mailcluster.Diagnostics;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.membership.Membership;
import org.mailcluster.internal.replication.PrimaryRole;
import org.mailcluster.internal.replication.RoleState;
import org.mailcluster.internal.replication.SecondaryRole;
import org.mailcluster.internal.services.NodeServices;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.PeerChannel;

/**
 * The node's diagnostics, rebuilt on the loop after every event and read by any thread. Member
 * records are parsed again only when a member key changed, not on every revision; round trips are
 * read from the transport when diagnostics are asked for.
 */
final class DiagnosticsView {
  private final NodeCore node;
  private volatile Diagnostics current;
  private ConfigSnapshot membersParsedFrom = ConfigSnapshot.empty();
  private List<Member> membersParsed = List.of();

  DiagnosticsView(NodeCore node) {
    this.node = node;
  }

  /** Rebuilds the diagnostics from the node's state now. On the loop. */
  void refresh() {
    ConfigSnapshot state = node.committed();
    if (state != membersParsedFrom
        && Membership.touchesMembers(ConfigDiff.between(membersParsedFrom, state))) {
      membersParsed = Membership.members(state);
      node.checks().retainClocks(membersParsed);
    }
    membersParsedFrom = state;
    NodeId self = node.settings().id();
    RoleState role = node.roleState();
    NodeServices services = node.builtIn();
    List<Diagnostics.MemberState> members = new ArrayList<>();
    for (Member m : membersParsed) {
      String connection;
      Optional<Revision> acked = Optional.empty();
      Optional<Revision> written = Optional.empty();
      Optional<Diagnostics.Degraded> degraded = Optional.empty();
      OptionalLong lag = OptionalLong.empty();
      if (m.id().equals(self)) {
        connection = "self";
        lag = role instanceof PrimaryRole ? OptionalLong.of(0) : OptionalLong.empty();
      } else if (role instanceof PrimaryRole primary) {
        connection = primary.connectionOf(m.id());
        acked = primary.acknowledgedBy(m.id());
        written = primary.writtenBy(m.id());
        degraded = primary.degradedOf(m.id());
        // A disconnected member may be far behind by now: its lag is unknown, not 0.
        if (connection.equals("streaming") && acked.isPresent()) {
          lag = OptionalLong.of(lag(acked.get(), state.revision()));
        }
      } else {
        connection = ((SecondaryRole) role).connectionTo(m.id()).orElse("unknown");
      }
      Optional<NodeServices.StatusReport> report = services.reportOf(m.id());
      members.add(
          new Diagnostics.MemberState(
              m.id().value(),
              m.role(),
              m.address().toString(),
              connection,
              acked,
              lag,
              report.map(NodeServices.StatusReport::certificates).orElse(List.of()),
              report.flatMap(NodeServices.StatusReport::screening),
              Optional.empty(),
              written,
              degraded));
    }
    current =
        new Diagnostics(
            self.value(),
            role.role(),
            node.epochs().current(),
            state.revision(),
            node.primary().map(NodeId::value),
            node.synced().isDone() && !node.synced().isCompletedExceptionally(),
            members,
            node.events().recent(),
            services.certificates.checks(),
            Optional.of(services.screening.status()),
            node.divergence().reports(),
            node.checks().clockStates(),
            node.checks().lastPreflight(),
            degraded(role));
  }

  /** The diagnostics with each peer's round trip as the transport measures it now. */
  Diagnostics read() {
    Diagnostics d = current;
    List<Diagnostics.MemberState> fresh = new ArrayList<>(d.members().size());
    PeerChannel primaryChannel =
        node.roleState() instanceof SecondaryRole s ? s.channelToPrimary() : null;
    for (Diagnostics.MemberState m : d.members()) {
      Optional<Duration> rtt = Optional.empty();
      if (!m.connection().equals("self")) {
        PeerChannel c = node.peers().existing(NodeAddress.parse(m.address())).orElse(null);
        if (c == null && primaryChannel != null && d.primary().equals(Optional.of(m.id()))) {
          c = primaryChannel;
        }
        rtt = c == null ? Optional.empty() : c.roundTrip();
      }
      fresh.add(m.withRoundTrip(rtt));
    }
    return d.withMembers(fresh);
  }

  private static List<Diagnostics.Degraded> degraded(RoleState role) {
    if (role instanceof PrimaryRole p) {
      return p.degraded();
    }
    return role instanceof SecondaryRole s
        ? s.degraded().map(List::of).orElse(List.of())
        : List.of();
  }

  private static long lag(Revision acked, Revision latest) {
    if (acked.epoch() != latest.epoch()) {
      return latest.sequence();
    }
    return Math.max(0, latest.sequence() - acked.sequence());
  }
}
