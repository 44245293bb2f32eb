package org.mailcluster.ini.relocate;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.mailcluster.ClusterService;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.ini.MailServerProfile;
import org.mailcluster.ini.MailServerProfile.SharedFolder;
import org.mailcluster.paths.StoragePath;

/**
 * Plans and applies the move of a mail server's shared folders onto network storage (requirements
 * R12–R17 and B6 in docs/REQUIREMENTS.md): the mailbox root, public folders, lock files, the PEM
 * directory, gateways, digests, archives and the new-account template's mailbox path, read from and
 * written to the INI keys of a {@link MailServerProfile}.
 *
 * <p>By default every folder goes directly under the shared root, keeping its last name ({@code
 * C:\MDaemon\Archive\} becomes {@code \\nas01\mail\Archive\}); lock files go under the new mailbox
 * root (R14, "automatic"), unless placed by hand with {@link Builder#folder}; the new-account
 * template keeps its part below the mailbox root ({@code $DOMAIN$\$MAILBOX$\}). A folder placed by
 * hand must lie under the shared root. Moving the PEM directory requires a restart of the mail
 * server (R15), which the plan says.
 *
 * <pre>{@code
 * PathRelocator relocator = PathRelocator.builder(StoragePath.parse("\\\\nas01\\mail")).build();
 * RelocationPlan plan = relocator.plan(cluster.configuration());
 * System.out.println(plan.render());                    // the dry run
 * Revision r = relocator.apply(plan, cluster).join();   // the key changes, one revision
 * }</pre>
 */
public final class PathRelocator {
  /** The origin of the revision that switches the keys. */
  public static final String ORIGIN = "relocation";

  private final StoragePath root;
  private final MailServerProfile profile;
  private final Map<SharedFolder, StoragePath> placed;

  private PathRelocator(Builder b) {
    this.root = b.root;
    this.profile = b.profile;
    this.placed = new EnumMap<>(b.placed);
  }

  /** Returns a builder for relocation under {@code sharedRoot}. */
  public static Builder builder(StoragePath sharedRoot) {
    return new Builder(requireNonNull(sharedRoot, "sharedRoot"));
  }

  /** Returns the shared root. */
  public StoragePath sharedRoot() {
    return root;
  }

  /**
   * Plans the relocation from the current configuration: every profile key, old → new, and the
   * folder contents that would move. Nothing is changed.
   *
   * @throws IllegalArgumentException if a current value is not a path this planner can read
   */
  public RelocationPlan plan(ConfigSnapshot current) {
    requireNonNull(current, "current");
    List<RelocationPlan.Change> changes = new ArrayList<>();
    Optional<String> oldMailboxText = value(current, SharedFolder.MAILBOX_ROOT);
    Optional<StoragePath> oldMailbox = oldMailboxText.map(t -> parse(SharedFolder.MAILBOX_ROOT, t));
    StoragePath newMailbox = target(SharedFolder.MAILBOX_ROOT, oldMailbox, "Users");
    for (SharedFolder folder : SharedFolder.values()) {
      SettingKey key = profile.folder(folder);
      Optional<String> old = value(current, folder);
      String newValue;
      String note = "";
      boolean movesContent = false;
      Optional<StoragePath> from = Optional.empty();
      StoragePath to = null;
      if (folder == SharedFolder.NEW_ACCOUNT_MAILBOX) {
        newValue = templateValue(old, oldMailbox, newMailbox);
        note = "new accounts get their mailbox under the new mailbox root";
      } else {
        Optional<StoragePath> oldPath = old.map(t -> parse(folder, t));
        to = target(folder, oldPath, defaultName(folder));
        if (folder == SharedFolder.LOCK_FILES && !placed.containsKey(folder)) {
          to = newMailbox.child("LockFiles");
          note = "automatic: under the network mailbox path";
        }
        if (!root.contains(to)) {
          throw new IllegalArgumentException(
              folder + " would go to '" + to + "', outside the shared root '" + root + "'");
        }
        newValue =
            old.map(o -> o.endsWith("\\") || o.endsWith("/")).orElse(true)
                ? to.toDirectoryString()
                : to.toString();
        // Lock files are transient: the new folder starts empty.
        movesContent =
            folder != SharedFolder.LOCK_FILES && oldPath.isPresent() && !oldPath.get().equals(to);
        from = movesContent ? oldPath : Optional.empty();
        if (folder == SharedFolder.PEM) {
          note = "restart required: the mail server reads its certificates at start";
        }
      }
      changes.add(
          new RelocationPlan.Change(
              folder,
              key,
              old,
              newValue,
              folder == SharedFolder.PEM && !old.equals(Optional.of(newValue)),
              note,
              from.isPresent()
                  ? Optional.of(new RelocationPlan.Move(folder, from.get(), to))
                  : Optional.empty()));
    }
    return new RelocationPlan(root, changes);
  }

  /**
   * Applies the plan's key changes on the primary as one revision with origin {@value #ORIGIN}
   * (completes with the current revision if no key changes). Contents are not moved; see {@link
   * ContentMover} and {@link #relocate} for that.
   */
  public CompletableFuture<Revision> apply(RelocationPlan plan, ClusterService cluster) {
    requireNonNull(plan, "plan");
    requireNonNull(cluster, "cluster");
    if (!plan.changesKeys()) {
      return CompletableFuture.completedFuture(cluster.configuration().revision());
    }
    return cluster.update(plan.toUpdate(ORIGIN));
  }

