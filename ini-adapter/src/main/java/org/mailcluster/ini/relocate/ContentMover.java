package org.mailcluster.ini.relocate;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.internal.io.AtomicWriter;
import org.mailcluster.paths.PathMapping;

/**
 * Copies folder contents to their new place with checksums, resumes after an interruption, and
 * verifies the copy before anything else happens (verified relocation, requirement B6 in
 * docs/REQUIREMENTS.md). Each file is written to a temporary file beside its target, forced to the
 * disk and renamed into place in one atomic step, then recorded (path, size, SHA-256) in a journal
 * that is forced after every line; a move interrupted at any instant starts again where the journal
 * ends. Verification reads every source and target file again and compares their SHA-256. The
 * source is deleted only by {@link #deleteSources}, which refuses to run before a verification
 * passed.
 *
 * <p>Blocking: call it from the host's own worker thread, never from a node's callback.
 *
 * <pre>{@code
 * ContentMover mover = ContentMover.builder(mapping, Path.of("/var/lib/mail/relocation.journal"))
 *     .build();
 * ContentMover.Report report = mover.copyAndVerify(plan.moves()); // again after a crash: resumes
 * relocator.apply(plan, cluster).join();                          // switch the keys
 * mover.deleteSources(report);                                    // only if asked
 * }</pre>
 */
public final class ContentMover {
  private static final String PART_SUFFIX = ".mailcluster-part";
  private static final String JOURNAL_HEADER = "mailcluster-move 1 ";
  private static final int BUFFER = 64 * 1024;

  private final PathMapping mapping;
  private final Path journal;
  private final Listener listener;
  private final boolean sync;

  /**
   * Hears about a move's progress. The methods run on the copying thread; one that throws stops the
   * move at that point (the journal keeps what was complete), which is how tests interrupt it.
   *
   * <pre>{@code
   * ContentMover.builder(mapping, journal).listener(new ContentMover.Listener() {
   *   public void copied(String file, long size, String sha256) { ui.advance(size); }
   * })
   * }</pre>
   */
  public interface Listener {
    /** Called after every chunk written; {@code total} counts the bytes written by this run. */
    default void bytesWritten(long total) {}

    /** Called after a file is in place and journaled. */
    default void copied(String file, long size, String sha256) {}
  }

  /**
   * What a verified copy did.
   *
   * @param folders one line per move, in order
   * @param journal the journal of this move
   */
  public record Report(List<Folder> folders, Path journal) {
    /** Copies the list. */
    public Report {
      folders = List.copyOf(folders);
      requireNonNull(journal, "journal");
    }

    /**
     * One moved folder.
     *
     * @param move the move
     * @param source its local source directory
     * @param target its local target directory
     * @param files how many files it holds (all verified)
     * @param bytes how many bytes they hold
     * @param copied how many files this run copied (the others were copied by an earlier run)
     */
    public record Folder(
        RelocationPlan.Move move, Path source, Path target, long files, long bytes, long copied) {}
  }

  private ContentMover(PathMapping mapping, Path journal, Listener listener, boolean sync) {
    this.mapping = mapping;
    this.journal = journal;
    this.listener = listener;
    this.sync = sync;
  }

  /**
   * Returns a builder.
   *
   * @param mapping how this machine reaches the moves' paths
   * @param journal the journal file, on a local disk; it names the moves it belongs to
   */
  public static Builder builder(PathMapping mapping, Path journal) {
    return new Builder(requireNonNull(mapping, "mapping"), requireNonNull(journal, "journal"));
  }

