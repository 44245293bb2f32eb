package org.mailcluster.ini;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.StateLimits;
import org.mailcluster.internal.io.AtomicWriter;
import org.mailcluster.spi.ConfigSource;
import org.mailcluster.spi.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ConfigSource} over the INI files of a directory: each file it manages becomes keys
 * {@code config/<file>/<section>/<key>} ({@link SettingKey#ini}), one per key that the Windows
 * profile API can reach (see {@link IniDocument}), spelled as the key's first occurrence in the
 * file, with the value that API returns (trimmed, outer quotes removed).
 *
 * <p><b>Which files.</b> Only the named files at the top level of the directory, and those matching
 * a {@linkplain Builder#filePattern pattern} if one is set, are read, watched and written. The
 * names are those of the mail server's profile, {@link MailServerProfile#mdaemon()} ({@code
 * MDaemon.ini}), unless {@link Builder#files} names others. A copy left beside the file ({@code
 * MDaemon-backup.ini}) therefore never replicates unless asked for. Names compare
 * case-insensitively, as Windows file names do; names starting with {@code .} are never managed
 * (this source's own temporary files start so). Changes for a file it does not manage are not
 * written, and logged.
 *
 * <p><b>Writing.</b> {@link #apply} reads each file it touches, edits it with {@link IniDocument}'s
 * minimal changes (formatting, comments and encoding stay), and replaces it atomically: a temporary
 * file in the same directory, with the permissions of the file it replaces, is written and forced
 * to disk, renamed over the file ({@code ATOMIC_MOVE}), and the directory is forced too where the
 * platform allows. A reader sees the old file or the new one, never a mix; a file whose content
 * would not change is not written. Keys are matched case-insensitively against the file; a removed
 * key loses every line of that name in its section, so that no duplicate takes its place. A file
 * that does not exist yet is created (windows-1252, CRLF, unless a fallback charset says
 * otherwise).
 *
 * <p><b>Files that stop replicating.</b> When the primary deletes a file or stops managing it, its
 * keys are removed on every node. If that leaves a file with nothing but section headers and blank
 * lines (the headers of the keys replication wrote), the file is deleted instead of being left as a
 * stub of empty sections, which would read like no file anyway. A file with anything else in it
 * (comments, other text, keys) stays, with its headers. A node that does not manage the file either
 * leaves it as it was.
 *
 * <p><b>Watching.</b> {@link #watch} reports edits made by anyone else: a {@link WatchService} is
 * polled without blocking on the injected {@link Scheduler}, and a file named by events is read
 * once it has been quiet for the {@linkplain Builder#debounce debounce} time. Because watching is
 * unreliable on network shares, every file is also re-read every {@linkplain Builder#rescanInterval
 * rescan interval} and compared by content hash. Edits are reported as diffs against what was last
 * loaded, applied or reported; this source's own writes are never reported, because it remembers
 * the hash of what it wrote and its own changes are already part of that baseline. A file that does
 * not parse is logged and skipped until it changes again. No thread is started: all work runs on
 * the scheduler's logical thread or the caller's.
 *
 * <p>Thread-safe: {@link #load} and {@link #apply} may be called from any thread.
 *
 * <pre>{@code
 * IniConfigSource source = IniConfigSource.builder(Path.of("C:\\MDaemon\\App"))
 *     .scheduler(scheduler)
 *     .debounce(Duration.ofMillis(200))
 *     .rescanInterval(Duration.ofSeconds(30))
 *     .build();
 * ConfigSnapshot files = source.load();
 * source.watch(diff -> log.info("edited behind our back:\n{}", diff.render()));
 * source.apply(ConfigDiff.of(ConfigDiff.Change.changed(
 *     "config/MDaemon.ini/Directories/LockFiles", "C:\\MDaemon\\LockFiles\\",
 *     "\\\\nas\\mail\\LockFiles\\")));
 * }</pre>
 */
public final class IniConfigSource implements ConfigSource {
  private static final Logger log = LoggerFactory.getLogger("mailcluster.config");
  private static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(200);
  private static final Duration DEFAULT_RESCAN = Duration.ofSeconds(30);

  private final Path directory;
  private final Scheduler scheduler;
  private final Duration rescanInterval;
  private final Duration debounce;
  private final Duration pollInterval;
  private final Charset fallbackCharset;
  private final long maxFileBytes;
  // Files refused for their size, by name, with the size and time they had then: each is
  // reported once, not on every rescan, until it changes.
  private final Map<String, String> refusedFiles = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  // Case-insensitive, as Windows file names are.
  private final Set<String> fileNames;
  private final Pattern filePattern;
  private final String filePatternText;

  private final Object lock = new Object();
  // Keyed case-insensitively: Windows file names are, and SettingKey compares them so.
  private final Map<String, FileState> files = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  private final EditDebouncer debouncer;
  private boolean loaded;
  private Listener listener;
  private WatchService watcher;
  private Scheduler.Cancellable pollTask;
  private Scheduler.Cancellable rescanTask;
  private boolean closed;

  /** What this source last knew of one file. */
  private static final class FileState {
    final String name;
    final byte[] hash;
    final ConfigSnapshot entries;

    FileState(String name, byte[] hash, ConfigSnapshot entries) {
      this.name = name;
      this.hash = hash;
      this.entries = entries;
    }
  }

  private IniConfigSource(Builder b) {
    this.directory = b.directory;
    this.scheduler = b.scheduler;
    this.rescanInterval = b.rescanInterval == null ? DEFAULT_RESCAN : b.rescanInterval;
    this.debounce = b.debounce == null ? DEFAULT_DEBOUNCE : b.debounce;
    this.fallbackCharset =
        b.fallbackCharset == null ? Charset.forName("windows-1252") : b.fallbackCharset;
    this.maxFileBytes = b.maxFileBytes == null ? StateLimits.DEFAULT_FILE_CHARS : b.maxFileBytes;
    Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    names.addAll(b.fileNames != null ? b.fileNames : MailServerProfile.mdaemon().files());
    this.fileNames = Collections.unmodifiableSet(names);
    this.filePattern = b.filePattern == null ? null : glob(b.filePattern);
    this.filePatternText = b.filePattern;
    long pollMillis = Math.max(10, Math.min(250, debounce.toMillis() / 2));
    this.pollInterval = Duration.ofMillis(pollMillis);
    this.debouncer = new EditDebouncer(debounce.toNanos(), debounce.toNanos() * 10);
  }

  /** Starts building a source over the INI files directly inside {@code directory}. */
  public static Builder builder(Path directory) {
    return new Builder(requireNonNull(directory, "directory"));
  }

  /** Returns the directory this source reads and writes. */
  public Path directory() {
    return directory;
  }

  /**
   * Returns whether this source manages the file {@code fileName} of its directory: reads, watches
   * and writes it (see the class description).
   *
   * <pre>{@code
   * IniConfigSource s = IniConfigSource.builder(dir).scheduler(scheduler).build();
   * s.manages("mdaemon.INI");         // true: the default is MailServerProfile.mdaemon()'s file
   * s.manages("MDaemon-backup.ini");  // false
   * }</pre>
   */
  public boolean manages(String fileName) {
    requireNonNull(fileName, "fileName");
    if (fileName.isEmpty()
        || fileName.startsWith(".")
        || fileName.indexOf('/') >= 0
        || fileName.indexOf('\\') >= 0) {
      return false;
    }
    return fileNames.contains(fileName)
        || (filePattern != null && filePattern.matcher(fileName).matches());
  }

  private String selection() {
    String names = fileNames.isEmpty() ? "" : "files " + String.join(", ", fileNames);
    String pattern = filePattern == null ? "" : "files matching " + filePatternText;
    return names.isEmpty() || pattern.isEmpty() ? names + pattern : names + " and " + pattern;
  }

  /** Compiles a glob of {@code *} and {@code ?} into a case-insensitive pattern. */
  private static Pattern glob(String glob) {
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*') {
        regex.append(".*");
      } else if (c == '?') {
        regex.append('.');
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
  }

  @Override
  public ConfigSnapshot load() {
    synchronized (lock) {
      Map<String, FileState> read = readAll();
      files.clear();
      files.putAll(read);
      loaded = true;
      return union();
    }
  }

  @Override
  public void apply(ConfigDiff diff) {
    requireNonNull(diff, "diff");
    List<ConfigDiff> external = new ArrayList<>();
    synchronized (lock) {
      if (!loaded) {
        files.putAll(readAll());
        loaded = true;
      }
      Map<String, List<ConfigDiff.Change>> byFile = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      Set<String> unmanaged = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
      for (ConfigDiff.Change change : diff.changes()) {
        Optional<SettingKey> key = iniKey(change.key());
        if (key.isEmpty()) {
          continue;
        }
        String file = key.get().iniFile().orElseThrow();
        if (manages(file)) {
          byFile.computeIfAbsent(file, f -> new ArrayList<>()).add(change);
        } else {
          unmanaged.add(file);
        }
      }
      if (!unmanaged.isEmpty()) {
        log.warn(
            "not writing the keys of {} in {}: this source manages {} only",
            unmanaged,
            directory,
            selection());
      }
      try {
        for (Map.Entry<String, List<ConfigDiff.Change>> e : byFile.entrySet()) {
          applyToFile(e.getKey(), e.getValue(), external);
        }
      } finally {
        // Edits found in files already replaced are part of the new baseline: report them even
        // if a later file fails, or they would never be reported.
        for (ConfigDiff d : external) {
          report(d, true);
        }
      }
    }
  }

  private void applyToFile(
      String fileName, List<ConfigDiff.Change> changes, List<ConfigDiff> external) {
    FileState known = files.get(fileName);
    String name = known == null ? fileName : known.name;
    Path path = directory.resolve(name);
    byte[] before = readOrEmpty(path);
    IniDocument doc = parse(name, before);
    byte[] beforeHash = sha256(before);
    ConfigSnapshot baseline = known == null ? ConfigSnapshot.empty() : known.entries;
    if (known == null || !Arrays.equals(known.hash, beforeHash)) {
      // Someone edited the file since we last looked: report that edit before overwriting it.
      ConfigSnapshot onDisk = entriesOf(name, doc);
      ConfigDiff edit = ConfigDiff.between(baseline, onDisk);
      if (!edit.isEmpty()) {
        external.add(edit);
      }
      // The edit is reported now, so the file as found is the baseline even if this apply fails.
      files.put(name, new FileState(name, beforeHash, onDisk));
    }
    // Removals first, so that a removal and an addition of the same key in another letter case
    // leave the key present.
    boolean removedAny = false;
    try {
      for (ConfigDiff.Change c : changes) {
        if (c.newValue().isEmpty()) {
          SettingKey k = SettingKey.parse(c.key());
          // Every line of the key goes: a duplicate left behind would become the value read.
          while (doc.remove(k.iniSection().orElseThrow(), k.iniKey().orElseThrow())) {
            removedAny = true;
          }
        }
      }
      for (ConfigDiff.Change c : changes) {
        if (c.newValue().isPresent()) {
          SettingKey k = SettingKey.parse(c.key());
          doc.set(k.iniSection().orElseThrow(), k.iniKey().orElseThrow(), c.newValue().get());
        }
      }
    } catch (IllegalArgumentException e) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE,
          "cannot write to " + path + ": " + e.getMessage() + "; nothing was written to this file",
          e);
    }
    if (removedAny && doc.holdsOnlySectionHeaders()) {
      // Replication removed the file's last key: a stub of empty sections would stay behind on
      // every node, so the file goes, as it went on the primary.
      delete(path);
      files.remove(name);
      log.info("{} deleted: replication removed its last key, leaving only section headers", path);
      return;
    }
    byte[] after = doc.toBytes();
    if (!Arrays.equals(before, after)) {
      writeAtomically(path, after);
    }
    files.put(name, new FileState(name, sha256(after), entriesOf(name, doc)));
  }

  @Override
  public void watch(Listener listener) {
    requireNonNull(listener, "listener");
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("source over " + directory + " is closed");
      }
      if (this.listener != null) {
        throw new IllegalStateException("watch() may be called once, and was already called");
      }
      this.listener = listener;
      if (!loaded) {
        files.putAll(readAll());
        loaded = true;
      }
      try {
        WatchService service = directory.getFileSystem().newWatchService();
        directory.register(service, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE);
        this.watcher = service;
      } catch (IOException | UnsupportedOperationException e) {
        log.warn(
            "cannot watch {} ({}); edits are found by the rescan every {}",
            directory,
            e.toString(),
            rescanInterval);
      }
      pollTask = scheduler.schedule(pollInterval, this::poll);
      rescanTask = scheduler.schedule(rescanInterval, this::periodicRescan);
    }
  }

  /**
   * Reads every file now and reports what changed, on the scheduler's thread; returns at once. A
   * host calls this when it knows files changed (for example after a restore), and tests use it to
   * check that nothing is pending. Does nothing before {@link #watch} or after {@link #close}.
   */
  public void rescanNow() {
    scheduler.execute(() -> scan(null));
  }

  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      if (pollTask != null) {
        pollTask.cancel();
      }
      if (rescanTask != null) {
        rescanTask.cancel();
      }
      if (watcher != null) {
        try {
          watcher.close();
        } catch (IOException e) {
          log.debug("closing the watch service of {} failed", directory, e);
        }
      }
    }
  }

  private void poll() {
    List<String> due;
    boolean rescanAll = false;
    synchronized (lock) {
      if (closed) {
        return;
      }
      long now = scheduler.nanoTime();
      if (watcher != null) {
        WatchKey key;
        while ((key = watcher.poll()) != null) {
          for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == OVERFLOW) {
              rescanAll = true;
            } else if (event.context() instanceof Path p && manages(p.toString())) {
              debouncer.mark(p.toString(), now);
            }
          }
          if (!key.reset()) {
            log.warn("{} can no longer be watched; edits are found by the rescan only", directory);
          }
        }
      }
      due = debouncer.takeDue(now);
      pollTask = scheduler.schedule(pollInterval, this::poll);
    }
    if (rescanAll) {
      scan(null);
    } else if (!due.isEmpty()) {
      scan(due);
    }
  }

  private void periodicRescan() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      rescanTask = scheduler.schedule(rescanInterval, this::periodicRescan);
    }
    scan(null);
  }

  /** Reads {@code names}, or every file if null, and reports what changed. */
  private void scan(List<String> names) {
    List<ConfigDiff.Change> changes = new ArrayList<>();
    List<ClusterException> refused = new ArrayList<>();
    synchronized (lock) {
      if (closed || listener == null) {
        return;
      }
      List<String> targets = new ArrayList<>();
      if (names == null) {
        try {
          targets.addAll(listManagedFiles());
        } catch (ClusterException e) {
          log.warn("cannot list {}: {}", directory, e.getMessage());
          return;
        }
        for (FileState s : files.values()) {
          if (targets.stream().noneMatch(t -> t.equalsIgnoreCase(s.name))) {
            targets.add(s.name);
          }
        }
      } else {
        targets.addAll(names);
      }
      for (String name : targets) {
        try {
          scanFile(name, changes);
        } catch (ClusterException e) {
          if (e.code() != ErrorCode.LIMIT_EXCEEDED) {
            throw e;
          }
          refused.add(e);
        }
      }
    }
    if (!changes.isEmpty()) {
      report(ConfigDiff.of(changes), false);
    }
    for (ClusterException e : refused) {
      reportRefused(e);
    }
  }

  private void reportRefused(ClusterException why) {
    Listener l;
    synchronized (lock) {
      l = closed ? null : listener;
    }
    if (l == null) {
      return;
    }
    try {
      l.refused(why);
    } catch (RuntimeException e) {
      log.error("the listener of {} failed on a refused file", directory, e);
    }
  }

  /**
   * Reads a file of at most {@link Builder#maxFileBytes} bytes; a larger one is not read at all (a
   * file that grows while it is read stops being read one byte past the limit).
   *
   * @throws ClusterException with {@code LIMIT_EXCEEDED}, naming the file, its size and the limit
   */
  private byte[] readBounded(Path path) throws IOException {
    long size = Files.size(path);
    if (size <= maxFileBytes) {
      try (InputStream in = Files.newInputStream(path)) {
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxFileBytes + 1));
        if (bytes.length <= maxFileBytes) {
          return bytes;
        }
        size = Math.max(size, bytes.length);
      }
    }
    throw new ClusterException(
        ErrorCode.LIMIT_EXCEEDED,
        path
            + " has "
            + size
            + " bytes, more than the limit of "
            + maxFileBytes
            + " for one file: it was not read, and nothing of it replicates. Make it smaller, or"
            + " raise the limit on every node (limits.file in the agent's configuration)");
  }

  private void scanFile(String name, List<ConfigDiff.Change> changes) {
    FileState known = files.get(name);
    Path path = directory.resolve(known == null ? name : known.name);
    byte[] bytes;
    boolean exists;
    try {
      String seen = Files.size(path) + "@" + Files.getLastModifiedTime(path);
      try {
        bytes = readBounded(path);
        refusedFiles.remove(name);
      } catch (ClusterException tooLarge) {
        if (seen.equals(refusedFiles.put(name, seen))) {
          return; // refused already as it is
        }
        log.warn("{}", tooLarge.getMessage());
        throw tooLarge;
      }
      exists = true;
    } catch (NoSuchFileException gone) {
      bytes = new byte[0];
      exists = false;
    } catch (IOException e) {
      log.warn("cannot read {}: {}; will retry", path, e.toString());
      return;
    }
    byte[] hash = sha256(bytes);
    if (known != null && Arrays.equals(known.hash, hash) && exists) {
      return;
    }
    if (!exists && known == null) {
      return;
    }
    ConfigSnapshot now;
    if (exists) {
      try {
        now = entriesOf(path.getFileName().toString(), IniDocument.parse(bytes, fallbackCharset));
      } catch (IniSyntaxException e) {
        log.warn(
            "{} was edited but cannot be read, ignored until it changes: {}", path, e.getMessage());
        ConfigSnapshot keep = known == null ? ConfigSnapshot.empty() : known.entries;
        String keptName = known == null ? path.getFileName().toString() : known.name;
        files.put(keptName, new FileState(keptName, hash, keep));
        return;
      }
    } else {
      now = ConfigSnapshot.empty();
    }
    ConfigSnapshot before = known == null ? ConfigSnapshot.empty() : known.entries;
    changes.addAll(ConfigDiff.between(before, now).changes());
    if (exists) {
      String keptName = known == null ? path.getFileName().toString() : known.name;
      files.put(keptName, new FileState(keptName, hash, now));
    } else {
      files.remove(name);
    }
  }

  private void report(ConfigDiff diff, boolean later) {
    Listener l;
    synchronized (lock) {
      l = closed ? null : listener;
    }
    if (l == null || diff.isEmpty()) {
      return;
    }
    Runnable call =
        () -> {
          synchronized (lock) {
            if (closed) {
              return;
            }
          }
          try {
            l.externalEdit(diff);
          } catch (RuntimeException e) {
            log.error("the listener of {} failed on an external edit", directory, e);
          }
        };
    if (later) {
      scheduler.execute(call);
    } else {
      call.run();
    }
  }

  private Map<String, FileState> readAll() {
    Map<String, FileState> read = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (String name : listManagedFiles()) {
      if (read.containsKey(name)) {
        log.warn(
            "{} and {} differ only in letter case; only the first is managed",
            read.get(name).name,
            name);
        continue;
      }
      Path path = directory.resolve(name);
      byte[] bytes;
      try {
        bytes = readBounded(path);
      } catch (NoSuchFileException gone) {
        continue;
      } catch (IOException e) {
        throw new ClusterException(
            ErrorCode.STORAGE_FAILURE,
            "cannot read " + path + ": " + e + "; check that the file exists and is readable",
            e);
      }
      read.put(name, new FileState(name, sha256(bytes), entriesOf(name, parse(name, bytes))));
    }
    return read;
  }

  private IniDocument parse(String name, byte[] bytes) {
    try {
      return IniDocument.parse(bytes, fallbackCharset);
    } catch (IniSyntaxException e) {
      throw new ClusterException(
          ErrorCode.CORRUPT_DATA,
          "cannot read " + directory.resolve(name) + ": " + e.inFile(name).getMessage(),
          e.inFile(name));
    }
  }

  private List<String> listManagedFiles() {
    try (Stream<Path> entries = Files.list(directory)) {
      return entries
          .filter(p -> manages(p.getFileName().toString()) && Files.isRegularFile(p))
          .map(p -> p.getFileName().toString())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "cannot list "
              + directory
              + ": "
              + e
              + "; check that the directory exists and is readable",
          e);
    }
  }

  private ConfigSnapshot union() {
    Map<String, String> all = new TreeMap<>();
    for (FileState s : files.values()) {
      all.putAll(s.entries.asMap());
    }
    return ConfigSnapshot.of(all);
  }

  /**
   * Returns the state keys and values that a document contributes under {@code file}: one per key
   * the Windows profile API can reach, spelled as in the file, with the value it returns (see
   * {@link IniDocument#get}). Entries that cannot be named as a state key (an empty section or key
   * name, a control character) stay in the file but are left out.
   *
   * <pre>{@code
   * ConfigSnapshot s = IniConfigSource.entriesOf("MDaemon.ini", IniDocument.parse(bytes));
   * }</pre>
   */
  public static ConfigSnapshot entriesOf(String file, IniDocument doc) {
    Map<String, String> entries = new TreeMap<>();
    for (IniDocument.Entry e : doc.entries()) {
      SettingKey key;
      try {
        key = SettingKey.ini(file, e.section(), e.key());
      } catch (IllegalArgumentException unrepresentable) {
        // An empty section name or a control character cannot be named in the state; such an
        // entry stays in the file but is not replicated.
        log.debug(
            "{}: [{}] {} cannot be named as a state key, not managed", file, e.section(), e.key());
        continue;
      }
      entries.put(key.stateKey(), e.value());
    }
    return ConfigSnapshot.of(entries);
  }

  private static Optional<SettingKey> iniKey(String stateKey) {
    if (!stateKey.startsWith(SettingKey.CONFIG_NAMESPACE + "/")) {
      return Optional.empty();
    }
    try {
      SettingKey key = SettingKey.parse(stateKey);
      return key.isIni() ? Optional.of(key) : Optional.empty();
    } catch (IllegalArgumentException malformed) {
      return Optional.empty();
    }
  }

  private static void delete(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "cannot delete "
              + path
              + ", whose last key replication removed: "
              + e
              + "; check write permission on its directory. The file keeps its old content",
          e);
    }
    AtomicWriter.syncDirectory(path.toAbsolutePath().getParent());
  }

  private byte[] readOrEmpty(Path path) {
    try {
      return readBounded(path);
    } catch (NoSuchFileException absent) {
      return new byte[0];
    } catch (IOException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "cannot read " + path + ": " + e + "; check that the file is readable",
          e);
    }
  }

  /** Replaces {@code target} so that a reader sees the old bytes or the new ones, never a mix. */
  static void writeAtomically(Path target, byte[] bytes) {
    try {
      // The replaced file keeps the permissions it had; a new one gets the platform's default.
      AtomicWriter.durable()
          .withPermissions(AtomicWriter.Permissions.SAME_AS_REPLACED)
          .write(target, bytes);
    } catch (IOException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "cannot replace "
              + target
              + ": "
              + e
              + "; check free space and write permission on "
              + target.toAbsolutePath().getParent()
              + ". The file keeps its old content",
          e);
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * Builds an {@link IniConfigSource}. Each property may be set once; the scheduler is required.
   *
   * <pre>{@code
   * IniConfigSource source = IniConfigSource.builder(dir).scheduler(scheduler).build();
   * }</pre>
   */
  public static final class Builder {
    private final Path directory;
    private Scheduler scheduler;
    private Duration rescanInterval;
    private Duration debounce;
    private Charset fallbackCharset;
    private Set<String> fileNames;
    private String filePattern;
    private Long maxFileBytes;

    private Builder(Path directory) {
      this.directory = directory;
    }

    /** Sets the node's scheduler, on which watching runs and edits are reported (required). */
    public Builder scheduler(Scheduler value) {
      requireNonNull(value, "scheduler");
      checkUnset(scheduler, "scheduler");
      this.scheduler = value;
      return this;
    }

    /** Sets how often every file is re-read and compared by hash; 30 seconds if never set. */
    public Builder rescanInterval(Duration value) {
      requireNonNull(value, "rescanInterval");
      checkUnset(rescanInterval, "rescanInterval");
      checkPositive(value, "rescanInterval");
      this.rescanInterval = value;
      return this;
    }

    /**
     * Sets how long a file must be quiet after a watch event before it is read; 200 ms if never
     * set. A file written without pause is read at the latest ten times this long after its first
     * event. Watch events are polled every half of this, but at least every 250 ms and at most
     * every 10 ms.
     */
    public Builder debounce(Duration value) {
      requireNonNull(value, "debounce");
      checkUnset(debounce, "debounce");
      if (value.isNegative()) {
        throw new IllegalArgumentException("debounce must not be negative, but was " + value);
      }
      this.debounce = value;
      return this;
    }

    /**
     * Sets the single-byte charset of files that have no byte order mark and are not UTF-8;
     * windows-1252 if never set.
     *
     * @throws IllegalArgumentException if the charset is multi-byte or not ASCII-compatible
     */
    public Builder fallbackCharset(Charset value) {
      requireNonNull(value, "fallbackCharset");
      checkUnset(fallbackCharset, "fallbackCharset");
      TextCodec.singleByte(value);
      this.fallbackCharset = value;
      return this;
    }

    /**
     * Sets the files to manage by name, compared case-insensitively as Windows file names are,
     * instead of those of {@link MailServerProfile#mdaemon()} ({@code MDaemon.ini}); no other file
     * of the directory is read, watched or written, unless it matches {@link #filePattern}.
     *
     * <pre>{@code
     * IniConfigSource.builder(dir).scheduler(scheduler).files("MDaemon.ini", "Plugins.ini").build();
     * }</pre>
     *
     * @throws IllegalArgumentException if a name is empty, starts with {@code .}, or holds a path
     *     separator or a control character
     */
    public Builder files(String... names) {
      requireNonNull(names, "names");
      return files(Arrays.asList(names));
    }

    /**
     * Sets the files to manage by name, for example those of a mail server's profile; see {@link
     * #files(String...)}.
     *
     * <pre>{@code
     * IniConfigSource.builder(dir).scheduler(scheduler).files(profile.files()).build();
     * }</pre>
     *
     * @throws IllegalArgumentException if a name is empty, starts with {@code .}, or holds a path
     *     separator or a control character
     */
    public Builder files(Collection<String> names) {
      requireNonNull(names, "names");
      checkUnset(fileNames, "files");
      Set<String> checked = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
      for (String name : names) {
        checkFileName(requireNonNull(name, "file name"), "file name");
        checked.add(name);
      }
      this.fileNames = checked;
      return this;
    }

    /**
     * Manages, besides the {@linkplain #files named files} ({@code MDaemon.ini} unless told
     * otherwise), every file whose name matches {@code glob}, where {@code *} stands for any run of
     * characters and {@code ?} for one, compared case-insensitively. {@code "*.ini"} manages every
     * INI file of the directory, a backup copy such as {@code MDaemon-backup.ini} included: name
     * the files when the directory may hold such copies. No pattern if never set.
     *
     * <pre>{@code
     * IniConfigSource.builder(dir).scheduler(scheduler).filePattern("*.ini").build();
     * }</pre>
     *
     * @throws IllegalArgumentException if the pattern is empty, starts with {@code .}, or holds a
     *     path separator or a control character
     */
    public Builder filePattern(String glob) {
      requireNonNull(glob, "filePattern");
      checkUnset(filePattern, "filePattern");
      checkFileName(glob, "file pattern");
      this.filePattern = glob;
      return this;
    }

    private static void checkFileName(String name, String what) {
      if (name.isEmpty() || name.startsWith(".")) {
        throw new IllegalArgumentException(
            what + " '" + name + "' is empty or starts with '.': name a file of the directory");
      }
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (c == '/' || c == '\\' || Character.isISOControl(c)) {
          throw new IllegalArgumentException(
              what
                  + " '"
                  + name.replaceAll("\\p{Cntrl}", "?")
                  + "' holds a path separator or a control character: name a file directly in"
                  + " the directory");
        }
      }
    }

    /**
     * Sets the largest file, in bytes, that this source reads; {@link
     * StateLimits#DEFAULT_FILE_CHARS} (8 MiB) if never set. A larger file is not read at all, so
     * that it never reaches memory: {@link #load} and {@link #apply} fail with {@code
     * LIMIT_EXCEEDED} naming the file, its size and the limit, and an edit that makes a watched
     * file larger is not reported but {@linkplain ConfigSource.Listener#refused refused}, its keys
     * keeping the values last reported.
     *
     * @throws IllegalArgumentException if the limit is not positive
     */
    public Builder maxFileBytes(long value) {
      checkUnset(maxFileBytes, "maxFileBytes");
      if (value < 1) {
        throw new IllegalArgumentException("maxFileBytes must be positive, but was " + value);
      }
      this.maxFileBytes = value;
      return this;
    }

    /**
     * Builds the source; it reads nothing until {@link #load}, {@link #apply} or {@link #watch}.
     *
     * @throws IllegalStateException if no scheduler was set
     */
    public IniConfigSource build() {
      if (scheduler == null) {
        throw new IllegalStateException("an IniConfigSource needs a scheduler: call scheduler()");
      }
      return new IniConfigSource(this);
    }

    private static void checkUnset(Object current, String property) {
      if (current != null) {
        throw new IllegalStateException(property + " was already set to " + current);
      }
    }

    private static void checkPositive(Duration value, String property) {
      if (value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException(property + " must be positive, but was " + value);
      }
    }
  }
}