  /**
   * Moves the plan's folder contents and then switches the keys (requirement B6): copy with
   * checksums (resuming from the mover's journal), verify, apply the key changes as one revision,
   * and only then, if {@code deleteSources}, delete the sources. The file work runs on {@code
   * worker} (the host's own thread pool: it blocks), never on the node's thread.
   *
   * <pre>{@code
   * Revision r = relocator.relocate(plan, cluster, mover, false, hostWorkers).join();
   * }</pre>
   *
   * @return completes with the revision that switched the keys; fails with a {@link
   *     org.mailcluster.ClusterException} if the copy or its verification fails (keys and sources
   *     untouched) or the primary refuses the change (sources untouched)
   */
  public CompletableFuture<Revision> relocate(
      RelocationPlan plan,
      ClusterService cluster,
      ContentMover mover,
      boolean deleteSources,
      Executor worker) {
    requireNonNull(plan, "plan");
    requireNonNull(cluster, "cluster");
    requireNonNull(mover, "mover");
    requireNonNull(worker, "worker");
    return CompletableFuture.supplyAsync(() -> mover.copyAndVerify(plan.moves()), worker)
        .thenCompose(
            report ->
                apply(plan, cluster)
                    .thenApplyAsync(
                        revision -> {
                          if (deleteSources) {
                            mover.deleteSources(report);
                          } else {
                            mover.forgetJournal();
                          }
                          return revision;
                        },
                        worker));
  }

  private Optional<String> value(ConfigSnapshot current, SharedFolder folder) {
    return current.get(profile.folder(folder).stateKey()).filter(v -> !v.isBlank());
  }

  private StoragePath target(SharedFolder folder, Optional<StoragePath> old, String fallback) {
    StoragePath byHand = placed.get(folder);
    if (byHand != null) {
      return byHand;
    }
    String name = old.flatMap(StoragePath::fileName).orElse(fallback);
    return root.child(name);
  }

  private static String templateValue(
      Optional<String> old, Optional<StoragePath> oldMailbox, StoragePath newMailbox) {
    String suffix = "$DOMAIN$\\$MAILBOX$\\";
    if (old.isPresent() && oldMailbox.isPresent()) {
      String o = old.get();
      String prefix = oldMailbox.get().toDirectoryString();
      if (o.regionMatches(true, 0, prefix, 0, prefix.length())) {
        suffix = o.substring(prefix.length());
      }
    }
    return newMailbox.toDirectoryString() + suffix;
  }

  private static String defaultName(SharedFolder folder) {
    switch (folder) {
      case MAILBOX_ROOT:
        return "Users";
      case PUBLIC_FOLDERS:
        return "Public Folders";
      case LOCK_FILES:
        return "LockFiles";
      case PEM:
        return "PEM";
      case GATEWAYS:
        return "Gateways";
      case DIGESTS:
        return "Digests";
      case ARCHIVES:
        return "Archive";
      default:
        throw new IllegalArgumentException("no folder name for " + folder);
    }
  }

  private StoragePath parse(SharedFolder folder, String value) {
    try {
      return StoragePath.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          profile.folder(folder).displayName()
              + " holds '"
              + value
              + "', which is not a usable folder: "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Configures a {@link PathRelocator}.
   *
   * <pre>{@code
   * PathRelocator r = PathRelocator.builder(StoragePath.parse("\\\\nas01\\mail"))
   *     .folder(SharedFolder.ARCHIVES, StoragePath.parse("\\\\nas01\\mail\\cold\\Archive"))
   *     .build();
   * }</pre>
   */
  public static final class Builder {
    private final StoragePath root;
    private MailServerProfile profile = MailServerProfile.mdaemon();
    private final Map<SharedFolder, StoragePath> placed = new EnumMap<>(SharedFolder.class);

    private Builder(StoragePath root) {
      this.root = root;
    }

    /** Sets the mail server's profile; {@link MailServerProfile#mdaemon()} if never set. */
    public Builder profile(MailServerProfile value) {
      this.profile = requireNonNull(value, "profile");
      return this;
    }

    /**
     * Places one folder by hand; it must lie under the shared root. The new-account template
     * follows the mailbox root and cannot be placed.
     */
    public Builder folder(SharedFolder folder, StoragePath target) {
      requireNonNull(folder, "folder");
      requireNonNull(target, "target");
      if (folder == SharedFolder.NEW_ACCOUNT_MAILBOX) {
        throw new IllegalArgumentException(
            "the new-account template follows the mailbox root: place MAILBOX_ROOT instead");
      }
      if (!root.contains(target)) {
        throw new IllegalArgumentException(
            folder + " target '" + target + "' is not under the shared root '" + root + "'");
      }
      if (placed.putIfAbsent(folder, target) != null) {
        throw new IllegalStateException(folder + " was already placed at " + placed.get(folder));
      }
      return this;
    }

    /** Builds the relocator. */
    public PathRelocator build() {
      return new PathRelocator(this);
    }
  }
}
