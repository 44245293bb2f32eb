package org.mailcluster.transport.grpc;

import com.google.protobuf.Timestamp;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.internal.io.JsonObjectCheck;
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
import org.mailcluster.transport.Subscribe;
import org.mailcluster.transport.grpc.v1.AcceptedResponse;
import org.mailcluster.transport.grpc.v1.AckRequest;
import org.mailcluster.transport.grpc.v1.AckResponse;
import org.mailcluster.transport.grpc.v1.Change;
import org.mailcluster.transport.grpc.v1.Entries;
import org.mailcluster.transport.grpc.v1.EpochGrantRequest;
import org.mailcluster.transport.grpc.v1.EpochGrantResponse;
import org.mailcluster.transport.grpc.v1.ForwardRequest;
import org.mailcluster.transport.grpc.v1.ForwardResponse;
import org.mailcluster.transport.grpc.v1.Heartbeat;
import org.mailcluster.transport.grpc.v1.JoinRequest;
import org.mailcluster.transport.grpc.v1.JoinResponse;
import org.mailcluster.transport.grpc.v1.KeyValue;
import org.mailcluster.transport.grpc.v1.NodeRole;
import org.mailcluster.transport.grpc.v1.PingRequest;
import org.mailcluster.transport.grpc.v1.PongResponse;
import org.mailcluster.transport.grpc.v1.ProbeReadRequest;
import org.mailcluster.transport.grpc.v1.ProbeReadResponse;
import org.mailcluster.transport.grpc.v1.ResyncRequest;
import org.mailcluster.transport.grpc.v1.SnapshotChunk;
import org.mailcluster.transport.grpc.v1.SnapshotInstalledRequest;
import org.mailcluster.transport.grpc.v1.StateCopyRequest;
import org.mailcluster.transport.grpc.v1.StatePageResponse;
import org.mailcluster.transport.grpc.v1.StatusReportRequest;
import org.mailcluster.transport.grpc.v1.StatusRequest;
import org.mailcluster.transport.grpc.v1.StatusResponse;
import org.mailcluster.transport.grpc.v1.SubscribeRequest;
import org.mailcluster.transport.grpc.v1.ZoneRequest;
import org.mailcluster.transport.grpc.v1.ZoneResponse;

/**
 * Maps the core's transport records to the {@code mailcluster.v1} protobuf messages and back, and
 * {@link ErrorCode}s to gRPC statuses. Decoding checks every field against its {@linkplain
 * MessageLimits limit} and what the protobuf types cannot express (ids, addresses, counters within
 * range, known enum values), and refuses bad input with {@code INVALID_VALUE} and a one-line
 * message that names the field as the proto does, e.g. {@code JoinRequest.node: 70 characters, at
 * most 63}.
 */
final class Wire {
  /** The header with the protocol version the caller speaks. */
  static final Metadata.Key<String> PROTOCOL_HEADER =
      Metadata.Key.of("mailcluster-protocol", Metadata.ASCII_STRING_MARSHALLER);

  /** The trailer with the precise error code of a refusal. */
  static final Metadata.Key<String> ERROR_TRAILER =
      Metadata.Key.of("mailcluster-error", Metadata.ASCII_STRING_MARSHALLER);

  /** The prefix of the cluster's own service names, whose payloads are JSON objects. */
  static final String CLUSTER_SERVICE_PREFIX = "mailcluster.";

  // The earliest and latest instants a google.protobuf.Timestamp may hold.
  private static final long MIN_SECONDS = -62_135_596_800L; // 0001-01-01T00:00:00Z
  private static final long MAX_SECONDS = 253_402_300_799L; // 9999-12-31T23:59:59Z
  // How much of a bad value a refusal quotes.
  private static final int QUOTED = 64;

  private Wire() {}

  // ---- requests and responses -----------------------------------------------------------

  static JoinRequest encode(Request.Join r) {
    return JoinRequest.newBuilder()
        .setNode(r.node().value())
        .setAddress(r.address().toString())
        .setProtocolVersion(r.protocolVersion())
        .setProductVersion(r.productVersion())
        .setLicenceFingerprint(r.licenceFingerprint())
        .setEpoch(r.epoch())
        .setApplied(encode(r.applied()))
        .setGenesis(r.genesis())
        .build();
  }

  static Request.Join decode(JoinRequest r) {
    return checked(
        "JoinRequest",
        () ->
            new Request.Join(
                nodeId("JoinRequest.node", r.getNode()),
                address("JoinRequest.address", r.getAddress()),
                uint32("JoinRequest.protocol_version", r.getProtocolVersion()),
                text(
                    "JoinRequest.product_version",
                    r.getProductVersion(),
                    MessageLimits.PRODUCT_VERSION),
                text(
                    "JoinRequest.licence_fingerprint",
                    r.getLicenceFingerprint(),
                    MessageLimits.LICENCE_FINGERPRINT),
                epoch("JoinRequest.epoch", r.getEpoch()),
                r.hasApplied() ? decode("JoinRequest.applied", r.getApplied()) : Revision.INITIAL,
                text("JoinRequest.genesis", r.getGenesis(), MessageLimits.GENESIS)));
  }

  static JoinResponse encode(Response.Joined r) {
    return JoinResponse.newBuilder()
        .setPrimary(r.primary().value())
        .setEpoch(r.epoch())
        .setLatest(encode(r.latest()))
        .setGenesis(r.genesis())
        .build();
  }

