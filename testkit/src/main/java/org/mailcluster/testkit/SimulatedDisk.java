package org.mailcluster.testkit;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.spi.StateStore;

/**
 * One node's disk in a simulation: it outlives the node, so a node can be crashed and restarted on
 * the same disk. Writes are either durable (synced) or only written; {@link #crash()} loses the
 * written-but-unsynced part, as a power cut would.
 *
 * <p>A correct store syncs before {@link StateStore#append} returns; {@link
 * #acknowledgeBeforeSync(boolean)} makes the store skip that, which is the classic durability bug
 * the simulation suite must catch.
 *
 * <pre>{@code
 * SimulatedDisk disk = SimulatedDisk.create();
 * StateStore store = disk.open();
 * ... run the node ...
 * disk.crash();              // the node's store is now dead; unsynced writes are gone
 * StateStore again = disk.open();
 * }</pre>
 */
public final class SimulatedDisk {
  private ConfigSnapshot durableSnapshot = ConfigSnapshot.empty();
  private final List<LogEntry> durableLog = new ArrayList<>();
  // The revision just before the first entry of the durable log.
  private Revision logBase = Revision.INITIAL;
  private final Map<String, String> durableMetadata = new HashMap<>();
  private final List<LogEntry> unsynced = new ArrayList<>();
  private boolean acknowledgeBeforeSync;
  private int retainEntries;
  private Store open;
  private long appends;
  private String refusal;

  private SimulatedDisk() {}

  /** Returns an empty disk. */
  public static SimulatedDisk create() {
    return new SimulatedDisk();
  }

  /** Makes appends return before their entries are durable (a deliberate bug, for tests). */
  public SimulatedDisk acknowledgeBeforeSync(boolean value) {
    this.acknowledgeBeforeSync = value;
    return this;
  }

  /**
   * Keeps up to {@code entries} log entries that a snapshot already covers, as {@code
   * FileStateStore.Builder.retainEntries} does (0, the default, trims every covered entry): the
   * history a node rebuilds after a restart reaches back as far as the log does.
   */
  public SimulatedDisk retainEntries(int entries) {
    if (entries < 0) {
      throw new IllegalArgumentException("retained entries must be 0 or more but was " + entries);
    }
    this.retainEntries = entries;
    return this;
  }

