package org.mailcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every link in the project's documentation stays inside the repository and leads somewhere: a
 * relative link names a file or folder that exists, a fragment names a heading of its page, and no
 * link goes to the web except the few the changelog's format asks for.
 */
class ReadmeLinksTest {
  /** The only pages outside the repository that the documentation may link to. */
  private static final Set<String> ALLOWED_EXTERNAL =
      Set.of("https://keepachangelog.com/en/1.1.0/", "https://semver.org/spec/v2.0.0.html");

  private static final Pattern INLINE_LINK =
      Pattern.compile("!?\\[[^\\]]*\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
  private static final Pattern REFERENCE_LINK = Pattern.compile("^ {0,3}\\[[^\\]]+\\]:\\s*(\\S+)");
  private static final Pattern HEADING = Pattern.compile("^ {0,3}#{1,6}\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

  private static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !(Files.exists(dir.resolve("README.md")) && isReactor(dir))) {
      dir = dir.getParent();
    }
    assertTrue(
        dir != null, "no repository root with README.md above " + Path.of("").toAbsolutePath());
    return dir;
  }

  private static boolean isReactor(Path dir) {
    return Files.isDirectory(dir.resolve("core")) && Files.exists(dir.resolve("pom.xml"));
  }

  private static List<Path> pages(Path root) throws IOException {
    List<Path> pages = new ArrayList<>();
    pages.add(root.resolve("README.md"));
    pages.add(root.resolve("CHANGELOG.md"));
    pages.add(root.resolve("benchmarks/README.md"));
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      docs.filter(p -> p.getFileName().toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }

  /** The lines of a page outside fenced code blocks, with their line numbers. */
  private static Map<Integer, String> prose(Path page) throws IOException {
    Map<Integer, String> out = new HashMap<>();
    boolean fenced = false;
    int number = 0;
    for (String line : Files.readAllLines(page)) {
      number++;
      if (line.stripLeading().startsWith("```") || line.stripLeading().startsWith("~~~")) {
        fenced = !fenced;
        continue;
      }
      if (!fenced) {
        out.put(number, line);
      }
    }
    return out;
  }

  /** The anchors GitHub gives a page's headings. */
  private static Set<String> anchors(Path page) throws IOException {
    Set<String> anchors = new HashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    for (String line : prose(page).values()) {
      Matcher m = HEADING.matcher(line);
      if (m.matches()) {
        String slug = slug(m.group(1));
        int n = seen.merge(slug, 1, Integer::sum);
        anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
      }
    }
    return anchors;
  }

  static String slug(String heading) {
    String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1").toLowerCase(Locale.ROOT);
    StringBuilder out = new StringBuilder();
    text.codePoints()
        .forEach(
            c -> {
              if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                out.appendCodePoint(c);
              } else if (c == ' ') {
                out.append('-');
              }
            });
    return out.toString();
  }

  private static List<String> targets(String line) {
    List<String> out = new ArrayList<>();
    Matcher inline = INLINE_LINK.matcher(line);
    while (inline.find()) {
      out.add(inline.group(1));
    }
    Matcher reference = REFERENCE_LINK.matcher(line);
    if (reference.find()) {
      out.add(reference.group(1));
    }
    return out;
  }

  @Test
  void everyLinkStaysInsideTheRepositoryAndResolves() throws IOException {
    Path root = root();
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path page : pages(root)) {
      String name = root.relativize(page).toString();
      for (Map.Entry<Integer, String> line : new java.util.TreeMap<>(prose(page)).entrySet()) {
        for (String target : targets(line.getValue())) {
          checked++;
          String where = name + ":" + line.getKey() + ": " + target;
          if (SCHEME.matcher(target).find()) {
            if (!ALLOWED_EXTERNAL.contains(target)) {
              broken.add(where + " (links outside the repository)");
            }
            continue;
          }
          int hash = target.indexOf('#');
          String file = hash < 0 ? target : target.substring(0, hash);
          String fragment = hash < 0 ? "" : target.substring(hash + 1);
          Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
          if (!resolved.startsWith(root)) {
            broken.add(where + " (leaves the repository)");
          } else if (!Files.exists(resolved)) {
            broken.add(where + " (no such file)");
          } else if (!fragment.isEmpty()
              && resolved.getFileName().toString().endsWith(".md")
              && !anchors(resolved).contains(fragment)) {
            broken.add(where + " (no such heading in " + root.relativize(resolved) + ")");
          }
        }
      }
    }
    assertTrue(checked > 0, "found no links at all: is the pattern still right?");
    assertEquals(List.of(), broken, "broken or outside links in the documentation");
  }

  @Test
  void headingsBecomeTheAnchorsGitHubGivesThem() {
    assertEquals(
        "r23-attachment-linking-is-off-in-a-cluster",
        slug("R23 Attachment linking is off in a cluster"));
    assertEquals("b9-all-or-nothing-no-partial-state", slug("B9 All or nothing: no partial state"));
    assertEquals("across-processes-kill--9", slug("Across processes: kill -9"));
    assertEquals(
        "storagefaulttest-crashdurabilitytest-core",
        slug("`StorageFaultTest`, `CrashDurabilityTest` (core)"));
    assertFalse(slug("Shared-storage preflight").contains(" "));
  }
}