  static Response.Joined decode(JoinResponse r) {
    return checked(
        "JoinResponse",
        () ->
            new Response.Joined(
                nodeId("JoinResponse.primary", r.getPrimary()),
                epoch("JoinResponse.epoch", r.getEpoch()),
                decode("JoinResponse.latest", r.getLatest()),
                text("JoinResponse.genesis", r.getGenesis(), MessageLimits.GENESIS)));
  }

  static AckRequest encode(Request.Ack r) {
    return AckRequest.newBuilder()
        .setNode(r.node().value())
        .setEpoch(r.epoch())
        .setApplied(encode(r.applied()))
        .setFingerprint(encode(r.fingerprint()))
        .setWritten(encode(r.written()))
        .build();
  }

  static Request.Ack decode(AckRequest r) {
    return checked(
        "AckRequest",
        () -> {
          Revision applied = decode("AckRequest.applied", r.getApplied());
          // A peer that does not send the field writes no files apart from applying.
          Revision written =
              r.hasWritten() ? decode("AckRequest.written", r.getWritten()) : applied;
          return new Request.Ack(
              nodeId("AckRequest.node", r.getNode()),
              epoch("AckRequest.epoch", r.getEpoch()),
              applied,
              decode(r.getFingerprint()),
              written);
        });
  }

  static AckResponse encode(Response.Acknowledged r) {
    return AckResponse.newBuilder().setEpoch(r.epoch()).build();
  }

  static Response.Acknowledged decode(AckResponse r) {
    return checked(
        "AckResponse", () -> new Response.Acknowledged(epoch("AckResponse.epoch", r.getEpoch())));
  }

  static PingRequest encode(Request.Ping r) {
    return PingRequest.newBuilder()
        .setSentAt(encode(r.sentAt()))
        .setEpoch(r.epoch())
        .setPrimaryClaim(r.primaryClaim())
        .build();
  }

  static Request.Ping decode(PingRequest r) {
    return checked(
        "PingRequest",
        () ->
            new Request.Ping(
                decode("PingRequest.sent_at", r.getSentAt()),
                epoch("PingRequest.epoch", r.getEpoch()),
                r.getPrimaryClaim()));
  }

  static PongResponse encode(Response.Pong r) {
    return PongResponse.newBuilder()
        .setPingSentAt(encode(r.pingSentAt()))
        .setReceivedAt(encode(r.receivedAt()))
        .setSentAt(encode(r.sentAt()))
        .setEpoch(r.epoch())
        .setPrimaryClaim(r.primaryClaim())
        .build();
  }

  static Response.Pong decode(PongResponse r) {
    return checked(
        "PongResponse",
        () ->
            new Response.Pong(
                decode("PongResponse.ping_sent_at", r.getPingSentAt()),
                decode("PongResponse.received_at", r.getReceivedAt()),
                decode("PongResponse.sent_at", r.getSentAt()),
                epoch("PongResponse.epoch", r.getEpoch()),
                r.getPrimaryClaim()));
  }

  static ForwardRequest encode(Request.Forward r) {
    return ForwardRequest.newBuilder()
        .setService(r.service())
        .setPayload(r.payload())
        .setEpoch(r.epoch())
        .build();
  }

  static Request.Forward decode(ForwardRequest r) {
    return checked(
        "ForwardRequest",
        () -> {
          String service = r.getService();
          if (service.isEmpty()) {
            throw invalid("ForwardRequest.service: empty, a service needs a name");
          }
          text("ForwardRequest.service", service, MessageLimits.SERVICE_NAME);
          String payload =
              text("ForwardRequest.payload", r.getPayload(), MessageLimits.FORWARD_PAYLOAD);
          if (service.startsWith(CLUSTER_SERVICE_PREFIX)) {
            jsonObject("ForwardRequest.payload", service, payload);
          }
          return new Request.Forward(service, payload, epoch("ForwardRequest.epoch", r.getEpoch()));
        });
  }

  static ForwardResponse encode(Response.Forwarded r) {
    return ForwardResponse.newBuilder().setPayload(r.payload()).setEpoch(r.epoch()).build();
  }

  static Response.Forwarded decode(ForwardResponse r) {
    return checked(
        "ForwardResponse",
        () ->
            new Response.Forwarded(
                text("ForwardResponse.payload", r.getPayload(), MessageLimits.FORWARD_PAYLOAD),
                epoch("ForwardResponse.epoch", r.getEpoch())));
  }

  static StatusRequest encode(Request.StatusQuery r) {
    return StatusRequest.newBuilder().setEpoch(r.epoch()).build();
  }

  static Request.StatusQuery decode(StatusRequest r) {
    return checked(
        "StatusRequest", () -> new Request.StatusQuery(epoch("StatusRequest.epoch", r.getEpoch())));
  }

  static StatusResponse encode(Response.Status r) {
    StatusResponse.Builder b =
        StatusResponse.newBuilder()
            .setRole(
                r.role() == Role.PRIMARY
                    ? NodeRole.NODE_ROLE_PRIMARY
                    : NodeRole.NODE_ROLE_SECONDARY)
            .setEpoch(r.epoch())
            .setPromised(r.promised())
            .setRevision(encode(r.revision()))
            .setHearsPrimary(r.hearsPrimary());
    r.primary().ifPresent(p -> b.setPrimary(p.value()));
    r.primaryAddress().ifPresent(a -> b.setPrimaryAddress(a.toString()));
    return b.build();
  }

