package org.mailcluster.internal.services;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.clock.ClockDriftValidator;
import org.mailcluster.clock.ClockSample;
import org.mailcluster.clock.ClockState;
import org.mailcluster.internal.node.NodeLoop;
import org.mailcluster.internal.node.NodeSettings;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.PreflightCheck;
import org.mailcluster.paths.PreflightReport;
import org.mailcluster.paths.SharedStorage;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.spi.Scheduler;
import org.mailcluster.transport.MessageLimits;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's checks of its surroundings: peers' clocks and time zones (requirements R26 and B7 in
 * docs/REQUIREMENTS.md) and the shared storage (R5, R12, R27). Runs on the node's logical thread;
 * talks to peers only through the node's requests: pings for clock samples, zone queries, and probe
 * reads for the preflight.
 */
public final class NodeChecks {
  private static final Logger clusterLog = LoggerFactory.getLogger("mailcluster.cluster");

  private final NodeContext node;
  private final NodeSettings settings;
  private final Scheduler scheduler;
  private final ClockDriftValidator clocks;
  private Optional<PreflightReport> lastPreflight = Optional.empty();
  // The preflight running now, if any; touched on the node's thread only.
  private CompletableFuture<PreflightReport> preflightInFlight;

  public NodeChecks(NodeContext node, NodeSettings settings, Scheduler scheduler) {
    this.node = node;
    this.settings = settings;
    this.scheduler = scheduler;
    this.clocks =
        ClockDriftValidator.create(settings.clock(), settings.id().value(), settings.zone());
  }

  /** This node's time zone and its current UTC offset, for a peer's {@link Request.ZoneQuery}. */
  public Response.Zone zone() {
    ZoneId zone = settings.zone();
    return new Response.Zone(zone, zone.getRules().getOffset(scheduler.now()), node.epoch());
  }

  /**
   * Reads a peer's storage probe through this node's mapping, for its {@link Request.ProbeRead}.
   * The file is read on the storage executor, since network storage may hang.
   */
  /**
   * Reads the probe that {@code caller} wrote for this node to find, off the loop. Only that file
   * is read: the request names a folder and a file, and a caller must not learn what any other file
   * holds.
   *
   * @throws ClusterException with {@code PERMISSION_DENIED} if the file named is not the caller's
   *     probe
   */
  public CompletableFuture<Response> readProbe(NodeId caller, Request.ProbeRead request) {
    String expected = StorageProbe.probeName(caller.value());
    if (!request.file().equals(expected)) {
      throw new ClusterException(
          ErrorCode.PERMISSION_DENIED,
          caller
              + " asked "
              + settings.id()
              + " to read '"
              + request.file()
              + "' under "
              + request.path()
              + ": a node reads only the probe its caller wrote there ("
              + expected
              + ")");
    }
    return CompletableFuture.supplyAsync(
        () -> new Response.ProbeToken(readProbeFile(request), node.epoch()),
        settings.storageExecutor());
  }

  public List<ClockState> clockStates() {
    return clocks.states();
  }

  public Optional<PreflightReport> lastPreflight() {
    return lastPreflight;
  }

  // ---- clocks --------------------------------------------------------------------------

  /**
   * Samples every other registered server's clock and asks its zone; completes when every answer is
   * in or has failed.
   */
  public CompletableFuture<List<ClockState>> clockRound() {
    List<CompletableFuture<Void>> rounds = new ArrayList<>();
    for (Member m : node.members()) {
      if (!m.id().equals(settings.id())) {
        rounds.add(sampleClock(m.id()));
      }
    }
    CompletableFuture<List<ClockState>> done = new CompletableFuture<>();
    CompletableFuture.allOf(rounds.toArray(CompletableFuture[]::new))
        .whenComplete(
            (ignored, failure) -> scheduler.execute(() -> done.complete(clocks.states())));
    return done;
  }

