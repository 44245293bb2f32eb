package org.mailcluster.transport.grpc;

import com.google.protobuf.Timestamp;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.Subscribe;
import org.mailcluster.transport.grpc.v1.AckRequest;
import org.mailcluster.transport.grpc.v1.AckResponse;
import org.mailcluster.transport.grpc.v1.Change;
import org.mailcluster.transport.grpc.v1.Entries;
import org.mailcluster.transport.grpc.v1.ForwardRequest;
import org.mailcluster.transport.grpc.v1.ForwardResponse;
import org.mailcluster.transport.grpc.v1.Heartbeat;
import org.mailcluster.transport.grpc.v1.JoinRequest;
import org.mailcluster.transport.grpc.v1.JoinResponse;
import org.mailcluster.transport.grpc.v1.KeyValue;
import org.mailcluster.transport.grpc.v1.PingRequest;
import org.mailcluster.transport.grpc.v1.PongResponse;
import org.mailcluster.transport.grpc.v1.SnapshotChunk;
import org.mailcluster.transport.grpc.v1.SubscribeRequest;

/**
 * Maps the core's transport records to the {@code mailcluster.v1} protobuf messages and back, and
 * {@link ErrorCode}s to gRPC statuses. Decoding checks what the protobuf types cannot express (ids,
 * addresses, counters within range) and refuses bad input with {@code INVALID_VALUE}.
 */
final class Wire {
  /** The header with the protocol version the caller speaks. */
  static final Metadata.Key<String> PROTOCOL_HEADER =
      Metadata.Key.of("mailcluster-protocol", Metadata.ASCII_STRING_MARSHALLER);

