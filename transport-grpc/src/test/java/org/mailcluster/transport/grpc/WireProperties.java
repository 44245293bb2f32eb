package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import com.google.protobuf.ByteString;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.testing.PropertyRuns;
import org.mailcluster.transport.MessageLimits;
import org.mailcluster.transport.ReplicationMessage;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The wire mapping loses nothing (every replication message survives encode → bytes → decode
 * unchanged), and arbitrary bytes on the wire are either a valid message or refused with a {@link
 * ClusterException}, never another exception. Each property prints its seed.
 */
class WireProperties {
  @Test
  void replicationMessagesSurviveTheWire() {
    PropertyRuns.check(
        300,
        theory ->
            theory
                .forAll(messages())
                .checkAssert(message -> assertEquals(message, throughTheWire(message))));
  }

  private static ReplicationMessage throughTheWire(ReplicationMessage message) {
    byte[] bytes = Wire.encode(message).toByteArray();
    try {
      return Wire.decode(org.mailcluster.transport.grpc.v1.ReplicationMessage.parseFrom(bytes));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("the encoding of " + message + " does not parse", e);
    }
  }

  @Test
  void arbitraryBytesAreRefusedCleanlyOrDecoded() {
    Gen<byte[]> noise =
        Generate.byteArrays(
                integers().between(0, 255),
                Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0))
            .describedAs(Arrays::toString);
    PropertyRuns.check(
        2000, theory -> theory.forAll(noise).checkAssert(WireProperties::refusedCleanlyOrDecoded));
  }

  private static void refusedCleanlyOrDecoded(byte[] noise) {
    org.mailcluster.transport.grpc.v1.ReplicationMessage parsed;
    try {
      parsed =
          org.mailcluster.transport.grpc.v1.ReplicationMessage.parseFrom(
              ByteString.copyFrom(noise));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return; // refused by protobuf itself: the receiver ends the stream with CORRUPT_DATA
    }
    try {
      Wire.decode(parsed);
    } catch (ClusterException e) {
      assertEquals(ErrorCode.INVALID_VALUE, e.code());
    } catch (RuntimeException e) {
      throw new AssertionError("decoding threw " + e + " instead of a ClusterException", e);
    }
  }

  @Test
  void anEntryWithoutChangesIsRefusedAsInvalid() {
    var wire =
        org.mailcluster.transport.grpc.v1.ReplicationMessage.newBuilder()
            .setEntries(
                org.mailcluster.transport.grpc.v1.Entries.newBuilder()
                    .addEntries(org.mailcluster.transport.grpc.v1.LogEntry.newBuilder()))
            .build();
    ClusterException e = assertThrows(ClusterException.class, () -> Wire.decode(wire));
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
  }

  @Test
  void countersBeyondLongRangeAreRefused() {
    PropertyRuns.check(
        200,
        theory ->
            theory
                .forAll(longs().between(Long.MIN_VALUE, -1))
                .checkAssert(WireProperties::refusedBeyondLongRange));
  }

  private static void refusedBeyondLongRange(long unsigned) {
    var wire =
        org.mailcluster.transport.grpc.v1.ReplicationMessage.newBuilder()
            .setHeartbeat(
                org.mailcluster.transport.grpc.v1.Heartbeat.newBuilder().setEpoch(unsigned))
            .build();
    ClusterException e = assertThrows(ClusterException.class, () -> Wire.decode(wire));
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
  }

  /** The three kinds of replication message, with any content the wire can carry. */
  static Gen<ReplicationMessage> messages() {
    Gen<String> keys = PropertyRuns.strings("abcXYZ/[]é€ ", 1, 12);
    // Any text, NUL included; no unpaired surrogates, which a protobuf string cannot carry.
    Gen<String> values = PropertyRuns.textStrings(0, 40);
    Gen<Long> epochs = longs().between(0, MessageLimits.MAX_EPOCH);
    Gen<Revision> revisions = epochs.zip(longs().between(0, Long.MAX_VALUE), Revision::of);
    Gen<Instant> instants =
        longs()
            .between(-62_135_596_800L, 253_402_300_799L)
            .zip(integers().between(0, 999_999_999), Instant::ofEpochSecond);
    Gen<ConfigDiff.Change> changes =
        keys.zip(values.toOptionals(30), values.toOptionals(30), ChangeParts::new)
            .assuming(
                c ->
                    (c.before().isPresent() || c.after().isPresent())
                        && !c.before().equals(c.after()))
            .map(c -> new ConfigDiff.Change(c.key(), c.before(), c.after()));
    Gen<List<ConfigDiff.Change>> uniqueChanges =
        lists()
            .of(changes)
            .ofSizeBetween(1, 6)
            .map(
                l -> {
                  Map<String, ConfigDiff.Change> byKey = new LinkedHashMap<>();
                  l.forEach(c -> byKey.putIfAbsent(c.key(), c));
                  return List.copyOf(byKey.values());
                });
    Gen<LogEntry> entries =
        revisions.zip(
            instants,
            PropertyRuns.strings("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 1, 20),
            uniqueChanges,
            (r, t, o, c) -> new LogEntry(r, t, o, ConfigDiff.of(c)));
    Gen<ReplicationMessage> entriesMessage =
        epochs.zip(
            revisions,
            lists().of(entries).ofSizeBetween(1, 4),
            (e, p, l) -> new ReplicationMessage.Entries(e, p, new ArrayList<>(l)));
    Gen<ReplicationMessage> chunk =
        revisions.zip(
            longs().all().zip(longs().all(), Fingerprint::new),
            integers().between(0, Integer.MAX_VALUE),
            booleans().all().zip(PropertyRuns.maps(keys, values, 8), ChunkTail::new),
            (r, f, i, tail) ->
                new ReplicationMessage.SnapshotChunk(
                    r.epoch(), r, f, i, tail.last(), new TreeMap<>(tail.content())));
    Gen<ReplicationMessage> heartbeat =
        revisions.zip(instants, (r, t) -> new ReplicationMessage.Heartbeat(r.epoch(), r, t));
    return Generate.oneOf(entriesMessage, chunk, heartbeat);
  }

  /** A change before its checks. */
  private record ChangeParts(String key, Optional<String> before, Optional<String> after) {}

  /** The last two parts of a snapshot chunk. */
  private record ChunkTail(boolean last, TreeMap<String, String> content) {}
}