  /**
   * Copies every move's content (resuming from the journal), then verifies all of it.
   *
   * @throws ClusterException with {@link ErrorCode#STORAGE_FAILURE} if a file cannot be copied or a
   *     copy differs from its source; the sources are untouched either way
   * @throws IllegalStateException if the journal belongs to other moves
   */
  public Report copyAndVerify(List<RelocationPlan.Move> moves) {
    requireNonNull(moves, "moves");
    String planId = planId(moves);
    Map<String, Long> done = readJournal(planId);
    List<Report.Folder> folders = new ArrayList<>();
    long[] written = {0};
    try (FileChannel log =
        FileChannel.open(
            journal,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
      if (done.isEmpty() && log.size() == 0) {
        append(log, JOURNAL_HEADER + planId);
      }
      for (int i = 0; i < moves.size(); i++) {
        RelocationPlan.Move move = moves.get(i);
        Path source = mapping.toLocalOrThrow(move.from());
        Path target = mapping.toLocalOrThrow(move.to());
        if (!Files.isDirectory(source)) {
          throw new ClusterException(
              ErrorCode.STORAGE_FAILURE,
              "cannot move " + move.from() + ": " + source + " is not a directory on this machine");
        }
        // An empty folder moves too: its new place exists afterwards.
        Files.createDirectories(target);
        long copied = 0;
        for (Path file : tree(source)) {
          Path rel = source.relativize(file);
          Path to = resolve(target, rel);
          if (Files.isDirectory(file)) {
            Files.createDirectories(to);
            continue;
          }
          String key = i + "\t" + slashes(rel);
          long size = Files.size(file);
          Long journaled = done.get(key);
          if (journaled != null
              && journaled == size
              && Files.isRegularFile(to)
              && Files.size(to) == size) {
            continue;
          }
          Files.createDirectories(to.getParent());
          String sha = copy(file, to, written);
          append(log, key + "\t" + size + "\t" + sha);
          listener.copied(slashes(rel), size, sha);
          copied++;
        }
        folders.add(new Report.Folder(move, source, target, 0, 0, copied));
      }
    } catch (IOException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "copy stopped: "
              + e
              + "; the sources are untouched: fix the cause and run the move again, it resumes"
              + " from "
              + journal,
          e);
    }
    return new Report(verify(folders), journal);
  }

