package org.mailcluster.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingType;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.ini.IniDocument;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A guided run through what works today, on the sample {@code MDaemon.ini} shipped in the jar:
 * lossless reading, typed settings, per-role editability, an edit such as moving folders to shared
 * storage would make, its diff, and proof that only the edited bytes changed.
 */
@Command(
    name = "tour",
    mixinStandardHelpOptions = true,
    header = "Walk through the configuration model on the bundled sample MDaemon.ini.",
    description = {
      "Walk through the configuration model on the bundled sample MDaemon.ini:",
      "typed settings, editability per role, a shared-storage edit, its diff and its bytes."
    })
final class TourCommand implements Callable<Integer> {
  private static final String FILE = "MDaemon.ini";
  private static final String SHARE = "\\\\nas01\\mail\\";

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    byte[] original = sample();
    IniDocument ini = IniDocument.parse(original);

    heading(out, "1. Read the sample " + FILE + " (" + original.length + " bytes)");
    out.printf(
        "   encoding %s, line ending %s, %d sections, %d keys%n",
        ini.charset().name(),
        ini.lineSeparator().equals("\r\n") ? "CRLF" : "LF/CR",
        ini.sections().size(),
        ini.entries().size());
    out.printf(
        "   [Special] Organization = %s   (windows-1252 byte 0xE0 read as 'à')%n",
        ini.get("Special", "Organization").orElse("?"));
    out.printf(
        "   written back unedited: %s%n",
        Arrays.equals(original, ini.toBytes()) ? "byte-identical" : "DIFFERENT (a bug)");

    heading(out, "2. Typed settings declared by the host and a plugin");
    SettingsRegistry registry = SettingsRegistry.create();
    Setting<Integer> port =
        registry.register(
            Setting.integer(SettingKey.ini(FILE, "Cluster", "Port"))
                .defaultValue(7400)
                .validator(p -> p > 0 && p < 65536, "must be between 1 and 65535")
                .build());
    Setting<Duration> blockFor =
        registry.register(
            Setting.duration(
                    SettingKey.ini(FILE, "DynamicScreening", "BlockMinutes"), ChronoUnit.MINUTES)
                .defaultValue(Duration.ofHours(1))
                .build());
    Setting<List<Integer>> sslPorts =
        registry.register(
            Setting.list(SettingKey.ini(FILE, "SSL", "Ports"), SettingType.integer(), ';')
                .defaultValue(List.of())
                .build());
    List<Setting<Boolean>> incompatible =
        List.of(
            constrained(registry, "Special", "AttachmentLinking"),
            constrained(registry, "Special", "DomainIPBinding"),
            constrained(registry, "Updates", "AutoInstall"));
    Setting<Integer> pluginThreshold =
        registry.register(
            Setting.integer(SettingKey.plugin("antispam", "threshold")).defaultValue(5).build());

    ConfigSnapshot r1 = snapshot(ini).atRevision(Revision.of(1, 1));
    out.printf("   %-34s %s%n", "[Cluster] Port (integer)", port.read(r1));
    out.printf(
        "   %-34s %d minutes%n", "[DynamicScreening] BlockMinutes", blockFor.read(r1).toMinutes());
    out.printf("   %-34s %s%n", "[SSL] Ports (list of integers)", sslPorts.read(r1));
    out.printf(
        "   %-34s %s (default; not in the file)%n",
        "setting/antispam/threshold", pluginThreshold.read(r1));
    out.printf(
        "   replicated state at revision %s: %d keys, fingerprint %s%n",
        r1.revision(), r1.size(), r1.fingerprint());

    heading(out, "3. What a host UI may edit on each node");
    out.printf("   %-34s %-17s %s%n", "setting", "on the primary", "on a secondary");
    for (Setting<?> s : List.of(port, incompatible.get(0), pluginThreshold)) {
      out.printf(
          "   %-34s %-17s %s%n",
          s.key().displayName(),
          registry.editability(s.key(), Role.PRIMARY),
          registry.editability(s.key(), Role.SECONDARY));
    }

    heading(out, "4. Move folders to shared storage and apply the cluster constraints");
    for (String key : List.of("Users", "PublicFolders", "LockFiles", "PEM")) {
      String local = ini.get("Directories", key).orElseThrow();
      ini.set("Directories", key, SHARE + local.substring(local.indexOf('\\', 3) + 1));
    }
    ini.set("NewAccountTemplate", "MailDir", SHARE + "Users\\$DOMAIN$\\$MAILBOX$\\");
    for (Setting<Boolean> s : incompatible) {
      ini.set(
          s.key().iniSection().orElseThrow(),
          s.key().iniKey().orElseThrow(),
          s.encodedClusterConstraint().orElseThrow());
    }
    ConfigSnapshot r2 = snapshot(ini).atRevision(Revision.of(1, 2));
    ConfigDiff diff = ConfigDiff.between(r1, r2);
    out.printf("   revision %s → %s, %d changes:%n", r1.revision(), r2.revision(), diff.size());
    diff.render().lines().forEach(line -> out.println("     " + line));
    out.printf("   fingerprint %s → %s%n", r1.fingerprint(), r2.fingerprint());
    out.printf(
        "   undo: invert() of the diff restores revision %s's content: %s%n",
        r1.revision(), diff.invert().apply(r2).sameContentAs(r1) ? "yes" : "NO (a bug)");

    heading(out, "5. Only the edited bytes changed");
    byte[] edited = ini.toBytes();
    String[] before = new String(original, StandardCharsets.ISO_8859_1).split("(?<=\r\n)");
    String[] after = new String(edited, StandardCharsets.ISO_8859_1).split("(?<=\r\n)");
    int same = 0;
    boolean keptComments = true;
    boolean keptOrganization = true;
    for (int i = 0; i < Math.min(before.length, after.length); i++) {
      boolean identical = before[i].equals(after[i]);
      same += identical ? 1 : 0;
      keptComments &= identical || !before[i].startsWith(";");
      keptOrganization &= identical || !before[i].startsWith("Organization=");
    }
    out.printf(
        "   %d of %d lines byte-identical, %d edited, %d added%n",
        same,
        before.length,
        Math.min(before.length, after.length) - same,
        after.length - before.length);
    out.printf(
        "   every comment line identical: %s; the Organization line (byte 0xE0) identical: %s;"
            + " every line still ends in CRLF: %s%n",
        yesNo(keptComments),
        yesNo(keptOrganization),
        yesNo(Arrays.stream(after).allMatch(l -> l.endsWith("\r\n"))));
    out.println();
    out.println("Next: the replication engine and a live three-node demo (see README.md).");
    out.flush();
    return 0;
  }

  private static Setting<Boolean> constrained(
      SettingsRegistry registry, String section, String key) {
    return registry.register(
        Setting.bool(SettingKey.ini(FILE, section, key))
            .defaultValue(false)
            .clusterConstraint(false)
            .build());
  }

  private static ConfigSnapshot snapshot(IniDocument ini) {
    return IniFiles.toSnapshot(FILE, ini, IniFiles.newSpelling());
  }

  private static String yesNo(boolean b) {
    return b ? "yes" : "NO (a bug)";
  }

  private static void heading(PrintWriter out, String text) {
    out.println();
    out.println(text);
  }

  private static byte[] sample() {
    try (InputStream in = TourCommand.class.getResourceAsStream(FILE)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks its bundled " + FILE);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
