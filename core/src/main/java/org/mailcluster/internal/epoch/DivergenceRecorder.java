package org.mailcluster.internal.epoch;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.mailcluster.ClusterException;
import org.mailcluster.DivergenceReport;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.history.History;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;

/**
 * What a fenced-off primary committed that the new primary may lack. From the moment it is fenced
 * until it knows, the head it had is kept durable; when the new primary's state arrives, the
 * revisions it does not descend from are saved to a {@link DivergenceFile} before that state
 * replaces this node's own, and reported. Never merged, never lost.
 */
public final class DivergenceRecorder {
  private static final String DIVERGENCE_METADATA = "divergence.pending";

  /** What a fenced-off primary had, until it knows which of it the new primary lacks. */
  private record Pending(long epoch, Revision head) {
    String format() {
      return epoch + " " + head;
    }

    static Pending parse(String text) {
      String[] parts = text.split(" ");
      return new Pending(Long.parseLong(parts[0]), Revision.parse(parts[1]));
    }
  }

  private final NodeCore node;
  private final List<DivergenceReport> reports = new CopyOnWriteArrayList<>();
  private Pending pending;

  /** Binds the node whose divergence is recorded. */
  public DivergenceRecorder(NodeCore node) {
    this.node = node;
  }

  /** Reads a divergence still pending from before a restart. */
  public void recover() {
    pending =
        node.store()
            .readMetadata(DIVERGENCE_METADATA)
            .filter(v -> !v.equals("none"))
            .map(Pending::parse)
            .orElse(null);
  }

  /** The divergences saved since this node started. */
  public List<DivergenceReport> reports() {
    return List.copyOf(reports);
  }

  /** This node was the primary of {@code epoch} up to {@code head}, and was fenced off. */
  void fenced(long epoch, Revision head) {
    pending = new Pending(epoch, head);
    node.store().writeMetadata(DIVERGENCE_METADATA, pending.format());
  }

  /**
   * The new primary sent entries after {@code previous}, which this node holds: it had every
   * revision up to there.
   */
  public void continuedFrom(ConfigSnapshot state, Revision previous) {
    if (pending == null) {
      return;
    }
    if (EpochLineage.contains(state, pending.head())) {
      NodeEvents.CLUSTER_LOG.info(
          "every revision this node committed as primary of epoch {} reached the new primary",
          pending.epoch());
    } else {
      node.events()
          .error(
              "the new primary continued from "
                  + previous
                  + " although it does not descend from it; resync this node");
    }
    clear();
  }

  /**
   * Saves the revisions the new primary's {@code received} state does not descend from, before it
   * replaces this node's own.
   *
   * @throws ClusterException with {@code STORAGE_FAILURE} if the file cannot be written: the
   *     snapshot is then not installed, to be retried
   */
  public void beforeInstalling(ConfigSnapshot received) {
    if (pending == null) {
      return;
    }
    Pending p = pending;
    History history = node.history();
    List<LogEntry> diverged = new ArrayList<>();
    for (LogEntry e : history.entries()) {
      if (e.revision().compareTo(p.head()) <= 0 && !EpochLineage.contains(received, e.revision())) {
        diverged.add(e);
      }
    }
    if (diverged.isEmpty() && EpochLineage.contains(received, p.head())) {
      NodeEvents.CLUSTER_LOG.info(
          "every revision this node committed as primary of epoch {} reached the new primary",
          p.epoch());
      clear();
      return;
    }
    ConfigSnapshot committed = node.committed();
    ConfigSnapshot state =
        committed.revision().equals(p.head()) || !history.retains(p.head())
            ? committed
            : history.contentAt(p.head());
    long epoch = node.epochs().current();
    Path directory = node.settings().divergenceDirectory();
    Path file;
    try {
      file =
          DivergenceFile.write(
              directory,
              node.settings().id(),
              p.epoch(),
              epoch,
              node.primary().map(NodeId::value).orElse("unknown"),
              node.scheduler().now(),
              diverged,
              state);
    } catch (IOException | RuntimeException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "could not save the revisions the new primary lacks to "
              + directory
              + " ("
              + e
              + "): this node keeps its old state until they are saved; check that directory",
          e);
    }
    DivergenceReport report =
        new DivergenceReport(
            node.settings().id().value(),
            p.epoch(),
            epoch,
            diverged.stream().map(LogEntry::revision).toList(),
            file.toAbsolutePath().toString(),
            node.scheduler().now());
    reports.add(report);
    node.events()
        .error(
            "saved "
                + diverged.size()
                + " revision"
                + (diverged.size() == 1 ? "" : "s")
                + (diverged.isEmpty()
                    ? ""
                    : " ("
                        + diverged.get(0).revision()
                        + " to "
                        + diverged.get(diverged.size() - 1).revision()
                        + ")")
                + " committed here as primary of epoch "
                + p.epoch()
                + " that the primary of epoch "
                + epoch
                + " never received, with this node's state at "
                + state.revision()
                + ", to "
                + file.toAbsolutePath()
                + ": they were not merged; re-apply on the primary what is still wanted");
    node.forEachListener(l -> l.divergentRevisionsSaved(report));
    clear();
  }

  private void clear() {
    pending = null;
    node.store().writeMetadata(DIVERGENCE_METADATA, "none");
  }
}