  static Response.Status decode(StatusResponse r) {
    return checked(
        "StatusResponse",
        () -> {
          Role role;
          if (r.getRole() == NodeRole.NODE_ROLE_PRIMARY) {
            role = Role.PRIMARY;
          } else if (r.getRole() == NodeRole.NODE_ROLE_SECONDARY) {
            role = Role.SECONDARY;
          } else {
            throw invalid("StatusResponse.role: " + r.getRoleValue() + " is not a role");
          }
          return new Response.Status(
              role,
              epoch("StatusResponse.epoch", r.getEpoch()),
              epoch("StatusResponse.promised", r.getPromised()),
              decode("StatusResponse.revision", r.getRevision()),
              r.getHearsPrimary(),
              r.hasPrimary()
                  ? Optional.of(nodeId("StatusResponse.primary", r.getPrimary()))
                  : Optional.empty(),
              r.hasPrimaryAddress()
                  ? Optional.of(address("StatusResponse.primary_address", r.getPrimaryAddress()))
                  : Optional.empty());
        });
  }

  static EpochGrantRequest encode(Request.EpochGrant r) {
    return EpochGrantRequest.newBuilder()
        .setCandidate(r.candidate().value())
        .setProposed(r.proposed())
        .setForced(r.forced())
        .setEpoch(r.epoch())
        .build();
  }

  static Request.EpochGrant decode(EpochGrantRequest r) {
    return checked(
        "EpochGrantRequest",
        () ->
            new Request.EpochGrant(
                nodeId("EpochGrantRequest.candidate", r.getCandidate()),
                epoch("EpochGrantRequest.proposed", r.getProposed()),
                r.getForced(),
                epoch("EpochGrantRequest.epoch", r.getEpoch())));
  }

  static EpochGrantResponse encode(Response.EpochGranted r) {
    return EpochGrantResponse.newBuilder()
        .setGranted(r.granted())
        .setRevision(encode(r.revision()))
        .setEpoch(r.epoch())
        .build();
  }

  static Response.EpochGranted decode(EpochGrantResponse r) {
    return checked(
        "EpochGrantResponse",
        () ->
            new Response.EpochGranted(
                epoch("EpochGrantResponse.granted", r.getGranted()),
                decode("EpochGrantResponse.revision", r.getRevision()),
                epoch("EpochGrantResponse.epoch", r.getEpoch())));
  }

  static ResyncRequest encode(Request.Resync r) {
    return ResyncRequest.newBuilder().setTarget(r.target().value()).setEpoch(r.epoch()).build();
  }

  static Request.Resync decode(ResyncRequest r) {
    return checked(
        "ResyncRequest",
        () ->
            new Request.Resync(
                nodeId("ResyncRequest.target", r.getTarget()),
                epoch("ResyncRequest.epoch", r.getEpoch())));
  }

  static SnapshotInstalledRequest encode(Request.SnapshotInstalled r) {
    return SnapshotInstalledRequest.newBuilder()
        .setRevision(encode(r.revision()))
        .setEpoch(r.epoch())
        .build();
  }

  static Request.SnapshotInstalled decode(SnapshotInstalledRequest r) {
    return checked(
        "SnapshotInstalledRequest",
        () ->
            new Request.SnapshotInstalled(
                decode("SnapshotInstalledRequest.revision", r.getRevision()),
                epoch("SnapshotInstalledRequest.epoch", r.getEpoch())));
  }

  static AcceptedResponse encode(Response.Accepted r) {
    return AcceptedResponse.newBuilder().setEpoch(r.epoch()).build();
  }

  static Response.Accepted decode(AcceptedResponse r) {
    return checked(
        "AcceptedResponse",
        () -> new Response.Accepted(epoch("AcceptedResponse.epoch", r.getEpoch())));
  }

  static StateCopyRequest encode(Request.StateCopy r) {
    return StateCopyRequest.newBuilder()
        .setPage(r.page())
        .setAt(encode(r.at()))
        .setEpoch(r.epoch())
        .build();
  }

  static Request.StateCopy decode(StateCopyRequest r) {
    return checked(
        "StateCopyRequest",
        () ->
            new Request.StateCopy(
                uint32("StateCopyRequest.page", r.getPage()),
                decode("StateCopyRequest.at", r.getAt()),
                epoch("StateCopyRequest.epoch", r.getEpoch())));
  }

  static StatePageResponse encode(Response.StatePage r) {
    StatePageResponse.Builder b =
        StatePageResponse.newBuilder()
            .setRevision(encode(r.revision()))
            .setFingerprint(encode(r.fingerprint()))
            .setHistoryBase(encode(r.historyBase()))
            .setPage(r.page())
            .setLast(r.last())
            .setEpoch(r.epoch());
    r.keys().forEach((k, v) -> b.addKeys(KeyValue.newBuilder().setKey(k).setValue(v)));
    r.history().forEach(e -> b.addHistory(encode(e)));
    return b.build();
  }

