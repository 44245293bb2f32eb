package org.mailcluster.cli;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.mailcluster.config.StateLimits;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;

/**
 * The node agent's configuration, read from a properties file. Relative paths are resolved against
 * the file's folder, so a node's folder can be moved as a whole.
 *
 * <pre>
 * node.id = mx1
 * listen = 10.0.0.11:7400
 * role = primary
 * servers = mx2=10.0.0.12:7400, mx3=10.0.0.13:7400
 * ini.directory = C:/MDaemon/App
 * ini.files = MDaemon.ini, Plugins.ini
 * state.directory = state
 * tls.directory = certs
 * product.version = 23.5.2
 * licence.key = ABCD-1234
 * status.listen = 127.0.0.1:7480
 * log.file = mailcluster.log
 * </pre>
 *
 * @param file the file it was read from
 * @param id the node's id
 * @param listen where the node listens for peers
 * @param primary where the primary listens (on a secondary)
 * @param servers the secondaries the primary registers (on the primary)
 * @param iniDirectory the directory of INI files to replicate
 * @param iniFiles the INI files of that directory to replicate by name; empty for the mail server
 *     profile's ({@code MDaemon.ini})
 * @param iniFilePattern a pattern ({@code *} and {@code ?}) of further files to replicate, if any
 * @param stateDirectory where the node keeps its log and snapshots
 * @param tlsDirectory the folder holding {@code ca.pem}, {@code node.pem} and {@code node-key.pem}
 * @param productVersion the mail server's version, the same on every node
 * @param licenceKey the node's licence key, different on every node
 * @param statusListen the address of the status endpoint, if any (on any address but loopback,
 *     every request to it needs the node's token)
 * @param logFile the log file
 * @param logLevel the lowest level logged: ERROR, WARN, INFO or DEBUG
 * @param logRotation when the log file rotates and how many files are kept
 * @param debounce how long an INI file must be quiet after an edit before it is read
 * @param rescan how often every INI file is re-read in case watching missed an edit
 * @param roundTripWarning the round trip to a peer above which the cluster log warns
 * @param limits how large a value, a file (also in bytes on disk), a revision and the whole state
 *     may be, in characters
 * @param heldBackShare the share of a file's keys above which a change deleting them is held back
 *     on the primary
 */
