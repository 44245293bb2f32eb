package org.mailcluster.internal.replication;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.HeldBackChange;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;
import org.mailcluster.internal.node.NodeCore;
import org.mailcluster.internal.node.NodeEvents;
import org.mailcluster.spi.ConfigSource;

/**
 * The primary's guard over host-file changes (requirement S2 in docs/REQUIREMENTS.md): a change of
 * one file that looks like damage rather than an edit is held back, not committed, so that a
 * deleted or emptied file, an unmounted share, a write cut half-way or a file overwritten with
 * other text does not delete the file's keys on every node.
 *
 * <p>A file's change is judged by its net effect against the state the primary holds (its tip): it
 * is held back when it deletes every key of the file, or more than the configured share of them
 * ({@code heldBackDeletionShare}, one half by default), or when the {@link ConfigSource} reports a
 * {@linkplain ConfigSource#shapeProblem shape problem} with the file (a value cut mid-line, text
 * that is not INI, a missing file or directory). While a file is held back, its further edits are
 * added to what is held and judged again: when the file is restored, so that its net change
 * vanishes or is no longer suspicious, the hold-back clears by itself and the net change, if any,
 * commits. Other files are not affected. An operator may {@linkplain #confirm confirm} a held-back
 * change instead, which commits it.
 *
 * <p>Loop-confined; what is held back is kept in memory only. After a restart the files are judged
 * again against the committed state, so a change still on disk is held back again at start.
 */
final class FileGuard {
  private static final int KEYS_NAMED = 5;

  private final NodeCore node;
  private final double deletionShare;
  // Case-insensitive, as the state compares file names.
  private final Map<String, Held> held = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

  /**
   * One file's held-back change: the file's replicable keys as they are on disk now ({@code
   * onDisk}), why that is suspicious, and since when a change of the file has been held back.
   */
  private record Held(String file, String reason, ConfigSnapshot onDisk, Instant since) {}

  FileGuard(NodeCore node, double deletionShare) {
    this.node = node;
    this.deletionShare = deletionShare;
  }