  static Response.StatePage decode(StatePageResponse r) {
    return checked(
        "StatePageResponse",
        () -> {
          count("StatePageResponse.keys", r.getKeysCount(), MessageLimits.KEYS_PER_CHUNK);
          count(
              "StatePageResponse.history", r.getHistoryCount(), MessageLimits.ENTRIES_PER_MESSAGE);
          TreeMap<String, String> keys = new TreeMap<>();
          for (int i = 0; i < r.getKeysCount(); i++) {
            KeyValue kv = r.getKeys(i);
            String at = "StatePageResponse.keys[" + i + "]";
            String key = text(at + ".key", kv.getKey(), MessageLimits.STATE_TEXT);
            if (keys.put(key, text(at + ".value", kv.getValue(), MessageLimits.STATE_TEXT))
                != null) {
              throw invalid(at + ".key: " + quote(key) + " appears twice in the page");
            }
          }
          List<LogEntry> history = new ArrayList<>(r.getHistoryCount());
          for (int i = 0; i < r.getHistoryCount(); i++) {
            history.add(decode("StatePageResponse.history[" + i + "]", r.getHistory(i)));
          }
          return new Response.StatePage(
              decode("StatePageResponse.revision", r.getRevision()),
              decode(r.getFingerprint()),
              decode("StatePageResponse.history_base", r.getHistoryBase()),
              uint32("StatePageResponse.page", r.getPage()),
              r.getLast(),
              keys,
              history,
              epoch("StatePageResponse.epoch", r.getEpoch()));
        });
  }

  static ZoneRequest encode(Request.ZoneQuery r) {
    return ZoneRequest.newBuilder().setEpoch(r.epoch()).build();
  }

  static Request.ZoneQuery decode(ZoneRequest r) {
    return checked(
        "ZoneRequest", () -> new Request.ZoneQuery(epoch("ZoneRequest.epoch", r.getEpoch())));
  }

  static ZoneResponse encode(Response.Zone r) {
    return ZoneResponse.newBuilder()
        .setZone(r.zone().getId())
        .setUtcOffsetSeconds(r.offset().getTotalSeconds())
        .setEpoch(r.epoch())
        .build();
  }

  static Response.Zone decode(ZoneResponse r) {
    return checked(
        "ZoneResponse",
        () -> {
          String id = text("ZoneResponse.zone", r.getZone(), MessageLimits.ZONE_ID);
          ZoneId zone;
          try {
            zone = ZoneId.of(id);
          } catch (DateTimeException e) {
            throw invalid(
                "ZoneResponse.zone: " + quote(id) + " is not a time zone known here: " + line(e));
          }
          int seconds = r.getUtcOffsetSeconds();
          if (Math.abs(seconds) > MessageLimits.UTC_OFFSET_SECONDS) {
            throw invalid(
                "ZoneResponse.utc_offset_seconds: "
                    + seconds
                    + " is out of range, an offset is -"
                    + MessageLimits.UTC_OFFSET_SECONDS
                    + " to "
                    + MessageLimits.UTC_OFFSET_SECONDS);
          }
          return new Response.Zone(
              zone, ZoneOffset.ofTotalSeconds(seconds), epoch("ZoneResponse.epoch", r.getEpoch()));
        });
  }

  static ProbeReadRequest encode(Request.ProbeRead r) {
    return ProbeReadRequest.newBuilder()
        .setPath(r.path().toString())
        .setFile(r.file())
        .setEpoch(r.epoch())
        .build();
  }

  static Request.ProbeRead decode(ProbeReadRequest r) {
    return checked(
        "ProbeReadRequest",
        () -> {
          String text = text("ProbeReadRequest.path", r.getPath(), MessageLimits.STORAGE_PATH);
          StoragePath path;
          try {
            path = StoragePath.parse(text);
          } catch (IllegalArgumentException e) {
            throw invalid("ProbeReadRequest.path: " + line(e));
          }
          String file = text("ProbeReadRequest.file", r.getFile(), MessageLimits.FILE_NAME);
          long epoch = epoch("ProbeReadRequest.epoch", r.getEpoch());
          try {
            return new Request.ProbeRead(path, file, epoch);
          } catch (IllegalArgumentException e) {
            throw invalid("ProbeReadRequest.file: " + quote(file) + " is not a plain file name");
          }
        });
  }

  static ProbeReadResponse encode(Response.ProbeToken r) {
    return ProbeReadResponse.newBuilder().setToken(r.token()).setEpoch(r.epoch()).build();
  }

  static Response.ProbeToken decode(ProbeReadResponse r) {
    return checked(
        "ProbeReadResponse",
        () ->
            new Response.ProbeToken(
                text("ProbeReadResponse.token", r.getToken(), MessageLimits.PROBE_TOKEN),
                epoch("ProbeReadResponse.epoch", r.getEpoch())));
  }

  static StatusReportRequest encode(Request.StatusReport r) {
    StatusReportRequest.Builder b = StatusReportRequest.newBuilder().setEpoch(r.epoch());
    for (CertificateCheck c : r.certificates()) {
      b.addCertificates(encode(c));
    }
    r.screening().ifPresent(s -> b.setScreening(encode(s)));
    return b.build();
  }

