package org.mailcluster;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
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
 * d.members().stream()
 *     .filter(m -> m.lag().orElse(Long.MAX_VALUE) > 0 || m.degraded().isPresent())
 *     .forEach(m -> alert(m.id() + " lags " + m.lag() + ", " + m.degraded()));
 * d.degraded().forEach(x -> alert(d.node() + " is degraded since " + x.since() + ": " + x.reason()));
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
 * @param degraded why this node is degraded now, each with since when: a write of the host's files
 *     or a commit that failed and is being retried (requirement S4); empty when all is well
 * @param heldBack the host-file changes the primary holds back because they looked like damage
 *     (requirement S2), by file name; empty on a secondary
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
    Optional<PreflightReport> preflight,
    List<Degraded> degraded,
    List<HeldBackChange> heldBack) {
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
    degraded = List.copyOf(degraded);
    heldBack = List.copyOf(heldBack);
  }

  /** Creates diagnostics of a node that is not degraded. */
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
      Optional<ScreeningStatus> screening,
      List<DivergenceReport> divergences,
      List<ClockState> clocks,
      Optional<PreflightReport> preflight) {
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
        divergences,
        clocks,
        preflight,
        List.of(),
        List.of());
  }

  /** Creates diagnostics without divergence, clock, preflight or held-back figures. */
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
        Optional.empty(),
        List.of(),
        List.of());
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
   * @param lag how many revisions it is behind the primary; empty when that is not known: it is
   *     disconnected (its last acknowledged revision is then in {@code acknowledged}), has not
   *     acknowledged anything yet, or this node is not the primary
   * @param certificates its certificate checks as it last reported them (the primary hears from
   *     every node; a secondary knows only its own)
   * @param screening its screening state as it last reported it
   * @param roundTrip the network round trip to it as the transport last measured it (the minimum of
   *     a recent window), if this node talks to it; nodes belong on one LAN (R8)
   * @param written the last revision it wrote to its host's files, as the primary knows it: below
   *     {@code acknowledged} while its writes fail and are being retried
   * @param degraded why it is degraded, as the primary sees it (its files are behind its state),
   *     and since when
   */
  public record MemberState(
      String id,
      Role role,
      String address,
      String connection,
      Optional<Revision> acknowledged,
      OptionalLong lag,
      List<CertificateCheck> certificates,
      Optional<ScreeningStatus> screening,
      Optional<Duration> roundTrip,
      Optional<Revision> written,
      Optional<Degraded> degraded) {
    /** Copies the list. */
    public MemberState {
      requireNonNull(acknowledged, "acknowledged");
      requireNonNull(lag, "lag");
      certificates = List.copyOf(certificates);
      requireNonNull(screening, "screening");
      requireNonNull(roundTrip, "roundTrip");
      requireNonNull(written, "written");
      requireNonNull(degraded, "degraded");
    }

    /** Returns a copy with another round trip. */
    public MemberState withRoundTrip(Optional<Duration> measured) {
      return new MemberState(
          id,
          role,
          address,
          connection,
          acknowledged,
          lag,
          certificates,
          screening,
          measured,
          written,
          degraded);
    }
  }

  /**
   * Why a node does not do all it should right now, although it keeps running and retries by itself
   * (requirement S4): e.g. its host's files could not be written, or a file edit could not be
   * committed because the state disk is full. It clears by itself once the retry succeeds.
   *
   * @param reason what fails and what to do about it
   * @param since when it started to fail
   */
  public record Degraded(String reason, Instant since) {
    /** Checks the parts. */
    public Degraded {
      requireNonNull(reason, "reason");
      requireNonNull(since, "since");
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
        preflight,
        degraded,
        heldBack);
  }

  /**
   * A warning or error that an operator should see.
   *
   * @param at when it happened
   * @param level {@code INFO} (a degraded state cleared, or a split brain that is over), {@code
   *     WARN} or {@code ERROR}
   * @param message what happened and what to do
   */
  public record Event(Instant at, String level, String message) {}
}
