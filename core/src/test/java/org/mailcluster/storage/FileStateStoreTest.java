package org.mailcluster.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mailcluster.storage.StoreFixtures.copy;
import static org.mailcluster.storage.StoreFixtures.flipByte;
import static org.mailcluster.storage.StoreFixtures.open;
import static org.mailcluster.storage.StoreFixtures.segments;
import static org.mailcluster.storage.StoreFixtures.snapshots;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.spi.StateStore;

class FileStateStoreTest {
  @TempDir Path tmp;

  private static StoreFixtures.History history(int n) {
    StoreFixtures.History h = new StoreFixtures.History();
    Random random = new Random(n);
    for (int i = 0; i < n; i++) {
      h.nextRandom(random);
    }
    return h;
  }

  private static StateStore.Recovered reopen(Path dir) {
    try (FileStateStore s = open(dir)) {
      return s.recover();
    }
  }

  @Test
  void entriesRoundTripExactlyThroughCloseAndReopen() {
    Path dir = tmp.resolve("state");
    StoreFixtures.History h = new StoreFixtures.History();
    Map<String, String> unusual = new LinkedHashMap<>();
    unusual.put("config/MDaemon.ini/Réseau/Nom", "Zürich – 東京 – \uD83D\uDCE8");
    unusual.put("config/MDaemon.ini/Odd/LoneSurrogate", "a\uD800b\uDC00c");
    unusual.put("config/MDaemon.ini/Odd/Empty", "");
    unusual.put("config/MDaemon.ini/Odd/Controls", "line1\r\nline2\t\0end");
    h.put(Revision.of(1, 1), unusual);
    Map<String, String> many = new TreeMap<>();
    for (int i = 0; i < 2_000; i++) {
      many.put("setting/bulk/key" + i, "value " + i);
    }
    h.put(Revision.of(1, 2), many);
    h.put(Revision.of(1, 3), Map.of("cert/mx1/chain", "x".repeat(1 << 20)));
    Map<String, String> removals = new TreeMap<>();
    removals.put("setting/bulk/key7", null);
    removals.put("setting/bulk/key8", "changed");
    h.put(Revision.of(2, 0), removals);
    h.next("config/MDaemon.ini/Odd/Empty", "now set");

    try (FileStateStore s = FileStateStore.builder(dir).segmentBytes(64 << 10).build()) {
      StateStore.Recovered r = s.recover();
      assertEquals(ConfigSnapshot.empty(), r.snapshot());
      assertTrue(r.entries().isEmpty());
      s.append(h.entries.subList(0, 2));
      s.append(h.entries.subList(2, h.entries.size()));
      assertEquals(h.last, s.lastRevision());
    }
    StateStore.Recovered r = reopen(dir);
    assertEquals(h.entries, r.entries());
    assertEquals(List.of(), r.repairs());
    assertEquals(h.snapshot(), r.replay());
    assertEquals(h.state, new TreeMap<>(r.replay().asMap()));
  }