  static Request.StatusReport decode(StatusReportRequest r) {
    return checked(
        "StatusReportRequest",
        () -> {
          count(
              "StatusReportRequest.certificates",
              r.getCertificatesCount(),
              MessageLimits.CERTIFICATES);
          List<CertificateCheck> checks = new ArrayList<>(r.getCertificatesCount());
          for (int i = 0; i < r.getCertificatesCount(); i++) {
            checks.add(decode("StatusReportRequest.certificates[" + i + "]", r.getCertificates(i)));
          }
          Optional<ScreeningStatus> screening =
              r.hasScreening()
                  ? Optional.of(decode("StatusReportRequest.screening", r.getScreening()))
                  : Optional.empty();
          return new Request.StatusReport(
              checks, screening, epoch("StatusReportRequest.epoch", r.getEpoch()));
        });
  }

  private static org.mailcluster.transport.grpc.v1.CertificateCheck encode(CertificateCheck c) {
    var b =
        org.mailcluster.transport.grpc.v1.CertificateCheck.newBuilder()
            .setName(c.name())
            .setLevel(
                switch (c.level()) {
                  case OK -> org.mailcluster.transport.grpc.v1.CertificateCheck.Level.LEVEL_OK;
                  case WARN -> org.mailcluster.transport.grpc.v1.CertificateCheck.Level.LEVEL_WARN;
                  case ERROR ->
                      org.mailcluster.transport.grpc.v1.CertificateCheck.Level.LEVEL_ERROR;
                })
            .addAllHostNames(c.hostNames())
            .addAllProblems(c.problems());
    c.subject().ifPresent(b::setSubject);
    c.notBefore().ifPresent(t -> b.setNotBefore(encode(t)));
    c.notAfter().ifPresent(t -> b.setNotAfter(encode(t)));
    c.file().ifPresent(b::setFile);
    return b.build();
  }

  private static CertificateCheck decode(
      String field, org.mailcluster.transport.grpc.v1.CertificateCheck c) {
    int max = MessageLimits.REPORT_TEXT;
    CertificateCheck.Level level =
        switch (c.getLevel()) {
          case LEVEL_OK -> CertificateCheck.Level.OK;
          case LEVEL_WARN -> CertificateCheck.Level.WARN;
          case LEVEL_ERROR -> CertificateCheck.Level.ERROR;
          default -> throw invalid(field + ".level: " + c.getLevelValue() + " is not a level");
        };
    count(field + ".host_names", c.getHostNamesCount(), MessageLimits.CERTIFICATE_ITEMS);
    for (int i = 0; i < c.getHostNamesCount(); i++) {
      text(field + ".host_names[" + i + "]", c.getHostNames(i), max);
    }
    count(field + ".problems", c.getProblemsCount(), MessageLimits.CERTIFICATE_ITEMS);
    for (int i = 0; i < c.getProblemsCount(); i++) {
      text(field + ".problems[" + i + "]", c.getProblems(i), max);
    }
    return new CertificateCheck(
        text(field + ".name", c.getName(), max),
        level,
        c.hasSubject()
            ? Optional.of(text(field + ".subject", c.getSubject(), max))
            : Optional.empty(),
        c.hasNotBefore()
            ? Optional.of(decode(field + ".not_before", c.getNotBefore()))
            : Optional.empty(),
        c.hasNotAfter()
            ? Optional.of(decode(field + ".not_after", c.getNotAfter()))
            : Optional.empty(),
        c.getHostNamesList(),
        c.hasFile() ? Optional.of(text(field + ".file", c.getFile(), max)) : Optional.empty(),
        c.getProblemsList());
  }

  private static org.mailcluster.transport.grpc.v1.ScreeningStatus encode(ScreeningStatus s) {
    var b =
        org.mailcluster.transport.grpc.v1.ScreeningStatus.newBuilder()
            .setPolicy(
                s.policy() == ScreeningPolicy.REPLAY
                    ? org.mailcluster.transport.grpc.v1.ScreeningStatus.Policy.POLICY_REPLAY
                    : org.mailcluster.transport.grpc.v1.ScreeningStatus.Policy.POLICY_OVERWRITE)
            .setMode(s.mode())
            .setBlocked(s.blocked())
            .setAllowed(s.allowed())
            .setLocalChanges(s.localChanges())
            .setReplayed(s.replayed())
            .setDiscarded(s.discarded());
    s.fallbackSince().ifPresent(t -> b.setFallbackSince(encode(t)));
    return b.build();
  }

  private static ScreeningStatus decode(
      String field, org.mailcluster.transport.grpc.v1.ScreeningStatus s) {
    ScreeningPolicy policy =
        switch (s.getPolicy()) {
          case POLICY_OVERWRITE -> ScreeningPolicy.OVERWRITE;
          case POLICY_REPLAY -> ScreeningPolicy.REPLAY;
          default -> throw invalid(field + ".policy: " + s.getPolicyValue() + " is not a policy");
        };
    return new ScreeningStatus(
        policy,
        text(field + ".mode", s.getMode(), MessageLimits.REPORT_TEXT),
        uint32(field + ".blocked", s.getBlocked()),
        uint32(field + ".allowed", s.getAllowed()),
        uint32(field + ".local_changes", s.getLocalChanges()),
        uint64(field + ".replayed", s.getReplayed()),
        uint64(field + ".discarded", s.getDiscarded()),
        s.hasFallbackSince()
            ? Optional.of(decode(field + ".fallback_since", s.getFallbackSince()))
            : Optional.empty());
  }

  static SubscribeRequest encode(Subscribe r) {
    return SubscribeRequest.newBuilder()
        .setNode(r.node().value())
        .setEpoch(r.epoch())
        .setLastApplied(encode(r.lastApplied()))
        .build();
  }

