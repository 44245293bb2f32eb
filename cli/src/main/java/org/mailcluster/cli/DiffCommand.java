package org.mailcluster.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Compares two INI files the way the cluster does (by effective keys and values), or two retained
 * revisions of a running node.
 */
@Command(
    name = "diff",
    mixinStandardHelpOptions = true,
    header = "Compare two INI files, or two revisions of a running cluster.",
    description = {
      "Compare two INI files by what a Windows program reads from them: section and key names",
      "ignoring case, first occurrence winning, values trimmed. Comments, spacing and order",
      "do not count.",
      "With --config or --address, compare two revisions (EPOCH:SEQUENCE, e.g. 1:40 1:42)",
      "that a running node keeps in its history (`mailcluster history` lists them).",
      "Exits 0 when they are the same, 1 when they differ."
    })
final class DiffCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "OLD",
      description = "The file before, or the older revision.")
  String oldSide;

  @Parameters(
      index = "1",
      paramLabel = "NEW",
      description = "The file after, or the newer revision.")
  String newSide;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  NodeTarget node;

  @Option(names = "--json", description = "Print the changes as JSON.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    return node == null ? files() : revisions();
  }

  private int files() {
    Path oldFile = Path.of(oldSide);
    Path newFile = Path.of(newSide);
    String name = oldFile.getFileName().toString();
    Map<String, String> spelling = IniFiles.newSpelling();
    ConfigSnapshot before = IniFiles.toSnapshot(name, IniFiles.read(oldFile), spelling);
    ConfigSnapshot after = IniFiles.toSnapshot(name, IniFiles.read(newFile), spelling);
    ConfigDiff diff = ConfigDiff.between(before, after);
    return print(diff, ", " + before.size() + " keys before, " + after.size() + " after");
  }

  private int revisions() throws InterruptedException {
    Revision from = revision(oldSide);
    Revision to = revision(newSide);
    String body =
        node.getOrExplain(
            Duration.ofSeconds(10),
            "`mailcluster history` lists the revisions the node keeps",
            StatusEndpoint.DIFF,
            "from",
            from.toString(),
            "to",
            to.toString());
    return print(ConfigDiff.fromJson(body), " between " + from + " and " + to);
  }

  private int print(ConfigDiff diff, String context) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(diff.toJson());
    } else if (diff.isEmpty()) {
      out.println("no differences");
    } else {
      out.println(diff.render());
      out.println(
          "(" + diff.size() + (diff.size() == 1 ? " key differs" : " keys differ") + context + ")");
    }
    out.flush();
    return diff.isEmpty() ? 0 : Main.DIFFERENCES;
  }

  private static Revision revision(String text) {
    try {
      return Revision.parse(text);
    } catch (IllegalArgumentException e) {
      throw new InputException(
          e.getMessage(),
          "with --config or --address, give two revisions as EPOCH:SEQUENCE, e.g. 1:40 1:42",
          e);
    }
  }
}