  /** The trailer with the precise error code of a refusal. */
  static final Metadata.Key<String> ERROR_TRAILER =
      Metadata.Key.of("mailcluster-error", Metadata.ASCII_STRING_MARSHALLER);

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
        .build();
  }

  static Request.Join decode(JoinRequest r) {
    return new Request.Join(
        nodeId(r.getNode()),
        address(r.getAddress()),
        r.getProtocolVersion(),
        r.getProductVersion(),
        r.getLicenceFingerprint(),
        counter("epoch", r.getEpoch()));
  }

  static JoinResponse encode(Response.Joined r) {
    return JoinResponse.newBuilder()
        .setPrimary(r.primary().value())
        .setEpoch(r.epoch())
        .setLatest(encode(r.latest()))
        .build();
  }

  static Response.Joined decode(JoinResponse r) {
    return new Response.Joined(
        nodeId(r.getPrimary()), counter("epoch", r.getEpoch()), decode(r.getLatest()));
  }

  static AckRequest encode(Request.Ack r) {
    return AckRequest.newBuilder()
        .setNode(r.node().value())
        .setEpoch(r.epoch())
        .setApplied(encode(r.applied()))
        .setFingerprint(encode(r.fingerprint()))
        .build();
  }

  static Request.Ack decode(AckRequest r) {
    return new Request.Ack(
        nodeId(r.getNode()),
        counter("epoch", r.getEpoch()),
        decode(r.getApplied()),
        decode(r.getFingerprint()));
  }

  static AckResponse encode(Response.Acknowledged r) {
    return AckResponse.newBuilder().setEpoch(r.epoch()).build();
  }

  static Response.Acknowledged decode(AckResponse r) {
    return new Response.Acknowledged(counter("epoch", r.getEpoch()));
  }

  static PingRequest encode(Request.Ping r) {
    return PingRequest.newBuilder().setSentAt(encode(r.sentAt())).setEpoch(r.epoch()).build();
  }

  static Request.Ping decode(PingRequest r) {
    return new Request.Ping(decode(r.getSentAt()), counter("epoch", r.getEpoch()));
  }

  static PongResponse encode(Response.Pong r) {
    return PongResponse.newBuilder()
        .setPingSentAt(encode(r.pingSentAt()))
        .setReceivedAt(encode(r.receivedAt()))
        .setSentAt(encode(r.sentAt()))
        .setEpoch(r.epoch())
        .build();
  }

  static Response.Pong decode(PongResponse r) {
    return new Response.Pong(
        decode(r.getPingSentAt()),
        decode(r.getReceivedAt()),
        decode(r.getSentAt()),
        counter("epoch", r.getEpoch()));
  }

  static ForwardRequest encode(Request.Forward r) {
    return ForwardRequest.newBuilder()
        .setService(r.service())
        .setPayload(r.payload())
        .setEpoch(r.epoch())
        .build();
  }

  static Request.Forward decode(ForwardRequest r) {
    return new Request.Forward(r.getService(), r.getPayload(), counter("epoch", r.getEpoch()));
  }

  static ForwardResponse encode(Response.Forwarded r) {
    return ForwardResponse.newBuilder().setPayload(r.payload()).setEpoch(r.epoch()).build();
  }

  static Response.Forwarded decode(ForwardResponse r) {
    return new Response.Forwarded(r.getPayload(), counter("epoch", r.getEpoch()));
  }

  static SubscribeRequest encode(Subscribe r) {
    return SubscribeRequest.newBuilder()
        .setNode(r.node().value())
        .setEpoch(r.epoch())
        .setLastApplied(encode(r.lastApplied()))
        .build();
  }

  static Subscribe decode(SubscribeRequest r) {
    return new Subscribe(
        nodeId(r.getNode()), counter("epoch", r.getEpoch()), decode(r.getLastApplied()));
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
    try {
      return decodeUnchecked(m);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw invalid("an impossible replication message (" + e.getMessage() + ")");
    }
  }

  private static ReplicationMessage decodeUnchecked(
      org.mailcluster.transport.grpc.v1.ReplicationMessage m) {
    switch (m.getKindCase()) {
      case ENTRIES:
        {
          Entries e = m.getEntries();
          List<LogEntry> entries = new ArrayList<>(e.getEntriesCount());
          for (org.mailcluster.transport.grpc.v1.LogEntry entry : e.getEntriesList()) {
            entries.add(decode(entry));
          }
          return new ReplicationMessage.Entries(
              counter("epoch", e.getEpoch()), decode(e.getPrevious()), entries);
        }
      case SNAPSHOT_CHUNK:
        {
          SnapshotChunk c = m.getSnapshotChunk();
          TreeMap<String, String> entries = new TreeMap<>();
          for (KeyValue kv : c.getEntriesList()) {
            if (entries.put(kv.getKey(), kv.getValue()) != null) {
              throw invalid("a snapshot chunk repeats the key " + kv.getKey());
            }
          }
          if (c.getIndex() < 0) {
            throw invalid("a snapshot chunk's index is out of range: " + c.getIndex());
          }
          return new ReplicationMessage.SnapshotChunk(
              counter("epoch", c.getEpoch()),
              decode(c.getRevision()),
              decode(c.getFingerprint()),
              c.getIndex(),
              c.getLast(),
              entries);
        }
      case HEARTBEAT:
        {
          Heartbeat h = m.getHeartbeat();
          return new ReplicationMessage.Heartbeat(
              counter("epoch", h.getEpoch()), decode(h.getLatest()), decode(h.getSentAt()));
        }
      default:
        throw invalid("a replication message of an unknown kind: " + m.getKindCase());
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

  static LogEntry decode(org.mailcluster.transport.grpc.v1.LogEntry e) {
    List<ConfigDiff.Change> changes = new ArrayList<>(e.getChangesCount());
    for (Change c : e.getChangesList()) {
      changes.add(
          new ConfigDiff.Change(
              c.getKey(),
              c.hasOldValue() ? Optional.of(c.getOldValue()) : Optional.empty(),
              c.hasNewValue() ? Optional.of(c.getNewValue()) : Optional.empty()));
    }
    return new LogEntry(
        decode(e.getRevision()), decode(e.getCommittedAt()), e.getOrigin(), ConfigDiff.of(changes));
  }

  // ---- values ---------------------------------------------------------------------------

  static org.mailcluster.transport.grpc.v1.Revision encode(Revision r) {
    return org.mailcluster.transport.grpc.v1.Revision.newBuilder()
        .setEpoch(r.epoch())
        .setSequence(r.sequence())
        .build();
  }

  static Revision decode(org.mailcluster.transport.grpc.v1.Revision r) {
    return Revision.of(counter("epoch", r.getEpoch()), counter("sequence", r.getSequence()));
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

  static Instant decode(Timestamp t) {
    try {
      return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    } catch (RuntimeException e) {
      throw invalid("a timestamp out of range: " + t.getSeconds() + "s " + t.getNanos() + "ns");
    }
  }

  private static long counter(String what, long value) {
    if (value < 0) {
      throw invalid("the " + what + " " + Long.toUnsignedString(value) + " is out of range");
    }
    return value;
  }

  private static NodeId nodeId(String value) {
    try {
      return NodeId.of(value);
    } catch (IllegalArgumentException e) {
      throw invalid("a bad node id: " + e.getMessage());
    }
  }

  private static NodeAddress address(String value) {
    try {
      return NodeAddress.parse(value);
    } catch (IllegalArgumentException e) {
      throw invalid("a bad node address: " + e.getMessage());
    }
  }

  private static ClusterException invalid(String message) {
    return new ClusterException(ErrorCode.INVALID_VALUE, "the message carries " + message);
  }

  /** Decodes a request, turning whatever the records refuse into {@code INVALID_VALUE}. */
  static <T> T checked(java.util.function.Supplier<T> decode) {
    try {
      return decode.get();
    } catch (IllegalArgumentException | NullPointerException e) {
      throw invalid("an impossible request (" + e.getMessage() + ")");
    }
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
      case DUPLICATE_NODE_KEY:
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