record NodeConfig(
    Path file,
    NodeId id,
    NodeAddress listen,
    Optional<NodeAddress> primary,
    Map<NodeId, NodeAddress> servers,
    Path iniDirectory,
    List<String> iniFiles,
    Optional<String> iniFilePattern,
    Path stateDirectory,
    Path tlsDirectory,
    String productVersion,
    String licenceKey,
    Optional<NodeAddress> statusListen,
    Path logFile,
    String logLevel,
    Logging.Rotation logRotation,
    Duration debounce,
    Duration rescan,
    Duration roundTripWarning,
    StateLimits limits,
    double heldBackShare) {

  private static final Set<String> KNOWN =
      new TreeSet<>(
          List.of(
              "node.id",
              "listen",
              "role",
              "primary",
              "servers",
              "ini.directory",
              "ini.files",
              "ini.file.pattern",
              "state.directory",
              "tls.directory",
              "product.version",
              "licence.key",
              "status.listen",
              "log.file",
              "log.level",
              "log.file.size",
              "log.file.count",
              "ini.debounce.millis",
              "ini.rescan.seconds",
              "round.trip.warning.millis",
              "limits.value",
              "limits.file",
              "limits.revision",
              "limits.state",
              "ini.held.back.share"));

  private static final String HINT = "see `mailcluster node --help` for every setting";

  /** Reads and checks a configuration file; every problem names the file and the setting. */
  static NodeConfig load(Path file) {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      throw new InputException("no such file: " + file, "check the path", e);
    } catch (IOException | IllegalArgumentException e) {
      throw new InputException(
          "cannot read " + file + ": " + e.getMessage(),
          "it must be a properties file (key = value per line)",
          e);
    }
    for (String key : p.stringPropertyNames()) {
      if (!KNOWN.contains(key)) {
        throw InputException.of(
            file + ": unknown setting '" + key + "'",
            "the settings are " + String.join(", ", KNOWN));
      }
    }
    Path base = file.toAbsolutePath().getParent();
    NodeId id = required(p, file, "node.id", NodeId::of);
    String role = required(p, file, "role", s -> s);
    boolean primary;
    if (role.equalsIgnoreCase("primary")) {
      primary = true;
    } else if (role.equalsIgnoreCase("secondary")) {
      primary = false;
    } else {
      throw InputException.of(
          file + ": role must be primary or secondary, not '" + role + "'", HINT);
    }
    Optional<NodeAddress> primaryAddress = optional(p, file, "primary", NodeAddress::parse);
    if (!primary && primaryAddress.isEmpty()) {
      throw InputException.of(
          file + ": a secondary needs 'primary', the address where the primary listens",
          "add e.g. primary = 10.0.0.11:7400");
    }
    if (primary && primaryAddress.isPresent()) {
      throw InputException.of(
          file + ": 'primary' is for secondaries, but role is primary",
          "remove it, or set role = secondary");
    }
    Map<NodeId, NodeAddress> servers = new LinkedHashMap<>();
    String serverList = p.getProperty("servers", "").strip();
    if (!primary && !serverList.isEmpty()) {
      throw InputException.of(
          file + ": 'servers' is for the primary, but role is secondary",
          "list the secondaries in the primary's file");
    }
    for (String s : serverList.split(",")) {
      if (s.isBlank()) {
        continue;
      }
      int eq = s.indexOf('=');
      if (eq <= 0) {
        throw InputException.of(
            file + ": servers entry '" + s.strip() + "' is not NODE=HOST:PORT",
            "write e.g. servers = mx2=10.0.0.12:7400, mx3=10.0.0.13:7400");
      }
      NodeId server = parse(file, "servers", s.substring(0, eq).strip(), NodeId::of);
      servers.put(server, parse(file, "servers", s.substring(eq + 1).strip(), NodeAddress::parse));
    }
    Optional<NodeAddress> status = optional(p, file, "status.listen", NodeAddress::parse);
    if (status.isPresent() && isWildcard(status.get().host())) {
      throw InputException.of(
          file + ": status.listen must name one address, not the wildcard " + status.get(),
          "use a loopback address such as 127.0.0.1:7480 (or, for a management network, that"
              + " network's address of this machine: every request then needs the node's token)");
    }
    String level = p.getProperty("log.level", "INFO").strip().toUpperCase(java.util.Locale.ROOT);
    if (!Set.of("ERROR", "WARN", "INFO", "DEBUG").contains(level)) {
      throw InputException.of(
          file + ": log.level must be ERROR, WARN, INFO or DEBUG, not '" + level + "'", HINT);
    }
    return new NodeConfig(
        file,
        id,
        required(p, file, "listen", NodeAddress::parse),
        primaryAddress,
        Map.copyOf(servers),
        base.resolve(NodeConfig.<String>required(p, file, "ini.directory", String::strip)),
        optional(p, file, "ini.files", NodeConfig::fileNames).orElse(List.of()),
        optional(p, file, "ini.file.pattern", NodeConfig::filePattern),
        base.resolve(NodeConfig.<String>required(p, file, "state.directory", String::strip)),
        base.resolve(NodeConfig.<String>required(p, file, "tls.directory", String::strip)),
        required(p, file, "product.version", s -> s),
        p.getProperty("licence.key", "sidecar-" + id).strip(),
        status,
        base.resolve(p.getProperty("log.file", "mailcluster-" + id + ".log").strip()),
        level,
        logRotation(p, file),
        Duration.ofMillis(
            optional(p, file, "ini.debounce.millis", NodeConfig::positive).orElse(200L)),
        Duration.ofSeconds(
            optional(p, file, "ini.rescan.seconds", NodeConfig::positive).orElse(30L)),
        Duration.ofMillis(
            optional(p, file, "round.trip.warning.millis", NodeConfig::positive).orElse(10L)),
        limits(p, file),
        optional(p, file, "ini.held.back.share", NodeConfig::share).orElse(0.5));
  }

  private static StateLimits limits(Properties p, Path file) {
    StateLimits d = StateLimits.defaults();
    long value = optional(p, file, "limits.value", NodeConfig::positive).orElse(d.valueChars());
    long oneFile = optional(p, file, "limits.file", NodeConfig::positive).orElse(d.fileChars());
    long revision =
        optional(p, file, "limits.revision", NodeConfig::positive).orElse(d.revisionChars());
    long state = optional(p, file, "limits.state", NodeConfig::positive).orElse(d.stateChars());
    try {
      return new StateLimits(value, oneFile, revision, state);
    } catch (IllegalArgumentException e) {
      throw new InputException(
          file + ": " + e.getMessage(),
          "set limits.value <= limits.file <= limits.revision <= limits.state",
          e);
    }
  }

  private static Logging.Rotation logRotation(Properties p, Path file) {
    Logging.Rotation d = Logging.Rotation.defaults();
    long size = optional(p, file, "log.file.size", NodeConfig::bytes).orElse(d.fileBytes());
    long count = optional(p, file, "log.file.count", NodeConfig::positive).orElse((long) d.files());
    try {
      return new Logging.Rotation(size, (int) Math.min(count, Integer.MAX_VALUE));
    } catch (IllegalArgumentException e) {
      throw new InputException(
          file + ": " + e.getMessage(),
          "e.g. log.file.size = 10MB and log.file.count = 10 keep at most 100 MB of log",
          e);
    }
  }

  /** A size in bytes, or with a unit: {@code 512KB}, {@code 10MB}, {@code 1GB} (powers of 1024). */
  private static long bytes(String text) {
    String t = text.strip().toUpperCase(java.util.Locale.ROOT);
    long unit = 1;
    for (String[] u : new String[][] {{"KB", "1024"}, {"MB", "1048576"}, {"GB", "1073741824"}}) {
      if (t.endsWith(u[0])) {
        unit = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - 2).strip();
        break;
      }
    }
    try {
      long value = Long.parseLong(t);
      if (value > 0 && value <= Long.MAX_VALUE / unit) {
        return value * unit;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "must be a size such as 10MB, 512KB or a number of bytes, not '" + text + "'");
  }

  boolean isPrimary() {
    return primary.isEmpty();
  }

  private interface Parser<T> {
    T parse(String text);
  }

  private static <T> T required(Properties p, Path file, String key, Parser<T> parser) {
    return optional(p, file, key, parser)
        .orElseThrow(() -> InputException.of(file + ": '" + key + "' is missing", HINT));
  }

  private static <T> Optional<T> optional(Properties p, Path file, String key, Parser<T> parser) {
    String value = p.getProperty(key);
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(parse(file, key, value.strip(), parser));
  }

  private static <T> T parse(Path file, String key, String value, Parser<T> parser) {
    try {
      return parser.parse(value);
    } catch (IllegalArgumentException e) {
      throw new InputException(file + ": " + key + ": " + e.getMessage(), HINT, e);
    }
  }

  private static List<String> fileNames(String text) {
    List<String> names = new ArrayList<>();
    for (String name : text.split(",")) {
      if (!name.isBlank()) {
        names.add(name.strip());
      }
    }
    // The source's builder checks the names as it will use them.
    IniConfigSource.builder(Path.of(".")).files(names);
    return List.copyOf(names);
  }

  private static String filePattern(String text) {
    IniConfigSource.builder(Path.of(".")).filePattern(text);
    return text;
  }

  private static long positive(String text) {
    try {
      long value = Long.parseLong(text);
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("must be a whole number above 0, not '" + text + "'");
  }

  private static double share(String text) {
    try {
      double value = Double.parseDouble(text);
      if (value > 0 && value <= 1) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "must be a number above 0 and at most 1 (0.5 for one half), not '" + text + "'");
  }

  private static boolean isWildcard(String host) {
    try {
      return InetAddress.getByName(host).isAnyLocalAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