  /**
   * Screens host-file changes before they are committed: returns those that commit now, and holds
   * back, with an error naming the file, those of each file whose change looks like damage.
   *
   * @param changes replicable host-file changes, key to new value (empty for a removal)
   * @param when what found them, for the messages ({@code "a file edit"}, {@code "at start"})
   */
  Map<String, Optional<String>> screen(Map<String, Optional<String>> changes, String when) {
    ConfigSnapshot base = node.tip();
    Map<String, Optional<String>> now = new LinkedHashMap<>();
    Map<String, Map<String, Optional<String>>> byFile =
        new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, Optional<String>> c : changes.entrySet()) {
      Optional<String> file = fileOf(c.getKey());
      if (file.isEmpty()) {
        now.put(c.getKey(), c.getValue());
      } else {
        byFile
            .computeIfAbsent(file.get(), f -> new LinkedHashMap<>())
            .put(c.getKey(), c.getValue());
      }
    }
    for (Map.Entry<String, Map<String, Optional<String>>> f : byFile.entrySet()) {
      String file = f.getKey();
      ConfigSnapshot committed = keysOf(base, file);
      Held before = held.get(file);
      ConfigSnapshot onDisk = before == null ? committed : before.onDisk;
      for (Map.Entry<String, Optional<String>> c : f.getValue().entrySet()) {
        onDisk =
            c.getValue().isPresent()
                ? onDisk.with(c.getKey(), c.getValue().get())
                : onDisk.without(c.getKey());
      }
      ConfigDiff net = ConfigDiff.between(committed, onDisk);
      Optional<String> reason =
          net.isEmpty() ? Optional.empty() : suspicion(file, committed, net, base);
      if (reason.isPresent()) {
        Held next =
            new Held(
                before == null ? file : before.file,
                reason.get(),
                onDisk,
                before == null ? node.scheduler().now() : before.since);
        held.put(file, next);
        if (before == null || !before.reason.equals(next.reason)) {
          node.events().error(ErrorCode.HELD_BACK, heldMessage(next, net, when));
        } else {
          NodeEvents.CLUSTER_LOG.info("{} is still held back: {}", next.file, next.reason);
        }
        continue;
      }
      if (before != null) {
        held.remove(file);
        String what =
            net.isEmpty()
                ? "the file is back to its committed content; nothing was replicated"
                : "its change is no longer suspicious; committing its "
                    + count(net.size(), "change");
        node.events().info("the hold-back of " + before.file + " cleared: " + what);
      }
      for (ConfigDiff.Change c : net.changes()) {
        now.put(c.key(), c.newValue());
      }
    }
    return now;
  }

  /**
   * Takes the held-back change of {@code file} for confirming: the changes that turn the state the
   * primary holds into the file as it is on disk.
   *
   * @throws ClusterException with {@code INVALID_VALUE} if nothing of that file is held back
   */
  Map<String, Optional<String>> confirm(String file) {
    Held h = held.get(file);
    if (h == null) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE,
          "no change of "
              + file
              + " is held back"
              + (held.isEmpty()
                  ? " (none is)"
                  : " (held back: " + String.join(", ", heldFiles()) + ")")
              + ": see `mailcluster status` for what is held back");
    }
    ConfigDiff net = ConfigDiff.between(keysOf(node.tip(), file), h.onDisk);
    held.remove(file);
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    for (ConfigDiff.Change c : net.changes()) {
      changes.put(c.key(), c.newValue());
    }
    return changes;
  }

  /**
   * Takes in changes committed for keys of held-back files by other means than a file edit (an
   * update through the API): the node writes them into the file, so they are part of what the file
   * holds on disk, and must not be undone when the hold-back clears.
   */
  void written(Map<String, Optional<String>> changes) {
    if (held.isEmpty()) {
      return;
    }
    for (Map.Entry<String, Optional<String>> c : changes.entrySet()) {
      Optional<String> file = fileOf(c.getKey());
      Held h = file.isPresent() ? held.get(file.get()) : null;
      if (h != null && node.files().isReplicable(c.getKey())) {
        ConfigSnapshot onDisk =
            c.getValue().isPresent()
                ? h.onDisk.with(c.getKey(), c.getValue().get())
                : h.onDisk.without(c.getKey());
        held.put(file.get(), new Held(h.file, h.reason, onDisk, h.since));
      }
    }
  }

  /**
   * After the node wrote committed changes into its files: a held-back file that now holds the
   * committed content again (e.g. an emptied file whose only key an update wrote back) is no longer
   * held.
   */
  void afterWrite() {
    if (held.isEmpty() || node.files().source().isEmpty()) {
      return;
    }
    ConfigSnapshot files;
    try {
      files = node.files().source().get().load();
    } catch (RuntimeException e) {
      return; // the next edit of the file is judged again
    }
    for (java.util.Iterator<Held> it = held.values().iterator(); it.hasNext(); ) {
      Held h = it.next();
      if (keysOf(files, h.file).sameContentAs(keysOf(node.committed(), h.file))) {
        it.remove();
        node.events()
            .info(
                "the hold-back of "
                    + h.file
                    + " cleared: the file holds the committed content again; nothing was"
                    + " replicated from it");
      }
    }
  }

  /** Puts back a change taken for confirming whose commit failed, so that it stays held back. */
  void restore(String file, Map<String, Optional<String>> changes, Instant since, String reason) {
    ConfigSnapshot onDisk = keysOf(node.tip(), file);
    for (Map.Entry<String, Optional<String>> c : changes.entrySet()) {
      onDisk =
          c.getValue().isPresent()
              ? onDisk.with(c.getKey(), c.getValue().get())
              : onDisk.without(c.getKey());
    }
    held.putIfAbsent(file, new Held(file, reason, onDisk, since));
  }

  /** The held-back changes, by file name. */
  List<HeldBackChange> heldBack() {
    List<HeldBackChange> out = new ArrayList<>();
    ConfigSnapshot base = node.tip();
    for (Held h : held.values()) {
      ConfigSnapshot committed = keysOf(base, h.file);
      ConfigDiff net = ConfigDiff.between(committed, h.onDisk);
      out.add(new HeldBackChange(h.file, h.reason, net.changes(), deleted(net), h.since));
    }
    return out;
  }

  private List<String> heldFiles() {
    return held.values().stream().map(Held::file).toList();
  }

  /** Why the net change {@code net} of {@code file} looks like damage, if it does. */
  private Optional<String> suspicion(
      String file, ConfigSnapshot committed, ConfigDiff net, ConfigSnapshot base) {
    Optional<String> shape = Optional.empty();
    Optional<ConfigSource> source = node.files().source();
    if (source.isPresent()) {
      try {
        shape = source.get().shapeProblem(file, base);
      } catch (RuntimeException e) {
        NodeEvents.CLUSTER_LOG.warn("the config source failed to check {}: {}", file, e.toString());
      }
    }
    int deleted = deleted(net);
    int total = committed.size();
    String deletion;
    if (total > 0 && deleted == total) {
      deletion = "it deletes every key of " + file + " (" + count(total, "key") + ")";
    } else if (total > 0 && deleted > deletionShare * total) {
      deletion =
          "it deletes "
              + deleted
              + " of the "
              + total
              + " keys of "
              + file
              + ", more than "
              + percent(deletionShare)
              + " of them";
    } else {
      deletion = null;
    }
    if (shape.isPresent()) {
      return Optional.of(shape.get() + (deletion == null ? "" : "; " + deletion));
    }
    return Optional.ofNullable(deletion);
  }

  private String heldMessage(Held h, ConfigDiff net, String when) {
    List<String> deletedNames = new ArrayList<>();
    int deleted = 0;
    for (ConfigDiff.Change c : net.changes()) {
      if (c.newValue().isEmpty()) {
        deleted++;
        if (deletedNames.size() < KEYS_NAMED) {
          deletedNames.add(SettingKey.parse(c.key()).displayName());
        }
      }
    }
    String deletes =
        deleted == 0
            ? "it would delete no key but change " + count(net.size(), "key")
            : "it would delete "
                + count(deleted, "key")
                + " ("
                + String.join(", ", deletedNames)
                + (deleted > deletedNames.size() ? ", …" : "")
                + ")"
                + (net.size() > deleted
                    ? " and change " + count(net.size() - deleted, "other")
                    : "");
    return "the change of "
        + h.file
        + " found "
        + when
        + " was held back and not replicated: "
        + h.reason
        + "; "
        + deletes
        + ". If the file was damaged, restore it and the hold-back clears by itself. If the"
        + " change is intended, confirm it: `mailcluster confirm --config <agent.properties> "
        + h.file
        + "` or ClusterService.confirmHeldBack(\""
        + h.file
        + "\", caller)";
  }

  private static int deleted(ConfigDiff net) {
    int n = 0;
    for (ConfigDiff.Change c : net.changes()) {
      if (c.newValue().isEmpty()) {
        n++;
      }
    }
    return n;
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private static String percent(double share) {
    double p = share * 100;
    return (p == Math.rint(p) ? String.valueOf((long) p) : String.format(Locale.ROOT, "%.1f", p))
        + "%";
  }

  /** The host file a state key belongs to, if it is an INI file's key. */
  private static Optional<String> fileOf(String key) {
    try {
      return SettingKey.parse(key).iniFile();
    } catch (IllegalArgumentException malformed) {
      return Optional.empty();
    }
  }

  /** The replicable keys of {@code file} in {@code state}. */
  private ConfigSnapshot keysOf(ConfigSnapshot state, String file) {
    String sample = SettingKey.ini(file, "s", "k").stateKey();
    // config/<file>/ as the state spells it, compared case-insensitively as file names are.
    String prefix = sample.substring(0, sample.length() - "s/k".length());
    Map<String, String> keys = new TreeMap<>();
    state.forEach(
        (k, v) -> {
          if (k.regionMatches(true, 0, prefix, 0, prefix.length())
              && node.files().isReplicable(k)
              && fileOf(k).map(file::equalsIgnoreCase).orElse(false)) {
            keys.put(k, v);
          }
        });
    return ConfigSnapshot.of(keys);
  }
}
