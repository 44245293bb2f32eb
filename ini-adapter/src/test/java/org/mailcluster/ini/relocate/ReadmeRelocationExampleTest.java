package org.mailcluster.ini.relocate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.ini.IniDocument;
import org.mailcluster.paths.StoragePath;

/**
 * The README's relocation example, run on the sample {@code MDaemon.ini}: the code between the
 * markers is the README's code, and the dry-run output the README shows must be exactly what it
 * prints. Keep the three in step.
 */
class ReadmeRelocationExampleTest {
  /** The module's copy of the sample, which must equal the one the demo ships. */
  private static byte[] sample() throws IOException {
    byte[] bundled;
    try (InputStream in = ReadmeRelocationExampleTest.class.getResourceAsStream("/MDaemon.ini")) {
      bundled = in.readAllBytes();
    }
    Path demo = Path.of("../cli/src/main/resources/org/mailcluster/cli/MDaemon.ini");
    assertArrayEquals(Files.readAllBytes(demo), bundled, "the demo's copy of the sample");
    return bundled;
  }

  static String dryRun(byte[] bytes) {
    // --- README example starts ---
    ConfigSnapshot current = IniConfigSource.entriesOf("MDaemon.ini", IniDocument.parse(bytes));
    PathRelocator relocator = PathRelocator.builder(StoragePath.parse("\\\\nas01\\mail")).build();
    RelocationPlan plan = relocator.plan(current);
    System.out.print(plan.render());
    // --- README example ends ---
    return plan.render();
  }

  @Test
  void theReadmeShowsWhatTheExamplePrints() throws IOException {
    String printed = dryRun(sample());
    String readme = Files.readString(Path.of("../README.md"));
    String start = "<!-- relocation dry run: checked by ReadmeRelocationExampleTest -->\n```text\n";
    int from = readme.indexOf(start);
    assertTrue(from >= 0, "README has no relocation dry-run block");
    int to = readme.indexOf("```\n", from + start.length());
    assertEquals(printed, readme.substring(from + start.length(), to));
  }

  @Test
  void theReadmeShowsTheExamplesCode() throws IOException {
    String source =
        Files.readString(
            Path.of("src/test/java/org/mailcluster/ini/relocate/ReadmeRelocationExampleTest.java"));
    String marker = "// --- README example starts ---\n";
    String code =
        source.substring(
            source.indexOf(marker) + marker.length(),
            source.indexOf("    // --- README example ends ---"));
    assertTrue(code.contains("plan.render()"), code);
    String readme = Files.readString(Path.of("../README.md"));
    for (String line : code.split("\n")) {
      assertTrue(readme.contains(line.strip() + "\n"), "README lacks the example line: " + line);
    }
  }
}