  static Subscribe decode(SubscribeRequest r) {
    return checked(
        "SubscribeRequest",
        () ->
            new Subscribe(
                nodeId("SubscribeRequest.node", r.getNode()),
                epoch("SubscribeRequest.epoch", r.getEpoch()),
                decode("SubscribeRequest.last_applied", r.getLastApplied())));
  }

  // ---- replication ----------------------------------------------------------------------

  static org.mailcluster.transport.grpc.v1.ReplicationMessage encode(ReplicationMessage m) {
    var out = org.mailcluster.transport.grpc.v1.ReplicationMessage.newBuilder();
    if (m instanceof ReplicationMessage.Entries e) {
      Entries.Builder b =
          Entries.newBuilder().setEpoch(e.epoch()).setPrevious(encode(e.previous()));
      for (LogEntry entry : e.entries()) {
        b.addEntries(encode(entry));
      }
      return out.setEntries(b).build();
    } else if (m instanceof ReplicationMessage.SnapshotChunk c) {
      SnapshotChunk.Builder b =
          SnapshotChunk.newBuilder()
              .setEpoch(c.epoch())
              .setRevision(encode(c.revision()))
              .setFingerprint(encode(c.fingerprint()))
              .setIndex(c.index())
              .setLast(c.last());
      c.entries().forEach((k, v) -> b.addEntries(KeyValue.newBuilder().setKey(k).setValue(v)));
      return out.setSnapshotChunk(b).build();
    }
    ReplicationMessage.Heartbeat h = (ReplicationMessage.Heartbeat) m;
    return out.setHeartbeat(
            Heartbeat.newBuilder()
                .setEpoch(h.epoch())
                .setLatest(encode(h.latest()))
                .setSentAt(encode(h.sentAt())))
        .build();
  }

  static ReplicationMessage decode(org.mailcluster.transport.grpc.v1.ReplicationMessage m) {
    return checked("ReplicationMessage", () -> decodeUnchecked(m));
  }

  private static ReplicationMessage decodeUnchecked(
      org.mailcluster.transport.grpc.v1.ReplicationMessage m) {
    switch (m.getKindCase()) {
      case ENTRIES:
        {
          Entries e = m.getEntries();
          if (e.getEntriesCount() == 0) {
            throw invalid("Entries.entries: empty, an Entries message needs at least one");
          }
          count("Entries.entries", e.getEntriesCount(), MessageLimits.ENTRIES_PER_MESSAGE);
          List<LogEntry> entries = new ArrayList<>(e.getEntriesCount());
          for (int i = 0; i < e.getEntriesCount(); i++) {
            entries.add(decode("Entries.entries[" + i + "]", e.getEntries(i)));
          }
          return new ReplicationMessage.Entries(
              epoch("Entries.epoch", e.getEpoch()),
              decode("Entries.previous", e.getPrevious()),
              entries);
        }
      case SNAPSHOT_CHUNK:
        {
          SnapshotChunk c = m.getSnapshotChunk();
          count("SnapshotChunk.entries", c.getEntriesCount(), MessageLimits.KEYS_PER_CHUNK);
          TreeMap<String, String> entries = new TreeMap<>();
          for (int i = 0; i < c.getEntriesCount(); i++) {
            KeyValue kv = c.getEntries(i);
            String at = "SnapshotChunk.entries[" + i + "]";
            String key = text(at + ".key", kv.getKey(), MessageLimits.STATE_TEXT);
            String value = text(at + ".value", kv.getValue(), MessageLimits.STATE_TEXT);
            if (entries.put(key, value) != null) {
              throw invalid(at + ".key: " + quote(key) + " appears twice in the chunk");
            }
          }
          return new ReplicationMessage.SnapshotChunk(
              epoch("SnapshotChunk.epoch", c.getEpoch()),
              decode("SnapshotChunk.revision", c.getRevision()),
              decode(c.getFingerprint()),
              uint32("SnapshotChunk.index", c.getIndex()),
              c.getLast(),
              entries);
        }
      case HEARTBEAT:
        {
          Heartbeat h = m.getHeartbeat();
          return new ReplicationMessage.Heartbeat(
              epoch("Heartbeat.epoch", h.getEpoch()),
              decode("Heartbeat.latest", h.getLatest()),
              decode("Heartbeat.sent_at", h.getSentAt()));
        }
      default:
        throw invalid("ReplicationMessage.kind: " + m.getKindCase() + " is not a message kind");
    }
  }

  static org.mailcluster.transport.grpc.v1.LogEntry encode(LogEntry e) {
    var b =
        org.mailcluster.transport.grpc.v1.LogEntry.newBuilder()
            .setRevision(encode(e.revision()))
            .setCommittedAt(encode(e.committedAt()))
            .setOrigin(e.origin());
    for (ConfigDiff.Change c : e.diff().changes()) {
      Change.Builder cb = Change.newBuilder().setKey(c.key());
      c.oldValue().ifPresent(cb::setOldValue);
      c.newValue().ifPresent(cb::setNewValue);
      b.addChanges(cb);
    }
    return b.build();
  }

