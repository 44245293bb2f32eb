package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.screening.ScreeningPolicy;
import org.mailcluster.screening.ScreeningStatus;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.transport.MessageLimits;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.grpc.v1.AcceptedResponse;
import org.mailcluster.transport.grpc.v1.AckRequest;
import org.mailcluster.transport.grpc.v1.AckResponse;
import org.mailcluster.transport.grpc.v1.EpochGrantRequest;
import org.mailcluster.transport.grpc.v1.EpochGrantResponse;
import org.mailcluster.transport.grpc.v1.ForwardRequest;
import org.mailcluster.transport.grpc.v1.ForwardResponse;
import org.mailcluster.transport.grpc.v1.JoinRequest;
import org.mailcluster.transport.grpc.v1.JoinResponse;
import org.mailcluster.transport.grpc.v1.PingRequest;
import org.mailcluster.transport.grpc.v1.PongResponse;
import org.mailcluster.transport.grpc.v1.ProbeReadRequest;
import org.mailcluster.transport.grpc.v1.ProbeReadResponse;
import org.mailcluster.transport.grpc.v1.ResyncRequest;
import org.mailcluster.transport.grpc.v1.SnapshotInstalledRequest;
import org.mailcluster.transport.grpc.v1.StatusReportRequest;
import org.mailcluster.transport.grpc.v1.StatusRequest;
import org.mailcluster.transport.grpc.v1.StatusResponse;
import org.mailcluster.transport.grpc.v1.SubscribeRequest;
import org.mailcluster.transport.grpc.v1.ZoneRequest;
import org.mailcluster.transport.grpc.v1.ZoneResponse;

