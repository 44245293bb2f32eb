package org.mailcluster.internal.replication;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.Request;

/**
 * What a secondary tells its primary it applied: the revision, its fingerprint for the divergence
 * check, and what its files hold. Acknowledgements of applied entries are coalesced. Loop-confined.
 */
final class Acknowledgements {
  // At most one acknowledgement of applied entries per interval, each for the newest applied
  // revision. A burst of commits then costs the primary one acknowledgement per interval per
  // secondary rather than one per message, and the lag in diagnostics is at most one interval
  // stale.
  private static final long ACK_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final NodeCore node;
  private final Supplier<PeerChannel> toPrimary;
  private final BooleanSupplier closed;
  private final Supplier<Revision> filesWritten;
  private Instant lastAckAt = Instant.EPOCH;
  private long lastAckNanos;
  private boolean ackSent;
  private boolean ackScheduled;

  /**
   * Acknowledgements sent on {@code toPrimary} (null before the first join) until {@code closed}
   * holds, each with {@code filesWritten}, the revision the host's files hold.
   */
  Acknowledgements(
      NodeCore node,
      Supplier<PeerChannel> toPrimary,
      BooleanSupplier closed,
      Supplier<Revision> filesWritten) {
    this.node = node;
    this.toPrimary = toPrimary;
    this.closed = closed;
    this.filesWritten = filesWritten;
  }

  /** Acknowledges now, or with the next acknowledgement due within the interval. */
  void soon() {
    if (ackScheduled) {
      return; // the scheduled acknowledgement will carry this revision too
    }
    long since = node.scheduler().nanoTime() - lastAckNanos;
    if (!ackSent || since < 0 || since >= ACK_INTERVAL_NANOS) {
      now();
      return;
    }
    ackScheduled = true;
    node.scheduler()
        .schedule(
            Duration.ofNanos(ACK_INTERVAL_NANOS - since),
            () ->
                node.loop()
                    .withContext(
                        () -> {
                          ackScheduled = false;
                          if (!node.isClosing()
                              && !closed.getAsBoolean()
                              && toPrimary.get() != null) {
                            now();
                          }
                        }));
  }

  /** Whether five heartbeat intervals passed since the last acknowledgement. */
  boolean fingerprintDue() {
    return !node.scheduler()
        .now()
        .isBefore(lastAckAt.plus(node.settings().heartbeatInterval().multipliedBy(5)));
  }

  /** Acknowledges what this node holds now; only once it joined a primary. */
  void now() {
    lastAckAt = node.scheduler().now();
    lastAckNanos = node.scheduler().nanoTime();
    ackSent = true;
    ConfigSnapshot committed = node.committed();
    Request.Ack ack =
        new Request.Ack(
            node.settings().id(),
            node.epochs().current(),
            committed.revision(),
            committed.fingerprint(),
            filesWritten.get());
    toPrimary
        .get()
        .call(ack, node.settings().callDeadline())
        .whenComplete(
            (r, failure) -> {
              if (failure != null) {
                NodeEvents.REPLICATION_LOG.debug(
                    "acknowledgement of {} not delivered: {}", ack.applied(), failure.toString());
              }
            });
  }
}