  static LogEntry decode(String field, org.mailcluster.transport.grpc.v1.LogEntry e) {
    int max = MessageLimits.STATE_TEXT;
    count(field + ".changes", e.getChangesCount(), MessageLimits.CHANGES_PER_ENTRY);
    List<ConfigDiff.Change> changes = new ArrayList<>(e.getChangesCount());
    for (int i = 0; i < e.getChangesCount(); i++) {
      Change c = e.getChanges(i);
      String at = field + ".changes[" + i + "]";
      String key = text(at + ".key", c.getKey(), max);
      Optional<String> old =
          c.hasOldValue()
              ? Optional.of(text(at + ".old_value", c.getOldValue(), max))
              : Optional.empty();
      Optional<String> neu =
          c.hasNewValue()
              ? Optional.of(text(at + ".new_value", c.getNewValue(), max))
              : Optional.empty();
      try {
        changes.add(new ConfigDiff.Change(key, old, neu));
      } catch (IllegalArgumentException bad) {
        throw invalid(at + ": " + line(bad));
      }
    }
    Revision revision = decode(field + ".revision", e.getRevision());
    Instant committedAt = decode(field + ".committed_at", e.getCommittedAt());
    String origin = text(field + ".origin", e.getOrigin(), max);
    try {
      return new LogEntry(revision, committedAt, origin, ConfigDiff.of(changes));
    } catch (IllegalArgumentException bad) {
      throw invalid(field + ": " + line(bad));
    }
  }

  // ---- values ---------------------------------------------------------------------------

  static org.mailcluster.transport.grpc.v1.Revision encode(Revision r) {
    return org.mailcluster.transport.grpc.v1.Revision.newBuilder()
        .setEpoch(r.epoch())
        .setSequence(r.sequence())
        .build();
  }

  static Revision decode(String field, org.mailcluster.transport.grpc.v1.Revision r) {
    return Revision.of(
        epoch(field + ".epoch", r.getEpoch()), uint64(field + ".sequence", r.getSequence()));
  }

  static org.mailcluster.transport.grpc.v1.Fingerprint encode(Fingerprint f) {
    return org.mailcluster.transport.grpc.v1.Fingerprint.newBuilder()
        .setHigh(f.high())
        .setLow(f.low())
        .build();
  }

  static Fingerprint decode(org.mailcluster.transport.grpc.v1.Fingerprint f) {
    return new Fingerprint(f.getHigh(), f.getLow());
  }