  /**
   * Deletes the sources of a verified move, and then the journal.
   *
   * @throws IllegalStateException if {@code report} is not from this mover's journal
   */
  public void deleteSources(Report report) {
    requireNonNull(report, "report");
    if (!report.journal().equals(journal)) {
      throw new IllegalStateException(
          "report of " + report.journal() + " is not from this mover's journal " + journal);
    }
    try {
      for (Report.Folder f : report.folders()) {
        List<Path> files = tree(f.source());
        for (int i = files.size() - 1; i >= 0; i--) {
          Files.delete(files.get(i));
        }
      }
      Files.deleteIfExists(journal);
    } catch (IOException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          "could not delete every source file (" + e + "); the copies are complete and verified",
          e);
    }
  }

  /** Deletes the journal of a finished move whose sources are kept. */
  public void forgetJournal() {
    try {
      Files.deleteIfExists(journal);
    } catch (IOException e) {
      throw new ClusterException(ErrorCode.STORAGE_FAILURE, "cannot delete " + journal, e);
    }
  }

  private List<Report.Folder> verify(List<Report.Folder> folders) {
    List<Report.Folder> out = new ArrayList<>();
    List<String> differing = new ArrayList<>();
    try {
      for (Report.Folder f : folders) {
        long files = 0;
        long bytes = 0;
        for (Path file : tree(f.source())) {
          if (Files.isDirectory(file)) {
            continue;
          }
          Path rel = f.source().relativize(file);
          Path to = resolve(f.target(), rel);
          files++;
          bytes += Files.size(file);
          if (!Files.isRegularFile(to) || !sha256(file).equals(sha256(to))) {
            differing.add(to.toString());
          }
        }
        try (Stream<Path> parts = Files.walk(f.target())) {
          for (Path p : parts.filter(p -> p.toString().endsWith(PART_SUFFIX)).toList()) {
            Files.delete(p);
          }
        }
        out.add(new Report.Folder(f.move(), f.source(), f.target(), files, bytes, f.copied()));
      }
    } catch (IOException e) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE, "verification stopped: " + e + "; run the move again", e);
    }
    if (!differing.isEmpty()) {
      throw new ClusterException(
          ErrorCode.STORAGE_FAILURE,
          differing.size()
              + " copied file(s) differ from their source, first "
              + differing.get(0)
              + ": the keys were not switched and the sources are untouched; run the move again");
    }
    return out;
  }

  private String copy(Path from, Path to, long[] written) throws IOException {
    MessageDigest digest = sha256();
    // A distinct suffix: a mail folder may well hold files whose names end in ".tmp".
    AtomicWriter.of(sync)
        .withTempSuffix(PART_SUFFIX)
        .write(
            to,
            out -> {
              try (InputStream in = Files.newInputStream(from)) {
                byte[] buffer = new byte[BUFFER];
                int n;
                while ((n = in.read(buffer)) > 0) {
                  digest.update(buffer, 0, n);
                  out.write(buffer, 0, n);
                  written[0] += n;
                  listener.bytesWritten(written[0]);
                }
              }
            });
    Files.setLastModifiedTime(to, Files.getLastModifiedTime(from));
    return HexFormat.of().formatHex(digest.digest());
  }

  private void append(FileChannel log, String line) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    while (bb.hasRemaining()) {
      log.write(bb);
    }
    if (sync) {
      log.force(true);
    }
  }

  /** Reads the journal: file key → size. A torn last line (a crash while appending) is ignored. */
  private Map<String, Long> readJournal(String planId) {
    Map<String, Long> done = new HashMap<>();
    if (!Files.exists(journal)) {
      return done;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ClusterException(ErrorCode.STORAGE_FAILURE, "cannot read " + journal, e);
    }
    if (lines.isEmpty()) {
      return done;
    }
    if (!lines.get(0).equals(JOURNAL_HEADER + planId)) {
      throw new IllegalStateException(
          "journal "
              + journal
              + " belongs to another move ("
              + lines.get(0)
              + "): finish that move, or delete the journal to start this one afresh");
    }
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t");
      if (f.length == 4 && f[3].length() == 64) {
        done.put(f[0] + "\t" + f[1], Long.parseLong(f[2]));
      }
    }
    return done;
  }

  private static String planId(List<RelocationPlan.Move> moves) {
    StringBuilder b = new StringBuilder();
    for (RelocationPlan.Move m : moves) {
      b.append(m.from()).append('>').append(m.to()).append(';');
    }
    return HexFormat.of()
        .formatHex(sha256().digest(b.toString().getBytes(StandardCharsets.UTF_8)))
        .substring(0, 16);
  }

  /** Every file and directory below {@code dir}, parents before children, in name order. */
  private static List<Path> tree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir))
          .filter(p -> !p.getFileName().toString().endsWith(PART_SUFFIX))
          .sorted()
          .toList();
    }
  }

  private static Path resolve(Path base, Path rel) {
    Path out = base;
    for (Path name : rel) {
      out = out.resolve(name.toString());
    }
    return out;
  }

  private static String slashes(Path rel) {
    List<String> names = new ArrayList<>();
    rel.forEach(n -> names.add(n.toString()));
    return String.join("/", names);
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest = sha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** Builds a {@link ContentMover}. */
  public static final class Builder {
    private final PathMapping mapping;
    private final Path journal;
    private Listener listener = new Listener() {};
    private boolean sync = true;

    private Builder(PathMapping mapping, Path journal) {
      this.mapping = mapping;
      this.journal = journal;
    }

    /** Sets who hears about progress. */
    public Builder listener(Listener value) {
      this.listener = requireNonNull(value, "listener");
      return this;
    }

    /** Whether files, directories and the journal are forced to the disk (default true). */
    public Builder sync(boolean value) {
      this.sync = value;
      return this;
    }

    /** Builds the mover. */
    public ContentMover build() {
      return new ContentMover(mapping, journal, listener, sync);
    }
  }
}
