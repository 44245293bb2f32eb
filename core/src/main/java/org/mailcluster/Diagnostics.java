package org.mailcluster;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.clock.ClockState;
import org.mailcluster.config.Revision;
import org.mailcluster.paths.PreflightReport;
import org.mailcluster.screening.ScreeningStatus;

/**
 * A node's view of the cluster for administrators and monitoring (requirement R32 in
 * docs/REQUIREMENTS.md): who is in it, how far each secondary has caught up, and what went wrong
 * recently. An immutable record of records, so Jackson (or any record-aware mapper) writes it as
 * JSON without custom code.
 *
 * <pre>{@code
 * Diagnostics d = cluster.diagnostics();
 * d.members().stream().filter(m -> m.lag() > 0).forEach(m -> alert(m.id() + " lags " + m.lag()));
 * }</pre>
 *
 * @param node this node's id
 * @param role this node's role
 * @param epoch the highest epoch this node has seen
 * @param revision the last revision this node applied
 * @param primary the primary's id, if known
 * @param initialSyncComplete whether this node has completed its first sync (always true on the
 *     primary)
 * @param members every registered server with its replication state
 * @param recentEvents the last warnings and errors, newest last
 * @param certificates this node's latest check of each certificate (an {@code ERROR} means TLS
 *     would break here)
 * @param screening this node's dynamic-screening state
 * @param divergences the revisions this node saved as a returning former primary (requirement B3),
 *     oldest first
 * @param clocks what this node knows of every peer's clock and time zone (requirement R26)
 * @param preflight the last shared-storage preflight this node ran (requirement R27), if any
 */
public record Diagnostics(
    String node,
    Role role,
    long epoch,
    Revision revision,
    Optional<String> primary,
    boolean initialSyncComplete,
    List<MemberState> members,
    List<Event> recentEvents,
    List<CertificateCheck> certificates,
    Optional<ScreeningStatus> screening,
    List<DivergenceReport> divergences,
    List<ClockState> clocks,
    Optional<PreflightReport> preflight) {
  /** Copies the lists. */
  public Diagnostics {
    requireNonNull(node, "node");
    requireNonNull(role, "role");
    requireNonNull(revision, "revision");
    requireNonNull(primary, "primary");
    members = List.copyOf(members);
    recentEvents = List.copyOf(recentEvents);
    certificates = List.copyOf(certificates);
    requireNonNull(screening, "screening");
    divergences = List.copyOf(divergences);
    clocks = List.copyOf(clocks);
    requireNonNull(preflight, "preflight");
  }

  /** Creates diagnostics without divergence, clock or preflight figures. */
  public Diagnostics(
      String node,
      Role role,
      long epoch,
      Revision revision,
      Optional<String> primary,
      boolean initialSyncComplete,
      List<MemberState> members,
      List<Event> recentEvents,
      List<CertificateCheck> certificates,
      Optional<ScreeningStatus> screening) {
    this(
        node,
        role,
        epoch,
        revision,
        primary,
        initialSyncComplete,
        members,
        recentEvents,
        certificates,
        screening,
        List.of(),
        List.of(),
        Optional.empty());
  }

  /**
   * One registered server as this node sees it.
   *
   * @param id the node's id
   * @param role its role
   * @param address where it listens
   * @param connection how this node is connected to it: {@code self}, {@code streaming}, {@code
   *     disconnected}, or {@code unknown} (a secondary knows only its own link); on a primary,
   *     {@code claims primary} for a server that claims to be the primary of the same epoch (split
   *     brain)
   * @param acknowledged the last revision it acknowledged, as the primary knows it
   * @param lag how many revisions it is behind the primary (0 if unknown)
   * @param certificates its certificate checks as it last reported them (the primary hears from
   *     every node; a secondary knows only its own)
   * @param screening its screening state as it last reported it
   * @param roundTrip the network round trip to it as the transport last measured it (the minimum of
   *     a recent window), if this node talks to it; nodes belong on one LAN (R8)
   */
  public record MemberState(
      String id,
      Role role,
      String address,
      String connection,
      Optional<Revision> acknowledged,
      long lag,
      List<CertificateCheck> certificates,
      Optional<ScreeningStatus> screening,
      Optional<Duration> roundTrip) {
    /** Copies the list. */
    public MemberState {
      certificates = List.copyOf(certificates);
      requireNonNull(screening, "screening");
      requireNonNull(roundTrip, "roundTrip");
    }

    /** Returns a copy with another round trip. */
    public MemberState withRoundTrip(Optional<Duration> measured) {
      return new MemberState(
          id, role, address, connection, acknowledged, lag, certificates, screening, measured);
    }
  }

  /** Returns a copy with other member states (same order and ids), e.g. with fresh round trips. */
  public Diagnostics withMembers(List<MemberState> fresh) {
    return new Diagnostics(
        node,
        role,
        epoch,
        revision,
        primary,
        initialSyncComplete,
        fresh,
        recentEvents,
        certificates,
        screening,
        divergences,
        clocks,
        preflight);
  }

  /**
   * A warning or error that an operator should see.
   *
   * @param at when it happened
   * @param level {@code WARN} or {@code ERROR}, or {@code INFO} for the end of a condition that was
   *     reported as one (for example a split brain that is over)
   * @param message what happened and what to do
   */
  public record Event(Instant at, String level, String message) {}
}