/**
 * The wire mapping loses nothing (every replication message, request and response survives encode →
 * bytes → decode unchanged), and arbitrary bytes on the wire are either a valid message or refused
 * with a {@link ClusterException} that names the field, never another exception. jqwik prints the
 * seed of any failure.
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
    Arbitrary<Revision> revisions = revisions();
    Arbitrary<Instant> instants = instants();
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
        Combinators.combine(epochs(), revisions, entries.list().ofMinSize(1).ofMaxSize(4))
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

  // ---- requests and responses -------------------------------------------------------------

  @Property(tries = 500)
  void requestsSurviveTheWire(@ForAll("requests") Request request) throws Exception {
    assertEquals(request, throughTheWire(request));
  }

  @Property(tries = 500)
  void responsesSurviveTheWire(@ForAll("responses") Response response) throws Exception {
    assertEquals(response, throughTheWire(response));
  }

  @Property(tries = 2000)
  void arbitraryRequestBytesAreRefusedCleanlyOrDecoded(
      @ForAll("requestParsers") RequestParser parser, @ForAll byte[] noise) {
    Message parsed;
    try {
      parsed = parser.parse(noise);
    } catch (InvalidProtocolBufferException e) {
      return; // refused by protobuf itself: the transport answers INVALID_ARGUMENT
    }
    try {
      parser.decode(parsed);
    } catch (ClusterException e) {
      assertEquals(ErrorCode.INVALID_VALUE, e.code());
      assertFalse(e.getMessage().contains("\n"), "more than one line: " + e.getMessage());
      assertTrue(
          e.getMessage().startsWith(parsed.getDescriptorForType().getName()),
          "the refusal should name a field of "
              + parsed.getDescriptorForType().getName()
              + ": "
              + e.getMessage());
    } catch (RuntimeException e) {
      throw new AssertionError("decoding threw " + e + " instead of a ClusterException", e);
    }
  }

  @Example
  void overLimitRecordsAreRefusedWhenBuiltNamingTheField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Request.Forward("echo", "x".repeat(MessageLimits.FORWARD_PAYLOAD + 1), 1));
    assertEquals("Forward.payload: 1048577 characters, at most 1048576", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Request.EpochGrant(NodeId.of("mx2"), Long.MAX_VALUE, false, 1));
    assertTrue(e.getMessage().startsWith("EpochGrant.proposed: "), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Request.ProbeRead(StoragePath.parse("/mnt/mail"), "../passwd", 1));
    assertEquals("ProbeRead.file: '../passwd' is not a plain file name", e.getMessage());
  }

  @Example
  void responsesOverTheirLimitsAreRefusedNamingTheField() {
    ClusterException e =
        assertThrows(
            ClusterException.class,
            () ->
                Wire.decode(
                    org.mailcluster.transport.grpc.v1.ZoneResponse.newBuilder()
                        .setZone("Etc/UTC")
                        .setUtcOffsetSeconds(18 * 3600 + 1)
                        .build()));
    assertTrue(e.getMessage().startsWith("ZoneResponse.utc_offset_seconds: 64801"), e.getMessage());
    e =
        assertThrows(
            ClusterException.class,
            () ->
                Wire.decode(
                    org.mailcluster.transport.grpc.v1.ZoneResponse.newBuilder()
                        .setZone("Mars/Olympus_Mons")
                        .build()));
    assertTrue(e.getMessage().startsWith("ZoneResponse.zone: 'Mars/Olympus_Mons'"), e.getMessage());
    e =
        assertThrows(
            ClusterException.class,
            () ->
                Wire.decode(
                    org.mailcluster.transport.grpc.v1.ProbeReadResponse.newBuilder()
                        .setToken("t".repeat(129))
                        .build()));
    assertEquals("ProbeReadResponse.token: 129 characters, at most 128", e.getMessage());
    e =
        assertThrows(
            ClusterException.class,
            () ->
                Wire.decode(org.mailcluster.transport.grpc.v1.StatusResponse.getDefaultInstance()));
    assertEquals("StatusResponse.role: 0 is not a role", e.getMessage());
    var tooMany = org.mailcluster.transport.grpc.v1.Entries.newBuilder();
    for (int i = 0; i <= MessageLimits.ENTRIES_PER_MESSAGE; i++) {
      tooMany.addEntries(org.mailcluster.transport.grpc.v1.LogEntry.getDefaultInstance());
    }
    e =
        assertThrows(
            ClusterException.class,
            () ->
                Wire.decode(
                    org.mailcluster.transport.grpc.v1.ReplicationMessage.newBuilder()
                        .setEntries(tooMany)
                        .build()));
    assertEquals("Entries.entries: 4097 elements, at most 4096", e.getMessage());
  }

  private static Request throughTheWire(Request r) throws InvalidProtocolBufferException {
    if (r instanceof Request.Join j) {
      return Wire.decode(JoinRequest.parseFrom(Wire.encode(j).toByteArray()));
    } else if (r instanceof Request.Ack a) {
      return Wire.decode(AckRequest.parseFrom(Wire.encode(a).toByteArray()));
    } else if (r instanceof Request.Ping p) {
      return Wire.decode(PingRequest.parseFrom(Wire.encode(p).toByteArray()));
    } else if (r instanceof Request.Forward f) {
      return Wire.decode(ForwardRequest.parseFrom(Wire.encode(f).toByteArray()));
    } else if (r instanceof Request.StatusQuery q) {
      return Wire.decode(StatusRequest.parseFrom(Wire.encode(q).toByteArray()));
    } else if (r instanceof Request.EpochGrant g) {
      return Wire.decode(EpochGrantRequest.parseFrom(Wire.encode(g).toByteArray()));
    } else if (r instanceof Request.Resync s) {
      return Wire.decode(ResyncRequest.parseFrom(Wire.encode(s).toByteArray()));
    } else if (r instanceof Request.SnapshotInstalled i) {
      return Wire.decode(SnapshotInstalledRequest.parseFrom(Wire.encode(i).toByteArray()));
    } else if (r instanceof Request.ZoneQuery z) {
      return Wire.decode(ZoneRequest.parseFrom(Wire.encode(z).toByteArray()));
    } else if (r instanceof Request.ProbeRead p) {
      return Wire.decode(ProbeReadRequest.parseFrom(Wire.encode(p).toByteArray()));
    }
    Request.StatusReport report = (Request.StatusReport) r;
    return Wire.decode(StatusReportRequest.parseFrom(Wire.encode(report).toByteArray()));
  }

  private static Response throughTheWire(Response r) throws InvalidProtocolBufferException {
    if (r instanceof Response.Joined j) {
      return Wire.decode(JoinResponse.parseFrom(Wire.encode(j).toByteArray()));
    } else if (r instanceof Response.Acknowledged a) {
      return Wire.decode(AckResponse.parseFrom(Wire.encode(a).toByteArray()));
    } else if (r instanceof Response.Pong p) {
      return Wire.decode(PongResponse.parseFrom(Wire.encode(p).toByteArray()));
    } else if (r instanceof Response.Forwarded f) {
      return Wire.decode(ForwardResponse.parseFrom(Wire.encode(f).toByteArray()));
    } else if (r instanceof Response.Status s) {
      return Wire.decode(StatusResponse.parseFrom(Wire.encode(s).toByteArray()));
    } else if (r instanceof Response.EpochGranted g) {
      return Wire.decode(EpochGrantResponse.parseFrom(Wire.encode(g).toByteArray()));
    } else if (r instanceof Response.Accepted a) {
      return Wire.decode(AcceptedResponse.parseFrom(Wire.encode(a).toByteArray()));
    } else if (r instanceof Response.Zone z) {
      return Wire.decode(ZoneResponse.parseFrom(Wire.encode(z).toByteArray()));
    }
    Response.ProbeToken token = (Response.ProbeToken) r;
    return Wire.decode(ProbeReadResponse.parseFrom(Wire.encode(token).toByteArray()));
  }

  /** Parses one request message from bytes and decodes it. */
  record RequestParser(String name, Parse parse, Function<Message, Object> decoder) {
    Message parse(byte[] bytes) throws InvalidProtocolBufferException {
      return parse.from(bytes);
    }

    Object decode(Message m) {
      return decoder.apply(m);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  @FunctionalInterface
  interface Parse {
    Message from(byte[] bytes) throws InvalidProtocolBufferException;
  }

  @Provide
  Arbitrary<RequestParser> requestParsers() {
    return Arbitraries.of(
        new RequestParser("JoinRequest", JoinRequest::parseFrom, m -> Wire.decode((JoinRequest) m)),
        new RequestParser("AckRequest", AckRequest::parseFrom, m -> Wire.decode((AckRequest) m)),
        new RequestParser("PingRequest", PingRequest::parseFrom, m -> Wire.decode((PingRequest) m)),
        new RequestParser(
            "ForwardRequest", ForwardRequest::parseFrom, m -> Wire.decode((ForwardRequest) m)),
        new RequestParser(
            "SubscribeRequest",
            SubscribeRequest::parseFrom,
            m -> Wire.decode((SubscribeRequest) m)),
        new RequestParser(
            "StatusRequest", StatusRequest::parseFrom, m -> Wire.decode((StatusRequest) m)),
        new RequestParser(
            "EpochGrantRequest",
            EpochGrantRequest::parseFrom,
            m -> Wire.decode((EpochGrantRequest) m)),
        new RequestParser(
            "ResyncRequest", ResyncRequest::parseFrom, m -> Wire.decode((ResyncRequest) m)),
        new RequestParser(
            "SnapshotInstalledRequest",
            SnapshotInstalledRequest::parseFrom,
            m -> Wire.decode((SnapshotInstalledRequest) m)),
        new RequestParser("ZoneRequest", ZoneRequest::parseFrom, m -> Wire.decode((ZoneRequest) m)),
        new RequestParser(
            "ProbeReadRequest",
            ProbeReadRequest::parseFrom,
            m -> Wire.decode((ProbeReadRequest) m)),
        new RequestParser(
            "StatusReportRequest",
            StatusReportRequest::parseFrom,
            m -> Wire.decode((StatusReportRequest) m)));
  }

  @Provide
  Arbitrary<Request> requests() {
    Arbitrary<NodeId> nodes =
        Arbitraries.strings()
            .withChars("abcxyz0189.-_")
            .ofMinLength(0)
            .ofMaxLength(62)
            .map(s -> NodeId.of("n" + s));
    Arbitrary<String> texts = Arbitraries.strings().ofMaxLength(40); // any chars, incl. NUL
    Arbitrary<Request> join =
        Combinators.combine(
                nodes,
                Arbitraries.of(
                    "10.0.0.11:7400", "[fe80::1]:7401", "MAIL2:7400", "mx2.example.com:9"),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                texts,
                texts,
                epochs())
            .as((n, a, v, p, f, e) -> new Request.Join(n, NodeAddress.parse(a), v, p, f, e));
    Arbitrary<Request> ack =
        Combinators.combine(nodes, epochs(), revisions(), Arbitraries.longs(), Arbitraries.longs())
            .as((n, e, r, hi, lo) -> new Request.Ack(n, e, r, new Fingerprint(hi, lo)));
    Arbitrary<Request> ping = Combinators.combine(instants(), epochs()).as(Request.Ping::new);
    Arbitrary<Request> forward =
        Combinators.combine(
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(30), texts, epochs())
            .as(Request.Forward::new);
    Arbitrary<Request> clusterForward =
        Combinators.combine(
                Arbitraries.of("mailcluster.events", "mailcluster.screening"),
                texts.map(t -> JsonStrings.object("op", t)),
                epochs())
            .as(Request.Forward::new);
    Arbitrary<Request> status = epochs().map(Request.StatusQuery::new);
    Arbitrary<Request> grant =
        Combinators.combine(nodes, epochs(), Arbitraries.of(true, false), epochs())
            .as(Request.EpochGrant::new);
    Arbitrary<Request> resync = Combinators.combine(nodes, epochs()).as(Request.Resync::new);
    Arbitrary<Request> installed =
        Combinators.combine(revisions(), epochs()).as(Request.SnapshotInstalled::new);
    Arbitrary<Request> zone = epochs().map(Request.ZoneQuery::new);
    Arbitrary<Request> probe =
        Combinators.combine(
                Arbitraries.of(
                    "C:\\MDaemon\\Users",
                    "\\\\nas01\\mail",
                    "/mnt/mail/é €",
                    "\\\\?\\UNC\\nas\\share"),
                Arbitraries.strings()
                    .withChars("abcXYZ.-_ é")
                    .ofMinLength(3)
                    .ofMaxLength(MessageLimits.FILE_NAME)
                    .filter(f -> !f.isBlank() && !f.startsWith(".."))
                    .map(f -> "p" + f.substring(1)),
                epochs())
            .as((p, f, e) -> new Request.ProbeRead(StoragePath.parse(p), f, e));
    Arbitrary<Optional<Instant>> maybeInstants = instants().optional();
    Arbitrary<Optional<String>> maybeTexts = texts.optional();
    Arbitrary<CertificateCheck> checks =
        Combinators.combine(
                texts,
                Arbitraries.of(CertificateCheck.Level.class),
                maybeTexts,
                maybeInstants,
                maybeInstants,
                texts.list().ofMaxSize(4),
                maybeTexts,
                texts.list().ofMaxSize(3))
            .as(CertificateCheck::new);
    Arbitrary<ScreeningStatus> screenings =
        Combinators.combine(
                Arbitraries.of(ScreeningPolicy.class),
                Arbitraries.of("primary", "forwarding", "fallback"),
                Arbitraries.integers().greaterOrEqual(0),
                Arbitraries.integers().greaterOrEqual(0),
                Arbitraries.integers().greaterOrEqual(0),
                Arbitraries.longs().greaterOrEqual(0),
                Arbitraries.longs().greaterOrEqual(0),
                maybeInstants)
            .as(ScreeningStatus::new);
    Arbitrary<Request> report =
        Combinators.combine(checks.list().ofMaxSize(4), screenings.optional(), epochs())
            .as(Request.StatusReport::new);
    return Arbitraries.oneOf(
        join,
        ack,
        ping,
        forward,
        clusterForward,
        status,
        grant,
        resync,
        installed,
        zone,
        probe,
        report);
  }

  @Provide
  Arbitrary<Response> responses() {
    Arbitrary<NodeId> nodes =
        Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(63).map(NodeId::of);
    Arbitrary<Response> joined =
        Combinators.combine(nodes, epochs(), revisions()).as(Response.Joined::new);
    Arbitrary<Response> acknowledged = epochs().map(Response.Acknowledged::new);
    Arbitrary<Response> pong =
        Combinators.combine(instants(), instants(), instants(), epochs()).as(Response.Pong::new);
    Arbitrary<Response> forwarded =
        Combinators.combine(Arbitraries.strings().ofMaxLength(60), epochs())
            .as(Response.Forwarded::new);
    Arbitrary<Response> status =
        Combinators.combine(
                Arbitraries.of(Role.class),
                epochs(),
                epochs(),
                revisions(),
                Arbitraries.of(true, false))
            .as(Response.Status::new);
    Arbitrary<Response> granted =
        Combinators.combine(epochs(), revisions(), epochs()).as(Response.EpochGranted::new);
    Arbitrary<Response> accepted = epochs().map(Response.Accepted::new);
    Arbitrary<Response> zone =
        Combinators.combine(
                Arbitraries.of(ZoneId.getAvailableZoneIds().stream().sorted().toList()),
                Arbitraries.integers()
                    .between(-MessageLimits.UTC_OFFSET_SECONDS, MessageLimits.UTC_OFFSET_SECONDS),
                epochs())
            .as((z, o, e) -> new Response.Zone(ZoneId.of(z), ZoneOffset.ofTotalSeconds(o), e));
    Arbitrary<Response> token =
        Combinators.combine(Arbitraries.strings().ofMaxLength(MessageLimits.PROBE_TOKEN), epochs())
            .as(Response.ProbeToken::new);
    return Arbitraries.oneOf(
        joined, acknowledged, pong, forwarded, status, granted, accepted, zone, token);
  }

  private static Arbitrary<Long> epochs() {
    return Arbitraries.longs().between(0, MessageLimits.MAX_EPOCH);
  }

  private static Arbitrary<Revision> revisions() {
    return Combinators.combine(epochs(), Arbitraries.longs().between(0, Long.MAX_VALUE))
        .as(Revision::of);
  }

  private static Arbitrary<Instant> instants() {
    return Arbitraries.longs()
        .between(-62_135_596_800L, 253_402_300_799L)
        .flatMap(
            s ->
                Arbitraries.integers()
                    .between(0, 999_999_999)
                    .map(n -> Instant.ofEpochSecond(s, n)));
  }

  /** A one-member JSON object, with the value escaped as JSON requires. */
  private static final class JsonStrings {
    static String object(String key, String value) {
      StringBuilder b = new StringBuilder("{\"").append(key).append("\":\"");
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == '"' || c == '\\') {
          b.append('\\').append(c);
        } else if (c < 0x20) {
          b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
        } else {
          b.append(c);
        }
      }
      return b.append("\"}").toString();
    }
  }
}
