package org.mailcluster.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.ini.relocate.PathRelocator;
import org.mailcluster.ini.relocate.RelocationPlan;
import org.mailcluster.paths.StoragePath;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Shows, without changing anything, how a relocation to shared storage would rewrite an INI file.
 */
@Command(
    name = "relocate",
    mixinStandardHelpOptions = true,
    description = {
      "Dry run of moving the shared folders (mailbox root, public folders, lock files, PEM,",
      "gateways, digests, archives, new-account mailbox path) under a shared root: every INI key",
      "old -> new, and the folder contents that would move. Nothing is changed."
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

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    StoragePath sharedRoot;
    try {
      sharedRoot = StoragePath.parse(root);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage(), "give --root as \\\\server\\share\\dir", e);
    }
    ConfigSnapshot current =
        IniConfigSource.entriesOf(file.getFileName().toString(), IniFiles.read(file));
    RelocationPlan plan;
    try {
      plan = PathRelocator.builder(sharedRoot).build().plan(current);
    } catch (IllegalArgumentException e) {
      throw new InputException(file + ": " + e.getMessage(), "fix the folder in the file", e);
    }
    var out = spec.commandLine().getOut();
    out.print(plan.render());
    out.flush();
    return 0;
  }
}
