package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import java.time.Instant;
import java.util.ArrayList;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.transport.ReplicationMessage;

/**
 * The wire mapping loses nothing (every replication message survives encode → bytes → decode
 * unchanged), and arbitrary bytes on the wire are either a valid message or refused with a {@link
 * ClusterException}, never another exception. jqwik prints the seed of any failure.
 */
class WireProperties {
  @Property(tries = 300)
  void replicationMessagesSurviveTheWire(@ForAll("messages") ReplicationMessage message)
      throws Exception {
    byte[] bytes = Wire.encode(message).toByteArray();
    ReplicationMessage back =
        Wire.decode(org.mailcluster.transport.grpc.v1.ReplicationMessage.parseFrom(bytes));
    assertEquals(message, back);
  }

  @Property(tries = 2000)
  void arbitraryBytesAreRefusedCleanlyOrDecoded(@ForAll byte[] noise) {
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

  @Example
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

  @Property(tries = 200)
  void countersBeyondLongRangeAreRefused(@ForAll("huge") long unsigned) {
    var wire =
        org.mailcluster.transport.grpc.v1.ReplicationMessage.newBuilder()
            .setHeartbeat(
                org.mailcluster.transport.grpc.v1.Heartbeat.newBuilder().setEpoch(unsigned))
            .build();
    ClusterException e = assertThrows(ClusterException.class, () -> Wire.decode(wire));
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
  }

  @Provide
  Arbitrary<Long> huge() {
    return Arbitraries.longs().between(Long.MIN_VALUE, -1);
  }

  @Provide
  Arbitrary<ReplicationMessage> messages() {
    Arbitrary<String> keys =
        Arbitraries.strings().withChars("abcXYZ/[]é€ ").ofMinLength(1).ofMaxLength(12);
    Arbitrary<String> values = Arbitraries.strings().ofMaxLength(40); // any chars, incl. NUL
    Arbitrary<Revision> revisions =
        Combinators.combine(
                Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.longs().between(0, Long.MAX_VALUE))
            .as(Revision::of);
    Arbitrary<Instant> instants =
        Arbitraries.longs()
            .between(-62_135_596_800L, 253_402_300_799L)
            .flatMap(
                s ->
                    Arbitraries.integers()
                        .between(0, 999_999_999)
                        .map(n -> Instant.ofEpochSecond(s, n)));
    Arbitrary<ConfigDiff.Change> changes =
        Combinators.combine(keys, values.optional(), values.optional())
            .filter((k, a, b) -> a.isPresent() || b.isPresent())
            .filter((k, a, b) -> !a.equals(b))
            .as(ConfigDiff.Change::new);
    Arbitrary<LogEntry> entries =
        Combinators.combine(
                revisions,
                instants,
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20),
                changes.list().ofMinSize(1).ofMaxSize(6).uniqueElements(ConfigDiff.Change::key))
            .as((r, t, o, c) -> new LogEntry(r, t, o, ConfigDiff.of(c)));
    Arbitrary<ReplicationMessage> entriesMessage =
        Combinators.combine(
                Arbitraries.longs().between(0, Long.MAX_VALUE),
                revisions,
                entries.list().ofMinSize(1).ofMaxSize(4))
            .as((e, p, l) -> new ReplicationMessage.Entries(e, p, new ArrayList<>(l)));
    Arbitrary<ReplicationMessage> chunk =
        Combinators.combine(
                revisions,
                Arbitraries.longs(),
                Arbitraries.longs(),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.of(true, false),
                Arbitraries.maps(keys, values).ofMaxSize(8))
            .as(
                (r, hi, lo, i, last, m) ->
                    new ReplicationMessage.SnapshotChunk(
                        r.epoch(), r, new Fingerprint(hi, lo), i, last, new TreeMap<>(m)));
    Arbitrary<ReplicationMessage> heartbeat =
        Combinators.combine(revisions, instants)
            .as((r, t) -> new ReplicationMessage.Heartbeat(r.epoch(), r, t));
    return Arbitraries.oneOf(entriesMessage, chunk, heartbeat);
  }
}