  /** Sends one round of pings to {@code peer}, one after the other, and asks its zone. */
  public CompletableFuture<Void> sampleClock(NodeId peer) {
    CompletableFuture<Void> pings = new CompletableFuture<>();
    ping(peer, settings.clock().samplesPerRound(), pings);
    CompletableFuture<Void> zone = new CompletableFuture<>();
    node.ask(peer, Request.ZoneQuery::new, settings.callDeadline())
        .whenComplete(
            (answer, failure) ->
                scheduler.execute(
                    () -> {
                      if (failure == null && !node.isClosing()) {
                        onZone(peer, (Response.Zone) answer);
                      } else if (failure != null
                          && NodeLoop.unwrap(failure) instanceof ClusterException e
                          && e.code() == ErrorCode.INVALID_VALUE) {
                        clusterLog.debug(
                            "{} answered an unreadable time zone: {}", peer, e.getMessage());
                      }
                      zone.complete(null);
                    }));
    return CompletableFuture.allOf(pings, zone);
  }

  private void ping(NodeId peer, int left, CompletableFuture<Void> done) {
    if (left == 0 || node.isClosing()) {
      done.complete(null);
      return;
    }
    Instant t1 = scheduler.now();
    node.send(
            peer,
            new Request.Ping(t1, node.epoch(), node.role() == Role.PRIMARY),
            settings.callDeadline())
        .whenComplete(
            (response, failure) -> {
              Instant t4 = scheduler.now();
              scheduler.execute(
                  () -> {
                    if (failure != null) {
                      clusterLog.debug("clock sample of {} failed: {}", peer, failure.toString());
                      done.complete(null);
                      return;
                    }
                    if (node.isClosing()) {
                      done.complete(null);
                      return;
                    }
                    Response.Pong pong = (Response.Pong) response;
                    try {
                      ClockSample sample =
                          new ClockSample(t1, pong.receivedAt(), pong.sentAt(), t4);
                      clocks.sample(peer.value(), sample).ifPresent(node::warn);
                      node.diagnosticsChanged();
                    } catch (IllegalArgumentException e) {
                      // This node's wall clock stepped back during the ping: not a sample.
                      clusterLog.debug("clock sample of {} discarded: {}", peer, e.getMessage());
                    }
                    ping(peer, left - 1, done);
                  });
            });
  }

  private void onZone(NodeId peer, Response.Zone answer) {
    clocks
        .zone(peer.value(), answer.zone(), answer.offset(), scheduler.now())
        .ifPresent(node::warn);
    node.diagnosticsChanged();
  }

  /** Forgets the clocks of servers that are no longer registered. */
  public void retainClocks(List<Member> members) {
    List<String> registered = members.stream().map(m -> m.id().value()).toList();
    for (ClockState c : clocks.states()) {
      if (!registered.contains(c.node())) {
        clocks.forget(c.node());
      }
    }
  }

  // ---- shared storage --------------------------------------------------------------------

  /** Runs the preflight: local checks, then every other registered server reads the probes. */
  public CompletableFuture<PreflightReport> preflight() {
    String self = settings.id().value();
    Optional<SharedStorage> configured = settings.sharedStorage();
    if (configured.isEmpty()) {
      PreflightReport report =
          new PreflightReport(
              self,
              scheduler.now(),
              List.of(
                  new PreflightCheck(
                      self,
                      "(none)",
                      "configured",
                      false,
                      "no shared storage is configured: set it with"
                          + " ClusterServiceBuilder.sharedStorage(...)")));
      return CompletableFuture.completedFuture(finish(report));
    }
    if (preflightInFlight != null && !preflightInFlight.isDone()) {
      // One at a time: two runs would write, read and delete the same probe files.
      return preflightInFlight.thenApply(r -> r);
    }
    SharedStorage storage = configured.get();
    byte[] bytes = new byte[16];
    settings.random().nextBytes(bytes);
    String token = HexFormat.of().formatHex(bytes);
    String file = StorageProbe.probeName(self);
    // File operations on the shared paths run on the storage executor, since network storage may
    // hang; the node's thread asks the peers and finishes the report.
    CompletableFuture<PreflightReport> done = new CompletableFuture<>();
    preflightInFlight = done;
    onStorage(
        done,
        () -> {
          List<PreflightCheck> checks = new ArrayList<>();
          List<StoragePath> written = new ArrayList<>();
          for (StoragePath path : storage.paths()) {
            if (StorageProbe.writeAndCheck(self, storage, path, file, token, checks)) {
              written.add(path);
            }
          }
          scheduler.execute(() -> askPeers(storage, file, token, checks, written, done));
        });
    return done;
  }

