package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.screening.ScreeningPolicy;
import org.mailcluster.screening.ScreeningStatus;
import org.mailcluster.testing.PropertyRuns;
import org.mailcluster.transport.MessageLimits;
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
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The wire mapping of requests and responses loses nothing (every request and response survives
 * encode → bytes → decode unchanged), and arbitrary bytes sent as a request are either a valid
 * request or refused with a {@link ClusterException} on one line that names the field, never
 * another exception. Fields over their limits are refused naming the field, both when a record is
 * built and when a message is decoded. Each property prints its seed.
 */
class WireRequestProperties {
  private static final String ALPHANUMERIC =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  @Test
  void requestsSurviveTheWire() {
    PropertyRuns.check(
        500,
        theory ->
            theory
                .forAll(requests())
                .checkAssert(request -> assertEquals(request, throughTheWire(request))));
  }

  @Test
  void responsesSurviveTheWire() {
    PropertyRuns.check(
        500,
        theory ->
            theory
                .forAll(responses())
                .checkAssert(response -> assertEquals(response, throughTheWire(response))));
  }

  @Test
  void arbitraryRequestBytesAreRefusedCleanlyOrDecoded() {
    Gen<byte[]> noise =
        Generate.byteArrays(
                integers().between(0, 255),
                Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0))
            .describedAs(Arrays::toString);
    PropertyRuns.check(
        2000,
        theory ->
            theory
                .forAll(requestParsers(), noise)
                .checkAssert(WireRequestProperties::refusedCleanlyOrDecoded));
  }

  private static void refusedCleanlyOrDecoded(RequestParser parser, byte[] noise) {
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

  @Test
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

  @Test
  void responsesOverTheirLimitsAreRefusedNamingTheField() {
    ClusterException e =
        assertThrows(
            ClusterException.class,
            () ->
                Wire.decode(
                    ZoneResponse.newBuilder()
                        .setZone("Etc/UTC")
                        .setUtcOffsetSeconds(18 * 3600 + 1)
                        .build()));
    assertTrue(e.getMessage().startsWith("ZoneResponse.utc_offset_seconds: 64801"), e.getMessage());
    e =
        assertThrows(
            ClusterException.class,
            () -> Wire.decode(ZoneResponse.newBuilder().setZone("Mars/Olympus_Mons").build()));
    assertTrue(e.getMessage().startsWith("ZoneResponse.zone: 'Mars/Olympus_Mons'"), e.getMessage());
    e =
        assertThrows(
            ClusterException.class,
            () -> Wire.decode(ProbeReadResponse.newBuilder().setToken("t".repeat(129)).build()));
    assertEquals("ProbeReadResponse.token: 129 characters, at most 128", e.getMessage());
    e =
        assertThrows(
            ClusterException.class, () -> Wire.decode(StatusResponse.getDefaultInstance()));
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

  private static Request throughTheWire(Request r) {
    try {
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
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("the encoding of " + r + " does not parse", e);
    }
  }

  private static Response throughTheWire(Response r) {
    try {
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
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("the encoding of " + r + " does not parse", e);
    }
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

  /** A message type's {@code parseFrom}. */
  @FunctionalInterface
  interface Parse {
    Message from(byte[] bytes) throws InvalidProtocolBufferException;
  }

  /** Every request message a peer may send, each with its parser and decoder. */
  static Gen<RequestParser> requestParsers() {
    return Generate.pick(
        List.of(
            new RequestParser(
                "JoinRequest", JoinRequest::parseFrom, m -> Wire.decode((JoinRequest) m)),
            new RequestParser(
                "AckRequest", AckRequest::parseFrom, m -> Wire.decode((AckRequest) m)),
            new RequestParser(
                "PingRequest", PingRequest::parseFrom, m -> Wire.decode((PingRequest) m)),
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
            new RequestParser(
                "ZoneRequest", ZoneRequest::parseFrom, m -> Wire.decode((ZoneRequest) m)),
            new RequestParser(
                "ProbeReadRequest",
                ProbeReadRequest::parseFrom,
                m -> Wire.decode((ProbeReadRequest) m)),
            new RequestParser(
                "StatusReportRequest",
                StatusReportRequest::parseFrom,
                m -> Wire.decode((StatusReportRequest) m))));
  }

  /** Every kind of request, with any content its limits allow. */
  static Gen<Request> requests() {
    Gen<NodeId> nodes = PropertyRuns.strings("abcxyz0189.-_", 0, 62).map(s -> NodeId.of("n" + s));
    // Any text, NUL included; no unpaired surrogates, which a protobuf string cannot carry.
    Gen<String> texts = PropertyRuns.textStrings(0, 40);
    Gen<String> addresses =
        Generate.pick(
            List.of("10.0.0.11:7400", "[fe80::1]:7401", "MAIL2:7400", "mx2.example.com:9"));
    Gen<Integer> versions = integers().between(0, Integer.MAX_VALUE);
    Gen<Request> join =
        in ->
            new Request.Join(
                nodes.generate(in),
                NodeAddress.parse(addresses.generate(in)),
                versions.generate(in),
                texts.generate(in),
                texts.generate(in),
                epochs().generate(in));
    Gen<Request> ack =
        in -> {
          Revision applied = revisions().generate(in);
          // The files hold what was applied, or lag behind it while their writes are retried.
          Revision written = booleans().all().generate(in) ? applied : Revision.INITIAL;
          return new Request.Ack(
              nodes.generate(in),
              epochs().generate(in),
              applied,
              fingerprints().generate(in),
              written);
        };
    Gen<Request> ping = instants().zip(epochs(), Request.Ping::new);
    Gen<Request> forward =
        PropertyRuns.strings(ALPHANUMERIC.substring(0, 52), 1, 30)
            .zip(texts, epochs(), Request.Forward::new);
    Gen<Request> clusterForward =
        Generate.pick(List.of("mailcluster.events", "mailcluster.screening"))
            .zip(texts.map(t -> jsonObject("op", t)), epochs(), Request.Forward::new);
    Gen<Request> status = epochs().map(Request.StatusQuery::new);
    Gen<Request> grant = nodes.zip(epochs(), booleans().all(), epochs(), Request.EpochGrant::new);
    Gen<Request> resync = nodes.zip(epochs(), Request.Resync::new);
    Gen<Request> installed = revisions().zip(epochs(), Request.SnapshotInstalled::new);
    Gen<Request> zone = epochs().map(Request.ZoneQuery::new);
    Gen<String> paths =
        Generate.pick(
            List.of(
                "C:\\MDaemon\\Users",
                "\\\\nas01\\mail",
                "/mnt/mail/é €",
                "\\\\?\\UNC\\nas\\share"));
    // A plain file name: 'p' and then 2 to 254 characters that never make a separator.
    Gen<String> files =
        PropertyRuns.strings("abcXYZ.-_ é", 2, MessageLimits.FILE_NAME - 1).map(f -> "p" + f);
    Gen<Request> probe =
        paths.zip(files, epochs(), (p, f, e) -> new Request.ProbeRead(StoragePath.parse(p), f, e));
    Gen<Optional<Instant>> maybeInstants = instants().toOptionals(30);
    Gen<Optional<String>> maybeTexts = texts.toOptionals(30);
    Gen<CertificateCheck.Level> levels = Generate.enumValues(CertificateCheck.Level.class);
    Gen<List<String>> hostNames = lists().of(texts).ofSizeBetween(0, 4);
    Gen<List<String>> problems = lists().of(texts).ofSizeBetween(0, 3);
    Gen<CertificateCheck> checks =
        in ->
            new CertificateCheck(
                texts.generate(in),
                levels.generate(in),
                maybeTexts.generate(in),
                maybeInstants.generate(in),
                maybeInstants.generate(in),
                hostNames.generate(in),
                maybeTexts.generate(in),
                problems.generate(in));
    Gen<ScreeningPolicy> policies = Generate.enumValues(ScreeningPolicy.class);
    Gen<String> modes = Generate.pick(List.of("primary", "forwarding", "fallback"));
    Gen<Integer> counts = integers().between(0, Integer.MAX_VALUE);
    Gen<Long> totals = longs().between(0, Long.MAX_VALUE);
    Gen<ScreeningStatus> screenings =
        in ->
            new ScreeningStatus(
                policies.generate(in),
                modes.generate(in),
                counts.generate(in),
                counts.generate(in),
                counts.generate(in),
                totals.generate(in),
                totals.generate(in),
                maybeInstants.generate(in));
    Gen<Request> report =
        lists()
            .of(checks)
            .ofSizeBetween(0, 4)
            .zip(screenings.toOptionals(30), epochs(), Request.StatusReport::new);
    return Generate.oneOf(
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

  /** Every kind of response, with any content its limits allow. */
  static Gen<Response> responses() {
    Gen<NodeId> nodes = PropertyRuns.strings(ALPHANUMERIC, 1, 63).map(NodeId::of);
    Gen<Response> joined = nodes.zip(epochs(), revisions(), Response.Joined::new);
    Gen<Response> acknowledged = epochs().map(Response.Acknowledged::new);
    Gen<Response> pong = instants().zip(instants(), instants(), epochs(), Response.Pong::new);
    Gen<Response> forwarded =
        PropertyRuns.textStrings(0, 60).zip(epochs(), Response.Forwarded::new);
    Gen<Response> status =
        Generate.enumValues(Role.class)
            .zip(epochs(), epochs(), revisions(), booleans().all(), Response.Status::new);
    Gen<Response> granted = epochs().zip(revisions(), epochs(), Response.EpochGranted::new);
    Gen<Response> accepted = epochs().map(Response.Accepted::new);
    Gen<Response> zone =
        Generate.pick(ZoneId.getAvailableZoneIds().stream().sorted().toList())
            .zip(
                integers()
                    .between(-MessageLimits.UTC_OFFSET_SECONDS, MessageLimits.UTC_OFFSET_SECONDS),
                epochs(),
                (z, o, e) -> new Response.Zone(ZoneId.of(z), ZoneOffset.ofTotalSeconds(o), e));
    Gen<Response> token =
        PropertyRuns.textStrings(0, MessageLimits.PROBE_TOKEN)
            .zip(epochs(), Response.ProbeToken::new);
    return Generate.oneOf(
        joined, acknowledged, pong, forwarded, status, granted, accepted, zone, token);
  }

  private static Gen<Long> epochs() {
    return longs().between(0, MessageLimits.MAX_EPOCH);
  }

  private static Gen<Revision> revisions() {
    return epochs().zip(longs().between(0, Long.MAX_VALUE), Revision::of);
  }

  private static Gen<Fingerprint> fingerprints() {
    return longs().all().zip(longs().all(), Fingerprint::new);
  }

  private static Gen<Instant> instants() {
    return longs()
        .between(-62_135_596_800L, 253_402_300_799L)
        .zip(integers().between(0, 999_999_999), Instant::ofEpochSecond);
  }

  /** A one-member JSON object, with the value escaped as JSON requires. */
  private static String jsonObject(String key, String value) {
    StringBuilder b = new StringBuilder("{\"").append(key).append("\":\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append("\"}").toString();
  }
}