  @Test
  void appendRefusesRevisionsThatDoNotIncrease() {
    StoreFixtures.History h = history(3);
    try (FileStateStore s = open(tmp)) {
      assertThrows(IllegalStateException.class, () -> s.append(h.entries));
      s.recover();
      s.append(h.entries.subList(0, 2));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> s.append(h.entries.subList(1, 3)));
      assertTrue(e.getMessage().contains("0:2"), e.getMessage());
      assertEquals(Revision.of(0, 2), s.lastRevision());
      s.append(h.entries.subList(2, 3));
    }
    assertEquals(h.entries, reopen(tmp).entries());
  }

  /** Writes 6 entries, the last one alone, and returns where the last record starts. */
  private long writeTemplate(Path dir, StoreFixtures.History h) throws IOException {
    try (FileStateStore s = open(dir)) {
      s.recover();
      s.append(h.entries.subList(0, 5));
      long before = Files.size(segments(dir).get(0));
      s.append(h.entries.subList(5, 6));
      return before;
    }
  }

  @Test
  void tornTailAtEveryByteOfTheLastRecordKeepsEveryEarlierEntry() throws IOException {
    StoreFixtures.History h = history(6);
    Path template = tmp.resolve("template");
    long start = writeTemplate(template, h);
    long end = Files.size(segments(template).get(0));
    for (long cut = start; cut < end; cut++) {
      Path dir = copy(template, tmp.resolve("cut" + cut));
      Path seg = segments(dir).get(0);
      try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
        ch.truncate(cut);
      }
      try (FileStateStore s = open(dir)) {
        StateStore.Recovered r = s.recover();
        assertEquals(h.entries.subList(0, 5), r.entries(), "cut at " + cut);
        if (cut == start) {
          assertEquals(List.of(), r.repairs());
        } else {
          assertEquals(1, r.repairs().size(), "cut at " + cut);
          String note = r.repairs().get(0);
          assertTrue(note.contains("at byte " + start), note);
          assertTrue(note.contains((cut - start) + " bytes discarded"), note);
        }
        assertEquals(start, Files.size(seg));
        s.append(h.entries.subList(5, 6));
      }
      StateStore.Recovered again = reopen(dir);
      assertEquals(h.entries, again.entries(), "cut at " + cut);
      assertEquals(List.of(), again.repairs());
    }
  }

  @Test
  void aFlippedByteAnywhereInTheLastRecordDropsOnlyThatRecord() throws IOException {
    StoreFixtures.History h = history(6);
    Path template = tmp.resolve("template");
    long start = writeTemplate(template, h);
    long end = Files.size(segments(template).get(0));
    for (long at = start; at < end; at++) {
      Path dir = copy(template, tmp.resolve("flip" + at));
      flipByte(segments(dir).get(0), at);
      StateStore.Recovered r = reopen(dir);
      assertEquals(h.entries.subList(0, 5), r.entries(), "flip at " + at);
      assertEquals(1, r.repairs().size());
      String note = r.repairs().get(0);
      String part = at < start + 4 ? "length" : at < start + 8 ? "CRC" : "payload";
      assertTrue(note.contains("at byte " + start), part + ": " + note);
    }
  }

  @Test
  void garbageAfterTheLastRecordIsDropped() throws IOException {
    StoreFixtures.History h = history(6);
    long start = writeTemplate(tmp, h);
    Path seg = segments(tmp).get(0);
    long end = Files.size(seg);
    Files.write(seg, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, StandardOpenOption.APPEND);
    StateStore.Recovered r = reopen(tmp);
    assertEquals(h.entries, r.entries());
    assertEquals(1, r.repairs().size());
    assertTrue(r.repairs().get(0).contains("at byte " + end), r.repairs().get(0));
    assertTrue(r.repairs().get(0).contains("11 bytes discarded"), r.repairs().get(0));
    assertTrue(end > start);
    assertEquals(end, Files.size(seg));
  }

  @Test
  void aCorruptRecordInAnOlderSegmentDropsEverythingAfterIt() throws IOException {
    StoreFixtures.History h = history(30);
    try (FileStateStore s = FileStateStore.builder(tmp).segmentBytes(1000).build()) {
      s.recover();
      for (LogEntry e : h.entries) {
        s.append(List.of(e));
      }
    }
    List<Path> segs = segments(tmp);
    assertTrue(segs.size() >= 3, "segments: " + segs);
    // Damage the second record of the second segment.
    Path victim = segs.get(1);
    byte[] b = Files.readAllBytes(victim);
    int first = Codec.SEGMENT_HEADER_BYTES;
    int second = first + Codec.FRAME_HEADER_BYTES + java.nio.ByteBuffer.wrap(b).getInt(first);
    flipByte(victim, second + 12);
    int keptInFirst;
    try (FileStateStore s = open(tmp)) {
      StateStore.Recovered r = s.recover();
      keptInFirst = r.entries().size();
      assertEquals(h.entries.subList(0, keptInFirst), r.entries());
      assertEquals(1, r.repairs().size());
      String note = r.repairs().get(0);
      assertTrue(note.startsWith(victim.getFileName().toString()), note);
      assertTrue(note.contains("at byte " + second), note);
      assertTrue(note.contains("deleted " + (segs.size() - 2) + " later segment(s)"), note);
      assertEquals(segs.subList(0, 2), segments(tmp));
      // The node carries on from there; the primary resends what was dropped.
      s.append(h.entries.subList(keptInFirst, h.entries.size()));
    }
    StateStore.Recovered r = reopen(tmp);
    assertEquals(h.entries, r.entries());
    assertEquals(List.of(), r.repairs());
  }

  @Test
  void aSegmentWithATornHeaderIsDeleted() throws IOException {
    StoreFixtures.History h = history(8);
    try (FileStateStore s = FileStateStore.builder(tmp).segmentBytes(64).build()) {
      s.recover();
      for (LogEntry e : h.entries) {
        s.append(List.of(e));
      }
    }
    List<Path> segs = segments(tmp);
    assertEquals(8, segs.size());
    try (FileChannel ch = FileChannel.open(segs.get(7), StandardOpenOption.WRITE)) {
      ch.truncate(20);
    }
    StateStore.Recovered r = reopen(tmp);
    assertEquals(h.entries.subList(0, 7), r.entries());
    assertTrue(r.repairs().get(0).contains("header is torn"), r.repairs().toString());
    assertEquals(7, segments(tmp).size());
  }

  @Test
  void snapshotsAreRecoveredWithTheEntriesAfterThem() throws IOException {
    StoreFixtures.History h = history(10);
    ConfigSnapshot mid;
    try (FileStateStore s = open(tmp)) {
      s.recover();
      s.append(h.entries.subList(0, 6));
      mid = replayed(h, 6);
      s.saveSnapshot(mid);
      s.append(h.entries.subList(6, 10));
      assertThrows(
          IllegalArgumentException.class,
          () -> s.saveSnapshot(h.snapshot().atRevision(Revision.of(9, 9))));
    }
    StateStore.Recovered r = reopen(tmp);
    assertEquals(mid, r.snapshot());
    assertEquals(h.entries.subList(6, 10), r.entries());
    assertEquals(h.snapshot(), r.replay());
    assertEquals(1, snapshots(tmp).size());
  }

  @Test
  void aCorruptNewestSnapshotFallsBackToTheOneBefore() throws IOException {
    StoreFixtures.History h = history(10);
    try (FileStateStore s = open(tmp)) {
      s.recover();
      s.append(h.entries.subList(0, 4));
      s.saveSnapshot(replayed(h, 4));
      s.append(h.entries.subList(4, 10));
      s.saveSnapshot(replayed(h, 7));
    }
    List<Path> snaps = snapshots(tmp);
    assertEquals(2, snaps.size());
    flipByte(snaps.get(1), 40);
    try (FileStateStore s = open(tmp)) {
      StateStore.Recovered r = s.recover();
      assertEquals(replayed(h, 4), r.snapshot());
      assertEquals(h.entries.subList(4, 10), r.entries());
      assertTrue(r.repairs().get(0).contains("snapshot is corrupt"), r.repairs().toString());
      assertTrue(
          Files.exists(snaps.get(1).resolveSibling(snaps.get(1).getFileName() + ".corrupt")));
      s.append(List.of(h.next("setting/x/y", "z")));
    }
    assertEquals(h.snapshot(), reopen(tmp).replay());
  }

  @Test
  void anUnreadableSnapshotWithoutTheLogBeforeItIsCorruptData() throws IOException {
    StoreFixtures.History h = history(10);
    try (FileStateStore s =
        FileStateStore.builder(tmp)
            .fsyncPolicy(FsyncPolicy.NONE)
            .segmentBytes(64)
            .retainEntries(2)
            .build()) {
      s.recover();
      for (LogEntry e : h.entries) {
        s.append(List.of(e));
      }
      s.saveSnapshot(h.snapshot());
    }
    for (Path p : snapshots(tmp)) {
      flipByte(p, 30);
    }
    try (FileStateStore s = open(tmp)) {
      ClusterException e = assertThrows(ClusterException.class, s::recover);
      assertEquals(ErrorCode.CORRUPT_DATA, e.code());
      assertTrue(e.getMessage().contains("resync this node from the primary"), e.getMessage());
    }
  }

  private static ConfigSnapshot replayed(StoreFixtures.History h, int n) {
    return new StateStore.Recovered(ConfigSnapshot.empty(), h.entries.subList(0, n), List.of())
        .replay();
  }

  @Test
  void retentionTrimsCoveredSegmentsAndEntriesAfterKnowsWhatIsGone() throws IOException {
    StoreFixtures.History h = history(40);
    try (FileStateStore s =
        FileStateStore.builder(tmp)
            .fsyncPolicy(FsyncPolicy.NONE)
            .segmentBytes(400)
            .retainEntries(10)
            .build()) {
      s.recover();
      assertEquals(Optional.of(List.of()), s.entriesAfter(Revision.INITIAL));
      assertEquals(Optional.of(List.of()), s.entriesAfter(Revision.of(5, 5)));
      for (LogEntry e : h.entries) {
        s.append(List.of(e));
      }
      assertEquals(Optional.of(h.entries), s.entriesAfter(Revision.INITIAL));
      assertEquals(Optional.of(h.entries.subList(17, 40)), s.entriesAfter(Revision.of(0, 17)));
      int before = segments(tmp).size();
      s.saveSnapshot(replayed(h, 30));
      List<Path> after = segments(tmp);
      assertTrue(after.size() < before, before + " -> " + after);

      // The oldest kept segment starts after P: every revision from P on is answerable, none
      // before it.
      Revision firstKept = parseFirst(after.get(0));
      int firstIndex = Math.toIntExact(firstKept.sequence()) - 1;
      Revision p = h.entries.get(firstIndex - 1).revision();
      assertEquals(Optional.of(h.entries.subList(firstIndex, 40)), s.entriesAfter(p));
      Revision beforeP = h.entries.get(firstIndex - 2).revision();
      assertEquals(Optional.empty(), s.entriesAfter(beforeP));
      assertEquals(Optional.empty(), s.entriesAfter(Revision.INITIAL));
      assertEquals(Optional.of(List.of()), s.entriesAfter(h.last));
      assertEquals(
          Optional.of(h.entries.subList(39, 40)), s.entriesAfter(h.entries.get(38).revision()));
      // Segments holding entries after the snapshot are never trimmed.
      assertTrue(firstKept.sequence() <= 31, "first kept " + firstKept);
    }
    StateStore.Recovered r = reopen(tmp);
    assertEquals(replayed(h, 30), r.snapshot());
    assertEquals(h.entries.subList(30, 40), r.entries());
    assertEquals(h.snapshot(), r.replay());
  }

  private static Revision parseFirst(Path segment) {
    long[] n =
        Segment.parseName(segment.getFileName().toString(), Segment.PREFIX, Segment.SUFFIX)
            .orElseThrow();
    return Revision.of(n[1], n[2]);
  }

  @Test
  void entriesAfterAnEpochChangeUsesTheSegmentsPreviousRevision() {
    StoreFixtures.History h = new StoreFixtures.History();
    h.put(Revision.of(1, 1), Map.of("a", "1"));
    h.put(Revision.of(1, 2), Map.of("a", "2"));
    h.put(Revision.of(3, 0), Map.of("a", "3"));
    h.put(Revision.of(3, 1), Map.of("a", "4"));
    try (FileStateStore s = open(tmp)) {
      s.recover();
      s.append(h.entries);
      assertEquals(Optional.of(h.entries.subList(2, 4)), s.entriesAfter(Revision.of(1, 2)));
      assertEquals(Optional.of(h.entries.subList(2, 4)), s.entriesAfter(Revision.of(2, 7)));
      assertEquals(Optional.of(h.entries.subList(3, 4)), s.entriesAfter(Revision.of(3, 0)));
    }
  }

  @Test
  void resetToReplacesTheStateAndTheLog() throws IOException {
    StoreFixtures.History h = history(10);
    ConfigSnapshot other =
        ConfigSnapshot.of(Map.of("config/MDaemon.ini/Primary/Name", "mx9"), Revision.of(0, 4));
    try (FileStateStore s = open(tmp)) {
      s.recover();
      s.append(h.entries);
      s.saveSnapshot(replayed(h, 5));
      s.resetTo(other);
      assertEquals(Revision.of(0, 4), s.lastRevision());
      assertEquals(Optional.of(List.of()), s.entriesAfter(Revision.of(0, 4)));
      assertEquals(Optional.empty(), s.entriesAfter(Revision.of(0, 3)));
      assertEquals(List.of(), segments(tmp));
      assertEquals(1, snapshots(tmp).size());
    }
    StoreFixtures.History after = new StoreFixtures.History();
    after.state.putAll(other.asMap());
    after.last = other.revision();
    try (FileStateStore s = open(tmp)) {
      StateStore.Recovered r = s.recover();
      assertEquals(other, r.snapshot());
      assertEquals(List.of(), r.entries());
      s.append(List.of(after.next("a", "b")));
    }
    StateStore.Recovered r = reopen(tmp);
    assertEquals(after.snapshot(), r.replay());
    assertEquals(List.of(), r.repairs());
  }

  @Test
  void aResetInterruptedAfterItsSnapshotStillWins() throws IOException {
    StoreFixtures.History h = history(10);
    ConfigSnapshot other =
        ConfigSnapshot.of(Map.of("config/MDaemon.ini/Primary/Name", "mx9"), Revision.of(0, 7));
    try (FileStateStore s = open(tmp)) {
      s.recover();
      s.append(h.entries);
      s.saveSnapshot(replayed(h, 9));
      s.resetToStoppingAfterSnapshotWrite(other);
    }
    assertFalse(segments(tmp).isEmpty());
    assertEquals(2, snapshots(tmp).size());
    try (FileStateStore s = open(tmp)) {
      StateStore.Recovered r = s.recover();
      assertEquals(other, r.snapshot());
      assertEquals(other, r.replay());
      assertEquals(List.of(), r.entries());
      assertTrue(r.repairs().get(0).contains("reset"), r.repairs().toString());
      assertEquals(List.of(), segments(tmp));
      assertEquals(Revision.of(0, 7), s.lastRevision());
      s.saveSnapshot(other);
    }
    assertEquals(other, reopen(tmp).replay());
  }

  @Test
  void leftoversOfAnInterruptedSnapshotWriteAreIgnoredAndDeleted() throws IOException {
    StoreFixtures.History h = history(5);
    try (FileStateStore s = open(tmp)) {
      s.recover();
      s.append(h.entries);
    }
    Path stray = tmp.resolve(Segment.snapshotFileName(0, h.last) + AtomicFiles.TEMP_SUFFIX);
    Files.write(stray, new byte[] {'M', 'C', 'S'});
    StateStore.Recovered r = reopen(tmp);
    assertFalse(Files.exists(stray));
    assertEquals(h.entries, r.entries());
    assertEquals(ConfigSnapshot.empty(), r.snapshot());
    assertEquals(1, r.repairs().size());
    assertTrue(r.repairs().get(0).contains("interrupted"), r.repairs().get(0));
  }

  @Test
  void metadataRoundTripsAndIsReplacedWhole() throws IOException {
    try (FileStateStore s = open(tmp)) {
      assertEquals(Optional.empty(), s.readMetadata("epoch.highest"));
      s.writeMetadata("epoch.highest", "3");
      s.writeMetadata("node.id", "mx1 – Zürich");
      s.writeMetadata("epoch.highest", "4");
    }
    try (FileStateStore s = open(tmp)) {
      assertEquals(Optional.of("4"), s.readMetadata("epoch.highest"));
      assertEquals(Optional.of("mx1 – Zürich"), s.readMetadata("node.id"));
    }
    flipByte(tmp.resolve(FileStateStore.METADATA_FILE), 10);
    try (FileStateStore s = open(tmp)) {
      ClusterException e = assertThrows(ClusterException.class, () -> s.readMetadata("node.id"));
      assertEquals(ErrorCode.CORRUPT_DATA, e.code());
    }
  }

  @Test
  void aSecondOpenOfTheSameDirectoryIsRefused() {
    try (FileStateStore s = open(tmp)) {
      ClusterException e = assertThrows(ClusterException.class, () -> open(tmp));
      assertEquals(ErrorCode.STORAGE_FAILURE, e.code());
      assertTrue(e.getMessage().contains("is in use by another process"), e.getMessage());
      s.recover();
    }
    try (FileStateStore s = open(tmp)) {
      s.recover();
    }
  }

  @Test
  void closeIsIdempotentAndAClosedStoreRefusesWork() {
    FileStateStore s = open(tmp);
    s.recover();
    s.close();
    s.close();
    assertThrows(IllegalStateException.class, () -> s.append(history(1).entries));
  }

  @Test
  void builderChecksItsInput() {
    FileStateStore.Builder b = FileStateStore.builder(tmp);
    assertThrows(IllegalArgumentException.class, () -> b.segmentBytes(10));
    assertThrows(IllegalArgumentException.class, () -> b.retainEntries(-1));
    assertThrows(IllegalArgumentException.class, () -> b.retainBytes(-1));
    b.fsyncPolicy(FsyncPolicy.PER_COMMIT);
    IllegalStateException twice =
        assertThrows(IllegalStateException.class, () -> b.fsyncPolicy(FsyncPolicy.NONE));
    assertTrue(twice.getMessage().contains("PER_COMMIT"), twice.getMessage());
  }

  @Test
  void perCommitAndGroupPoliciesStoreTheSameLog() {
    for (FsyncPolicy policy : FsyncPolicy.values()) {
      Path dir = tmp.resolve(policy.name());
      StoreFixtures.History h = history(20);
      try (FileStateStore s =
          FileStateStore.builder(dir).fsyncPolicy(policy).segmentBytes(500).build()) {
        s.recover();
        s.append(h.entries.subList(0, 10));
        for (LogEntry e : h.entries.subList(10, 20)) {
          s.append(List.of(e));
        }
      }
      assertEquals(h.entries, reopen(dir).entries(), policy.name());
    }
  }

  @Test
  void manyAppendsAcrossManySegmentsReadBackInOrder() {
    StoreFixtures.History h = history(500);
    List<LogEntry> read = new ArrayList<>();
    try (FileStateStore s = FileStateStore.builder(tmp).segmentBytes(4096).build()) {
      s.recover();
      for (int i = 0; i < 500; i += 50) {
        s.append(h.entries.subList(i, i + 50));
      }
      read.addAll(s.entriesAfter(Revision.INITIAL).orElseThrow());
    }
    assertEquals(h.entries, read);
    assertEquals(h.snapshot(), reopen(tmp).replay());
  }

  @Test
  void aRecordDamagedAfterRecoveryIsReportedWhenRead() throws IOException {
    StoreFixtures.History h = history(3);
    try (FileStateStore s = open(tmp)) {
      s.recover();
      s.append(h.entries);
      flipByte(segments(tmp).get(0), Codec.SEGMENT_HEADER_BYTES + 20);
      ClusterException e =
          assertThrows(ClusterException.class, () -> s.entriesAfter(Revision.INITIAL));
      assertEquals(ErrorCode.CORRUPT_DATA, e.code());
      assertTrue(e.getMessage().contains("is corrupt at byte 36"), e.getMessage());
    }
  }
}