  static Timestamp encode(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  static Instant decode(String field, Timestamp t) {
    if (t.getSeconds() < MIN_SECONDS
        || t.getSeconds() > MAX_SECONDS
        || t.getNanos() < 0
        || t.getNanos() > 999_999_999) {
      throw invalid(
          field
              + ": "
              + t.getSeconds()
              + " s "
              + t.getNanos()
              + " ns is out of range, a timestamp lies within 0001-01-01 and 9999-12-31");
    }
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  // ---- checks ---------------------------------------------------------------------------

  /** An epoch: an unsigned 64-bit field within 0 to {@link MessageLimits#MAX_EPOCH}. */
  private static long epoch(String field, long unsigned) {
    if (unsigned < 0 || unsigned > MessageLimits.MAX_EPOCH) {
      throw invalid(
          field
              + ": "
              + Long.toUnsignedString(unsigned)
              + " is out of range, an epoch is 0 to "
              + MessageLimits.MAX_EPOCH);
    }
    return unsigned;
  }

  /** A counter in an unsigned 64-bit field: 0 to {@link Long#MAX_VALUE}. */
  private static long uint64(String field, long unsigned) {
    if (unsigned < 0) {
      throw invalid(
          field
              + ": "
              + Long.toUnsignedString(unsigned)
              + " is out of range, at most "
              + Long.MAX_VALUE);
    }
    return unsigned;
  }

  /** A counter in an unsigned 32-bit field: 0 to {@link Integer#MAX_VALUE}. */
  private static int uint32(String field, int unsigned) {
    if (unsigned < 0) {
      throw invalid(
          field
              + ": "
              + Integer.toUnsignedString(unsigned)
              + " is out of range, at most "
              + Integer.MAX_VALUE);
    }
    return unsigned;
  }

  private static String text(String field, String value, int max) {
    if (value.length() > max) {
      throw invalid(field + ": " + value.length() + " characters, at most " + max);
    }
    return value;
  }

  private static void count(String field, int count, int max) {
    if (count > max) {
      throw invalid(field + ": " + count + " elements, at most " + max);
    }
  }

  private static NodeId nodeId(String field, String value) {
    text(field, value, MessageLimits.NODE_ID);
    try {
      return NodeId.of(value);
    } catch (IllegalArgumentException e) {
      throw invalid(
          field
              + ": "
              + quote(value)
              + " is not a node id (1 to 63 letters, digits, '.', '_' or '-', starting with a"
              + " letter or digit)");
    }
  }

  private static NodeAddress address(String field, String value) {
    text(field, value, MessageLimits.ADDRESS);
    try {
      return NodeAddress.parse(value);
    } catch (IllegalArgumentException e) {
      throw invalid(field + ": " + line(e));
    }
  }

  /** Checks that a cluster service's payload is one JSON object. */
  private static void jsonObject(String field, String service, String payload) {
    Optional<JsonObjectCheck.Problem> problem = JsonObjectCheck.problem(payload);
    if (problem.isEmpty()) {
      return;
    }
    switch (problem.get().kind()) {
      case NOT_AN_OBJECT ->
          throw invalid(field + ": " + service + " takes a JSON object, not " + quote(payload));
      case MORE_FOLLOWS ->
          throw invalid(field + ": " + service + " takes one JSON object, and more follows it");
      case NOT_JSON -> {
        // The line and column are kept whole: only the parser's reason is shortened.
        String detail = problem.get().detail();
        int at = detail.lastIndexOf(" at line ");
        String why = at < 0 ? detail : detail.substring(0, at);
        String where = at < 0 ? "" : detail.substring(at);
        throw invalid(
            field
                + ": "
                + service
                + " takes a JSON object, and this is not JSON ("
                + shortened(why)
                + where
                + ")");
      }
    }
  }

  /**
   * Runs a decoding, turning whatever a record refuses into {@code INVALID_VALUE} named after the
   * message.
   */
  static <T> T checked(String message, Supplier<T> decode) {
    try {
      return decode.get();
    } catch (IllegalArgumentException | NullPointerException e) {
      throw invalid(message + ": " + line(e));
    }
  }

  private static ClusterException invalid(String message) {
    return new ClusterException(ErrorCode.INVALID_VALUE, oneLine(message));
  }

  /** A refusal's own message, on one line; never the exception's class name. */
  private static String line(Exception e) {
    return e.getMessage() == null ? "impossible value" : oneLine(e.getMessage());
  }

  /** A value as a refusal quotes it: its start only, control characters escaped. */
  private static String quote(String value) {
    String shown = value.length() > QUOTED ? value.substring(0, QUOTED) + "…" : value;
    return "'" + oneLine(shown) + "'";
  }

  /** A library's explanation, shortened to its first sentence and at most 160 characters. */
  static String shortened(String why) {
    String text = why.strip();
    int sentence = text.indexOf(".  ");
    text = sentence < 0 ? text : text.substring(0, sentence + 1);
    return oneLine(text.length() > 160 ? text.substring(0, 160) + "…" : text);
  }

  private static String oneLine(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  // ---- errors ---------------------------------------------------------------------------

  /** Returns the gRPC status for a refusal, with the precise code in a trailer. */
  static StatusRuntimeException toStatus(ClusterException e) {
    Metadata trailers = new Metadata();
    trailers.put(ERROR_TRAILER, e.code().name());
    return statusCode(e.code()).withDescription(e.getMessage()).asRuntimeException(trailers);
  }

  static Status statusCode(ErrorCode code) {
    switch (code) {
      case UNAUTHENTICATED:
        return Status.UNAUTHENTICATED;
      case PERMISSION_DENIED:
        return Status.PERMISSION_DENIED;
      case INVALID_VALUE:
        return Status.INVALID_ARGUMENT;
      case LIMIT_EXCEEDED:
        return Status.RESOURCE_EXHAUSTED;
      case DUPLICATE_NODE_KEY:
      case DUPLICATE_NODE_ID:
        return Status.ALREADY_EXISTS;
      case UNAVAILABLE:
        return Status.UNAVAILABLE;
      case STORAGE_FAILURE:
        return Status.INTERNAL;
      case CORRUPT_DATA:
        return Status.DATA_LOSS;
      case NOT_PRIMARY:
      case VERSION_MISMATCH:
      case CONSTRAINT_VIOLATION:
      case PROTOCOL_MISMATCH:
      case STALE_EPOCH:
      default:
        return Status.FAILED_PRECONDITION;
    }
  }

  /** Returns the refusal a failed call or stream stands for, as the caller sees it. */
  static ClusterException fromStatus(Throwable t) {
    Status status = Status.fromThrowable(t);
    Metadata trailers = Status.trailersFromThrowable(t);
    String precise = trailers == null ? null : trailers.get(ERROR_TRAILER);
    String description =
        status.getDescription() != null ? status.getDescription() : status.getCode().toString();
    if (precise != null) {
      try {
        return new ClusterException(ErrorCode.valueOf(precise), description, t);
      } catch (IllegalArgumentException unknownToThisVersion) {
        // A newer peer's code; fall back to the status code.
      }
    }
    switch (status.getCode()) {
      case UNAUTHENTICATED:
        return new ClusterException(ErrorCode.UNAUTHENTICATED, description, t);
      case PERMISSION_DENIED:
        return new ClusterException(ErrorCode.PERMISSION_DENIED, description, t);
      case INVALID_ARGUMENT:
        return new ClusterException(ErrorCode.INVALID_VALUE, description, t);
      case DATA_LOSS:
        return new ClusterException(ErrorCode.CORRUPT_DATA, description, t);
      case FAILED_PRECONDITION:
        return new ClusterException(ErrorCode.PROTOCOL_MISMATCH, description, t);
      case DEADLINE_EXCEEDED:
        return new ClusterException(
            ErrorCode.UNAVAILABLE, "no answer before the deadline: " + description, t);
      default:
        return new ClusterException(ErrorCode.UNAVAILABLE, describe(status), t);
    }
  }

  private static String describe(Status status) {
    String text =
        status.getDescription() != null
            ? status.getCode() + ": " + status.getDescription()
            : status.getCode().toString();
    Throwable cause = status.getCause();
    if (cause != null && cause.getMessage() != null) {
      text += " (" + cause.getMessage() + ")";
    }
    return text;
  }
}
