package org.mailcluster.internal.node;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.mailcluster.ClusterException;
import org.mailcluster.Diagnostics;
import org.mailcluster.ErrorCode;
import org.mailcluster.spi.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warnings and errors a node reports: each goes to the cluster log and to the recent events
 * that diagnostics show. Loop-confined.
 */
public final class NodeEvents {
  /** The cluster log that hosts route to their "Cluster" log file. */
  public static final Logger CLUSTER_LOG = LoggerFactory.getLogger("mailcluster.cluster");

  /** The replication log: commits, applies, snapshots. */
  public static final Logger REPLICATION_LOG = LoggerFactory.getLogger("mailcluster.replication");

  private static final int RECENT_EVENTS = 50;

  private final Scheduler scheduler;
  private final Runnable changed;
  private final Deque<Diagnostics.Event> recent = new ArrayDeque<>();
  private final RefusalLog refusals = new RefusalLog();

  NodeEvents(Scheduler scheduler, Runnable changed) {
    this.scheduler = scheduler;
    this.changed = changed;
  }

  /** Logs news an operator waits for, e.g. that a degraded state cleared, and keeps it. */
  public void info(String message) {
    CLUSTER_LOG.info(message);
    record("INFO", message);
  }

  /** Logs a warning and keeps it for diagnostics. */
  public void warn(String message) {
    CLUSTER_LOG.warn(message);
    record("WARN", message);
  }

  /** Logs an error and keeps it for diagnostics. */
  public void error(String message) {
    CLUSTER_LOG.error(message);
    record("ERROR", message);
  }

  /**
   * Logs an error that has an {@link ErrorCode} and keeps it for diagnostics; the message starts
   * with the code, so that an operator (and a script reading the status) can tell it.
   */
  public void error(ErrorCode code, String message) {
    error(code + ": " + message);
  }

  /** Logs and keeps a refusal of a peer's request, and returns the exception that refuses it. */
  public ClusterException refuse(ErrorCode code, String message) {
    warn("refused: " + message);
    return new ClusterException(code, message);
  }

  /**
   * Like {@link #refuse(ErrorCode, String)} for a refusal a peer can repeat at will: logged and
   * kept for the first few of {@code caller}'s refusals in each minute, then only counted (see
   * {@link RefusalLog}).
   */
  public ClusterException refuse(ErrorCode code, String message, String caller) {
    if (refusals.refused(caller, scheduler.now(), this::warn) == RefusalLog.Verdict.LOG) {
      warn("refused: " + message);
    }
    return new ClusterException(code, message);
  }

  /** Keeps an event for diagnostics that was logged elsewhere. */
  public void record(String level, String message) {
    recent.addLast(new Diagnostics.Event(scheduler.now(), level, message));
    while (recent.size() > RECENT_EVENTS) {
      recent.removeFirst();
    }
    changed.run();
  }

  List<Diagnostics.Event> recent() {
    return List.copyOf(recent);
  }
}
