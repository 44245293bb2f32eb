package org.mailcluster.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mailcluster.ClusterException;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.ini.relocate.ContentMover;
import org.mailcluster.ini.relocate.PathRelocator;
import org.mailcluster.ini.relocate.RelocationPlan;
import org.mailcluster.paths.PathMapping;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.runtime.SystemScheduler;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Relocates a mail server's shared folders under a shared root: a dry run by default; with {@code
 * --apply}, optionally copies and verifies the folders' content, then rewrites the keys in the INI
 * file (on the primary, the node agent replicates that edit as one revision).
 */
@Command(
    name = "relocate",
    mixinStandardHelpOptions = true,
    header = "Plan or apply the move of the shared folders under a shared root.",
    description = {
      "Move the shared folders (mailbox root, public folders, lock files, PEM, gateways,",
      "digests, archives, new-account mailbox path) under a shared root.",
      "--dry-run (the default) shows every INI key old -> new and the folder contents that",
      "would move, and changes nothing.",
      "--apply rewrites those keys in INI (atomically, only the edited bytes); run it on the",
      "primary's file while its node agent runs, and the edit replicates as one revision.",
      "With --move-content it first copies every folder's content to its new place (each file",
      "checksummed and journaled; an interrupted copy resumes when run again) and verifies all",
      "of it; the keys change only after that. --delete-sources then removes the old copies."
    })
final class RelocateCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "INI", description = "The MDaemon.ini to read.")
  Path file;

  @Option(
      names = "--root",
      required = true,
      paramLabel = "PATH",
      description = "The shared root, e.g. \\\\nas01\\mail or /mnt/mail.")
  String root;

  static final class Mode {
    @Option(names = "--dry-run", description = "Show the plan and change nothing (the default).")
    boolean dryRun;

    @Option(names = "--apply", description = "Rewrite the keys in INI.")
    boolean apply;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Mode mode;

  @Option(
      names = "--move-content",
      description = "With --apply: copy and verify the folders' content before the keys change.")
  boolean moveContent;

  @Option(
      names = "--journal",
      paramLabel = "FILE",
      description =
          "With --move-content: the copy's journal, on a local disk (default: INI's folder,"
              + " relocation.journal).")
  Path journal;

  @Option(
      names = "--map",
      paramLabel = "SHARE=DIR",
      description = {
        "With --move-content: where this machine reaches a configured path,",
        "e.g. \\\\nas01\\mail=/mnt/mail (repeatable)."
      })
  List<String> maps = new ArrayList<>();

  @Option(
      names = "--delete-sources",
      description = "With --move-content: delete the old folders once the keys have changed.")
  boolean deleteSources;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    StoragePath sharedRoot = storagePath(root, "--root");
    ConfigSnapshot current =
        IniConfigSource.entriesOf(file.getFileName().toString(), IniFiles.read(file));
    RelocationPlan plan;
    try {
      plan = PathRelocator.builder(sharedRoot).build().plan(current);
    } catch (IllegalArgumentException e) {
      throw new InputException(file + ": " + e.getMessage(), "fix the folder in the file", e);
    }
    PrintWriter out = spec.commandLine().getOut();
    boolean apply = mode != null && mode.apply;
    if ((moveContent || deleteSources || !maps.isEmpty() || journal != null) && !apply) {
      throw InputException.of(
          "--move-content, --journal, --map and --delete-sources only make sense with --apply",
          "look at the dry run first, then run again with --apply");
    }
    if (deleteSources && !moveContent) {
      throw InputException.of(
          "--delete-sources needs --move-content", "the sources are deleted only after a copy");
    }
    if (!apply) {
      out.print(plan.render());
      out.flush();
      return 0;
    }
    if (!plan.changesKeys()) {
      out.println("every folder is already under " + sharedRoot + ": nothing to change");
      out.flush();
      return 0;
    }
    ContentMover.Report report = null;
    ContentMover mover = null;
    if (moveContent) {
      mover = mover(out);
      try {
        report = mover.copyAndVerify(plan.moves());
      } catch (ClusterException | IllegalArgumentException | IllegalStateException e) {
        throw new InputException(
            "moving the content failed: " + e.getMessage(),
            "nothing was switched and the sources are untouched; fix the cause and run the same"
                + " command again: the copy resumes from its journal",
            e);
      }
      for (ContentMover.Report.Folder f : report.folders()) {
        out.printf(
            "verified %s → %s: %d files, %d bytes (%d copied by this run)%n",
            f.move().from(), f.move().to(), f.files(), f.bytes(), f.copied());
      }
    }
    switchKeys(plan);
    for (RelocationPlan.Change c : plan.changes()) {
      if (c.changes()) {
        out.printf(
            "%s: %s → %s%n", c.key().displayName(), c.oldValue().orElse("(unset)"), c.newValue());
      }
    }
    out.println("rewrote " + file + "; on the primary, its node agent replicates the change");
    if (plan.restartRequired()) {
      out.println("restart the mail server: it reads the PEM folder only at start");
    }
    if (deleteSources) {
      mover.deleteSources(report);
      out.println("deleted the old folders");
    }
    out.flush();
    return 0;
  }

  /** Rewrites the plan's keys in the file: only their bytes, atomically. */
  private void switchKeys(RelocationPlan plan) {
    List<ConfigDiff.Change> changes = new ArrayList<>();
    for (RelocationPlan.Change c : plan.changes()) {
      if (c.changes()) {
        String key = c.key().stateKey();
        changes.add(
            c.oldValue().isPresent()
                ? ConfigDiff.Change.changed(key, c.oldValue().get(), c.newValue())
                : ConfigDiff.Change.added(key, c.newValue()));
      }
    }
    Path dir = file.toAbsolutePath().getParent();
    try (SystemScheduler scheduler = SystemScheduler.create("relocate")) {
      IniConfigSource source = IniConfigSource.builder(dir).scheduler(scheduler).build();
      try {
        source.apply(ConfigDiff.of(changes));
      } finally {
        source.close();
      }
    }
  }

  private ContentMover mover(PrintWriter out) {
    PathMapping.Builder mapping = PathMapping.builder();
    for (String m : maps) {
      int eq = m.lastIndexOf('=');
      if (eq <= 0) {
        throw InputException.of(
            "--map " + m + " is not SHARE=DIR", "write e.g. --map \\\\nas01\\mail=/mnt/mail");
      }
      mapping.map(storagePath(m.substring(0, eq), "--map"), Path.of(m.substring(eq + 1)));
    }
    Path journalFile =
        journal != null ? journal : file.toAbsolutePath().resolveSibling("relocation.journal");
    long[] reported = {0};
    return ContentMover.builder(maps.isEmpty() ? PathMapping.none() : mapping.build(), journalFile)
        .listener(
            new ContentMover.Listener() {
              @Override
              public void bytesWritten(long total) {
                // Progress on long moves: a line every 64 MiB.
                if (total - reported[0] >= 64L << 20) {
                  reported[0] = total;
                  out.printf(Locale.ROOT, "copied %.0f MiB so far%n", total / 1048576.0);
                  out.flush();
                }
              }
            })
        .build();
  }

  private static StoragePath storagePath(String text, String option) {
    try {
      return StoragePath.parse(text);
    } catch (IllegalArgumentException e) {
      throw new InputException(
          option + ": " + e.getMessage(), "give it as \\\\server\\share\\dir or /mnt/dir", e);
    }
  }
}
