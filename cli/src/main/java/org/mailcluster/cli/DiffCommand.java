package org.mailcluster.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Compares two INI files the way the cluster does: by effective keys and values. */
@Command(
    name = "diff",
    mixinStandardHelpOptions = true,
    description = {
      "Compare two INI files by what a Windows program reads from them: section and key names",
      "ignoring case, first occurrence winning, values trimmed. Comments, spacing and order",
      "do not count. Exits 0 when they are the same, 1 when they differ."
    })
final class DiffCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "OLD", description = "The file before.")
  Path oldFile;

  @Parameters(index = "1", paramLabel = "NEW", description = "The file after.")
  Path newFile;

  @Option(names = "--json", description = "Print the changes as JSON.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String name = oldFile.getFileName().toString();
    Map<String, String> spelling = IniFiles.newSpelling();
    ConfigSnapshot before = IniFiles.toSnapshot(name, IniFiles.read(oldFile), spelling);
    ConfigSnapshot after = IniFiles.toSnapshot(name, IniFiles.read(newFile), spelling);
    ConfigDiff diff = ConfigDiff.between(before, after);
    var out = spec.commandLine().getOut();
    if (json) {
      out.println(diff.toJson());
    } else if (diff.isEmpty()) {
      out.println("no differences");
    } else {
      out.println(diff.render());
      out.println(
          "("
              + diff.size()
              + (diff.size() == 1 ? " key differs" : " keys differ")
              + ", "
              + before.size()
              + " keys before, "
              + after.size()
              + " after)");
    }
    out.flush();
    return diff.isEmpty() ? 0 : Main.DIFFERENCES;
  }
}