  /**
   * Changes the durable state behind the store's back, as a failing disk or a person editing the
   * files would: the key gets {@code value} (or is removed when empty) in the state a restarted
   * node recovers, at the same revision. The log is folded into that state. For divergence tests
   * (requirement B2 in docs/REQUIREMENTS.md).
   */
  public void tamper(String key, Optional<String> value) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    ConfigSnapshot now = durableState();
    durableSnapshot = value.isPresent() ? now.with(key, value.get()) : now.without(key);
    durableLog.clear();
    logBase = durableSnapshot.revision();
  }

  /**
   * Loses everything on the disk, as a reinstalled machine or a deleted state directory would: a
   * node restarted on it starts with no state at all.
   */
  public void wipe() {
    durableSnapshot = ConfigSnapshot.empty();
    durableLog.clear();
    logBase = Revision.INITIAL;
    durableMetadata.clear();
    unsynced.clear();
  }

  /**
   * Puts the disk back as it was at {@code revision} of its own durable log, as a restore from an
   * old copy would (the log is folded into the state).
   *
   * @throws IllegalArgumentException if the durable log does not reach back to {@code revision}
   */
  public void restoreOldCopy(Revision revision) {
    ConfigSnapshot state = durableSnapshot;
    if (state.revision().compareTo(revision) > 0) {
      throw new IllegalArgumentException(
          "the disk's snapshot is at " + state.revision() + ", after " + revision);
    }
    for (LogEntry e : afterSnapshot()) {
      if (e.revision().compareTo(revision) > 0) {
        break;
      }
      state = e.diff().apply(state).atRevision(e.revision());
    }
    if (!state.revision().equals(revision)) {
      throw new IllegalArgumentException("the disk's log does not hold " + revision);
    }
    durableSnapshot = state;
    durableLog.clear();
    logBase = revision;
    unsynced.clear();
  }

  /**
   * Opens the store on this disk.
   *
   * @throws IllegalStateException if a store is already open on it
   */
  public StateStore open() {
    if (open != null && !open.dead) {
      throw new IllegalStateException("a store is already open on this disk; crash() or close it");
    }
    open = new Store();
    return open;
  }

  /**
   * Makes every write of the open store (and of stores opened later) fail with {@code
   * STORAGE_FAILURE} and {@code reason}, storing nothing, as a full or read-only disk does; reads
   * go on. Until {@link #acceptWrites}.
   *
   * <pre>{@code
   * disk.refuseWrites("No space left on device");
   * }</pre>
   */
  public void refuseWrites(String reason) {
    this.refusal = requireNonNull(reason, "reason");
  }

  /** Makes writes succeed again after {@link #refuseWrites}. */
  public void acceptWrites() {
    this.refusal = null;
  }

  /** Cuts the power: unsynced writes are lost, and the open store fails every call. */
  public void crash() {
    unsynced.clear();
    if (open != null) {
      open.dead = true;
    }
  }

  /** Returns the revisions that would survive a crash now, in order. */
  public List<Revision> durableRevisions() {
    List<Revision> out = new ArrayList<>();
    durableLog.forEach(e -> out.add(e.revision()));
    return out;
  }

  /** Returns the state that would be recovered after a crash now. */
  public ConfigSnapshot durableState() {
    return new StateStore.Recovered(durableSnapshot, afterSnapshot(), List.of()).replay();
  }

  private List<LogEntry> afterSnapshot() {
    Revision at = durableSnapshot.revision();
    return durableLog.stream().filter(e -> e.revision().compareTo(at) > 0).toList();
  }

  /** Returns how many append calls the disk has served. */
  public long appends() {
    return appends;
  }

  private final class Store implements StateStore {
    boolean dead;
    boolean recovered;

    @Override
    public Recovered recover() {
      alive();
      if (recovered) {
        throw new IllegalStateException("recover() may be called once");
      }
      recovered = true;
      return new Recovered(durableSnapshot, afterSnapshot(), List.of());
    }

    @Override
    public void append(List<LogEntry> entries) {
      alive();
      writable("append " + entries.size() + " log entries");
      Revision last = lastRevision();
      for (LogEntry e : entries) {
        if (e.revision().compareTo(last) <= 0) {
          throw new IllegalArgumentException(
              "revision " + e.revision() + " does not follow " + last);
        }
        last = e.revision();
      }
      appends++;
      unsynced.addAll(entries);
      if (!acknowledgeBeforeSync) {
        sync();
      } else if (appends % 2 == 0) {
        sync(); // the page cache flushes eventually; until then a crash loses the tail
      }
    }

    private void sync() {
      durableLog.addAll(unsynced);
      unsynced.clear();
    }

    @Override
    public Revision lastRevision() {
      alive();
      if (!unsynced.isEmpty()) {
        return unsynced.get(unsynced.size() - 1).revision();
      }
      return durableLog.isEmpty()
          ? durableSnapshot.revision()
          : durableLog.get(durableLog.size() - 1).revision();
    }

    @Override
    public Optional<List<LogEntry>> entriesAfter(Revision from) {
      alive();
      List<LogEntry> all = new ArrayList<>(durableLog);
      all.addAll(unsynced);
      for (int i = 0; i < all.size(); i++) {
        if (all.get(i).revision().equals(from)) {
          return Optional.of(List.copyOf(all.subList(i + 1, all.size())));
        }
      }
      if (from.equals(durableSnapshot.revision()) || from.equals(logBase)) {
        return Optional.of(all.stream().filter(e -> e.revision().compareTo(from) > 0).toList());
      }
      return Optional.empty();
    }

    @Override
    public void saveSnapshot(ConfigSnapshot snapshot) {
      alive();
      writable("save a snapshot");
      sync();
      durableSnapshot = requireNonNull(snapshot, "snapshot");
      long covered =
          durableLog.stream().filter(e -> e.revision().compareTo(snapshot.revision()) <= 0).count();
      for (long i = covered; i > retainEntries; i--) {
        logBase = durableLog.remove(0).revision();
      }
    }

    @Override
    public void resetTo(ConfigSnapshot snapshot) {
      alive();
      writable("reset to a snapshot");
      unsynced.clear();
      durableSnapshot = requireNonNull(snapshot, "snapshot");
      durableLog.clear();
      logBase = snapshot.revision();
    }

    @Override
    public Optional<String> readMetadata(String name) {
      alive();
      return Optional.ofNullable(durableMetadata.get(name));
    }

    @Override
    public void writeMetadata(String name, String value) {
      alive();
      writable("write metadata " + name);
      durableMetadata.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
    }

    @Override
    public void close() {
      if (!dead) {
        sync();
        dead = true;
      }
    }

    private void writable(String what) {
      if (refusal != null) {
        throw new ClusterException(
            ErrorCode.STORAGE_FAILURE,
            "cannot " + what + " on the simulated disk: " + refusal + "; nothing was stored");
      }
    }

    private void alive() {
      if (dead) {
        throw new ClusterException(
            ErrorCode.STORAGE_FAILURE, "the simulated disk crashed or the store was closed");
      }
    }
  }
}