  /** Asks every other registered server to read this node's probes, then deletes them. */
  private void askPeers(
      SharedStorage storage,
      String file,
      String token,
      List<PreflightCheck> checks,
      List<StoragePath> written,
      CompletableFuture<PreflightReport> done) {
    String self = settings.id().value();
    List<CompletableFuture<PreflightCheck>> reads = new ArrayList<>();
    for (Member m : node.members()) {
      if (m.id().equals(settings.id())) {
        continue;
      }
      String peer = m.id().value();
      for (StoragePath path : written) {
        String check = "read-probe-of-" + self;
        reads.add(
            node.ask(
                    m.id(),
                    epoch -> new Request.ProbeRead(path, file, epoch),
                    settings.callDeadline())
                .handle(
                    (response, failure) -> {
                      if (failure != null) {
                        return new PreflightCheck(
                            peer, path.toString(), check, false, NodeLoop.rootMessage(failure));
                      }
                      String answer = ((Response.ProbeToken) response).token();
                      boolean same = answer.equals(token);
                      return new PreflightCheck(
                          peer,
                          path.toString(),
                          check,
                          same,
                          same
                              ? "read the same token through its own mapping"
                              : "read another token ("
                                  + answer
                                  + "): it does not see the same storage as "
                                  + self);
                    }));
      }
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .whenComplete(
            (ignored, failure) ->
                onStorage(
                    done,
                    () -> {
                      for (CompletableFuture<PreflightCheck> r : reads) {
                        checks.add(r.join());
                      }
                      for (StoragePath path : written) {
                        StorageProbe.delete(self, storage, path, file, checks);
                      }
                      scheduler.execute(
                          () ->
                              done.complete(
                                  finish(new PreflightReport(self, scheduler.now(), checks))));
                    }));
  }

  /** Runs {@code work} on the storage executor; {@code done} fails if it cannot or if it throws. */
  private void onStorage(CompletableFuture<PreflightReport> done, Runnable work) {
    try {
      settings
          .storageExecutor()
          .execute(
              () -> {
                try {
                  work.run();
                } catch (RuntimeException e) {
                  done.completeExceptionally(e);
                }
              });
    } catch (RejectedExecutionException e) {
      done.completeExceptionally(
          new ClusterException(
              ErrorCode.UNAVAILABLE, "the storage executor refused the preflight: " + e, e));
    }
  }

  private PreflightReport finish(PreflightReport report) {
    lastPreflight = Optional.of(report);
    if (report.passed()) {
      clusterLog.info(
          "shared-storage preflight passed: {} checks on {}",
          report.checks().size(),
          report.node());
    } else {
      for (PreflightCheck c : report.failures()) {
        node.warn("shared-storage preflight: " + c);
      }
    }
    node.diagnosticsChanged();
    return report;
  }

  private String readProbeFile(Request.ProbeRead request) {
    StoragePath path = request.path();
    Optional<SharedStorage> storage = settings.sharedStorage();
    if (storage.isEmpty()) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE,
          settings.id() + " has no shared storage configured, so it cannot read " + path);
    }
    String token = StorageProbe.read(settings.id().value(), storage.get(), path, request.file());
    if (token.length() > MessageLimits.PROBE_TOKEN) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE,
          settings.id()
              + " reads "
              + token.length()
              + " characters in the probe "
              + request.file()
              + " under "
              + path
              + ", not a token: another file is in its place; remove it and run the preflight"
              + " again");
    }
    return token;
  }
}
