package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailcluster.ClusterService;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.grpc.v1.AckRequest;
import org.mailcluster.transport.grpc.v1.CertificateCheck;
import org.mailcluster.transport.grpc.v1.ClusterGrpc;
import org.mailcluster.transport.grpc.v1.EpochGrantRequest;
import org.mailcluster.transport.grpc.v1.ForwardRequest;
import org.mailcluster.transport.grpc.v1.JoinRequest;
import org.mailcluster.transport.grpc.v1.PingRequest;
import org.mailcluster.transport.grpc.v1.ProbeReadRequest;
import org.mailcluster.transport.grpc.v1.ResyncRequest;
import org.mailcluster.transport.grpc.v1.Revision;
import org.mailcluster.transport.grpc.v1.ScreeningStatus;
import org.mailcluster.transport.grpc.v1.SnapshotInstalledRequest;
import org.mailcluster.transport.grpc.v1.StatusReportRequest;
import org.mailcluster.transport.grpc.v1.StatusRequest;
import org.mailcluster.transport.grpc.v1.SubscribeRequest;
import org.mailcluster.transport.grpc.v1.ZoneRequest;

/**
 * Every request message of the wire protocol, malformed and over its limits, sent over mutual TLS
 * to a real node by a peer with a genuine cluster certificate, using the generated protobuf stubs
 * (or raw bytes for encodings the stubs cannot produce) and not the transport's own mapping: each
 * is refused with {@code INVALID_ARGUMENT}, the trailer {@code INVALID_VALUE} and a one-line
 * description that names the field and no Java class; the node logs one WARN line without a stack
 * trace and keeps serving.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedMessageTest {
  /** A Java class as an exception's toString or a stack trace names it. */
  private static final Pattern JAVA_CLASS =
      Pattern.compile(
          "\\b(?:java|javax|jdk|sun|com|org|io|tools)\\.[a-z0-9_]+\\.[A-Za-z0-9_.$]*"
              + "|\\b[A-Z][A-Za-z0-9]*(?:Exception|Error)\\b");

  /** A request of 0x08 0x80: field 1, a varint whose continuation never comes. */
  private static final byte[] TRUNCATED = {0x08, (byte) 0x80};

  /** A request whose field 1, a string, holds bytes that are not UTF-8. */
  private static final byte[] NOT_UTF8 = {0x0a, 0x02, (byte) 0xc3, 0x28};

  private static final long ABOVE_MAX_EPOCH = Long.MAX_VALUE;
  private static final long UINT64_MAX = -1L;

  @TempDir static Path home;
  private ClusterService mx1;
  private NodeAddress address;
  private ManagedChannel channel;
  private ClusterGrpc.ClusterBlockingStub stub;

  @BeforeAll
  void startANodeAndAHostilePeer() throws Exception {
    address = TestCluster.unusedAddress();
    mx1 = TestCluster.node(home, "mx1", address, Optional.empty(), t -> t);
    mx1.addServer(NodeId.of("mx2"), TestCluster.unusedAddress()).get(10, TimeUnit.SECONDS);
    channel = TestCluster.rawChannel(address, NodeId.of("mx2"));
    stub = ClusterGrpc.newBlockingStub(channel);
  }

  @AfterAll
  void stop() {
    channel.shutdownNow();
    mx1.close(Duration.ofSeconds(5));
  }

  /** One refused request: what it is, the field its refusal must name, and how to send it. */
  private record Case(String name, String field, Sender send) {
    @Override
    public String toString() {
      return name;
    }
  }

  @FunctionalInterface
  private interface Sender {
    void send(MalformedMessageTest test);
  }

  private ClusterGrpc.ClusterBlockingStub stub() {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  Stream<Case> requests() {
    List<Case> cases = new ArrayList<>();
    // JoinRequest
    cases.add(
        new Case(
            "JoinRequest with a node id holding a space",
            "JoinRequest.node",
            t -> t.stub().join(join().setNode("mx 2").build())));
    cases.add(
        new Case(
            "JoinRequest with a product version of 65 characters",
            "JoinRequest.product_version: 65 characters, at most 64",
            t -> t.stub().join(join().setProductVersion("9".repeat(65)).build())));
    cases.add(
        new Case(
            "JoinRequest with a protocol version above 2^31 - 1",
            "JoinRequest.protocol_version",
            t -> t.stub().join(join().setProtocolVersion(-1).build())));
    // AckRequest
    cases.add(
        new Case(
            "AckRequest with a sequence of 2^64 - 1",
            "AckRequest.applied.sequence",
            t ->
                t.stub()
                    .acknowledge(
                        AckRequest.newBuilder()
                            .setNode("mx2")
                            .setEpoch(1)
                            .setApplied(Revision.newBuilder().setEpoch(1).setSequence(UINT64_MAX))
                            .build())));
    cases.add(
        new Case(
            "AckRequest with files written after the revision applied",
            "Ack.written: 1:5 is after Ack.applied 1:3",
            t ->
                t.stub()
                    .acknowledge(
                        AckRequest.newBuilder()
                            .setNode("mx2")
                            .setEpoch(1)
                            .setApplied(Revision.newBuilder().setEpoch(1).setSequence(3))
                            .setWritten(Revision.newBuilder().setEpoch(1).setSequence(5))
                            .build())));
    cases.add(
        new Case(
            "AckRequest with a node id of 64 characters",
            "AckRequest.node: 64 characters, at most 63",
            t -> t.stub().acknowledge(AckRequest.newBuilder().setNode("m".repeat(64)).build())));
    // PingRequest
    cases.add(
        new Case(
            "PingRequest with a second's worth of nanoseconds",
            "PingRequest.sent_at",
            t ->
                t.stub()
                    .ping(
                        PingRequest.newBuilder()
                            .setSentAt(Timestamp.newBuilder().setSeconds(1).setNanos(1_000_000_000))
                            .build())));
    cases.add(
        new Case(
            "PingRequest with the epoch 2^63 - 1",
            "PingRequest.epoch",
            t -> t.stub().ping(PingRequest.newBuilder().setEpoch(ABOVE_MAX_EPOCH).build())));
    // ForwardRequest
    cases.add(
        new Case(
            "ForwardRequest to the mail-event relay that is not JSON",
            "ForwardRequest.payload",
            t ->
                t.stub()
                    .forward(
                        ForwardRequest.newBuilder()
                            .setService("mailcluster.events")
                            .setPayload("{\"events\": [1, 2")
                            .build())));
    cases.add(
        new Case(
            "ForwardRequest to screening with a JSON array",
            "ForwardRequest.payload",
            t ->
                t.stub()
                    .forward(
                        ForwardRequest.newBuilder()
                            .setService("mailcluster.screening")
                            .setPayload("[\"op\"]")
                            .build())));
    cases.add(
        new Case(
            "ForwardRequest with a payload of 1 MiB and one character",
            "ForwardRequest.payload: 1048577 characters, at most 1048576",
            t ->
                t.stub()
                    .forward(
                        ForwardRequest.newBuilder()
                            .setService("echo")
                            .setPayload("x".repeat((1 << 20) + 1))
                            .build())));
    cases.add(
        new Case(
            "ForwardRequest with a service name of 129 characters",
            "ForwardRequest.service: 129 characters, at most 128",
            t ->
                t.stub().forward(ForwardRequest.newBuilder().setService("s".repeat(129)).build())));
    // SubscribeRequest
    cases.add(
        new Case(
            "SubscribeRequest without a node id",
            "SubscribeRequest.node",
            t -> t.stub().subscribe(SubscribeRequest.newBuilder().setEpoch(1).build()).hasNext()));
    cases.add(
        new Case(
            "SubscribeRequest after a revision of epoch 2^63 - 1",
            "SubscribeRequest.last_applied.epoch",
            t ->
                t.stub()
                    .subscribe(
                        SubscribeRequest.newBuilder()
                            .setNode("mx2")
                            .setLastApplied(Revision.newBuilder().setEpoch(ABOVE_MAX_EPOCH))
                            .build())
                    .hasNext()));
    // StatusRequest
    cases.add(
        new Case(
            "StatusRequest with the epoch 2^64 - 1",
            "StatusRequest.epoch",
            t -> t.stub().status(StatusRequest.newBuilder().setEpoch(UINT64_MAX).build())));
    // EpochGrantRequest
    cases.add(
        new Case(
            "EpochGrantRequest for a candidate that is no node id",
            "EpochGrantRequest.candidate",
            t ->
                t.stub()
                    .grantEpoch(
                        EpochGrantRequest.newBuilder()
                            .setCandidate("../mx1")
                            .setProposed(2)
                            .build())));
    cases.add(
        new Case(
            "EpochGrantRequest for the epoch 2^63 - 1",
            "EpochGrantRequest.proposed",
            t ->
                t.stub()
                    .grantEpoch(
                        EpochGrantRequest.newBuilder()
                            .setCandidate("mx2")
                            .setProposed(ABOVE_MAX_EPOCH)
                            .build())));
    // ResyncRequest
    cases.add(
        new Case(
            "ResyncRequest without a target",
            "ResyncRequest.target",
            t -> t.stub().resync(ResyncRequest.newBuilder().setEpoch(1).build())));
    cases.add(
        new Case(
            "ResyncRequest for a target of 200 characters",
            "ResyncRequest.target: 200 characters, at most 63",
            t -> t.stub().resync(ResyncRequest.newBuilder().setTarget("t".repeat(200)).build())));
    // SnapshotInstalledRequest
    cases.add(
        new Case(
            "SnapshotInstalledRequest for a revision of epoch 2^64 - 1",
            "SnapshotInstalledRequest.revision.epoch",
            t ->
                t.stub()
                    .snapshotInstalled(
                        SnapshotInstalledRequest.newBuilder()
                            .setRevision(Revision.newBuilder().setEpoch(UINT64_MAX))
                            .build())));
    // ZoneRequest
    cases.add(
        new Case(
            "ZoneRequest with the epoch 2^63 - 1",
            "ZoneRequest.epoch",
            t -> t.stub().zone(ZoneRequest.newBuilder().setEpoch(ABOVE_MAX_EPOCH).build())));
    // ProbeReadRequest
    cases.add(
        new Case(
            "ProbeReadRequest for a relative path",
            "ProbeReadRequest.path",
            t ->
                t.stub()
                    .readProbe(
                        ProbeReadRequest.newBuilder()
                            .setPath("mail\\Users")
                            .setFile(".mailcluster-probe-mx2")
                            .build())));
    cases.add(
        new Case(
            "ProbeReadRequest for a file outside the shared directory",
            "ProbeReadRequest.file",
            t ->
                t.stub()
                    .readProbe(
                        ProbeReadRequest.newBuilder()
                            .setPath("/mnt/mail")
                            .setFile("../../etc/passwd")
                            .build())));
    cases.add(
        new Case(
            "ProbeReadRequest for a file name of 256 characters",
            "ProbeReadRequest.file: 256 characters, at most 255",
            t ->
                t.stub()
                    .readProbe(
                        ProbeReadRequest.newBuilder()
                            .setPath("/mnt/mail")
                            .setFile("f".repeat(256))
                            .build())));
    // StatusReportRequest
    cases.add(
        new Case(
            "StatusReportRequest with a certificate check of no level",
            "StatusReportRequest.certificates[0].level",
            t ->
                t.stub()
                    .reportStatus(
                        StatusReportRequest.newBuilder()
                            .addCertificates(CertificateCheck.newBuilder().setName("mail"))
                            .build())));
    cases.add(
        new Case(
            "StatusReportRequest with 4,097 certificate checks",
            "StatusReportRequest.certificates: 4097 elements, at most 4096",
            t -> {
              StatusReportRequest.Builder b = StatusReportRequest.newBuilder();
              for (int i = 0; i < 4097; i++) {
                b.addCertificates(
                    CertificateCheck.newBuilder()
                        .setName("c" + i)
                        .setLevel(CertificateCheck.Level.LEVEL_OK));
              }
              t.stub().reportStatus(b.build());
            }));
    cases.add(
        new Case(
            "StatusReportRequest with a problem of 4,097 characters",
            "StatusReportRequest.certificates[0].problems[0]: 4097 characters, at most 4096",
            t ->
                t.stub()
                    .reportStatus(
                        StatusReportRequest.newBuilder()
                            .addCertificates(
                                CertificateCheck.newBuilder()
                                    .setName("mail")
                                    .setLevel(CertificateCheck.Level.LEVEL_ERROR)
                                    .addProblems("p".repeat(4097)))
                            .build())));
    cases.add(
        new Case(
            "StatusReportRequest with a screening status of a policy unknown here",
            "StatusReportRequest.screening.policy",
            t ->
                t.stub()
                    .reportStatus(
                        StatusReportRequest.newBuilder()
                            .setScreening(ScreeningStatus.newBuilder().setPolicyValue(9))
                            .build())));
    // Encodings the stubs cannot produce, for every request.
    for (MethodDescriptor<?, ?> m : ClusterGrpc.getServiceDescriptor().getMethods()) {
      String message = requestName(m);
      cases.add(
          new Case(
              message + " that ends in the middle of a field",
              message + ": not a valid encoding of the message",
              t -> t.raw(m, TRUNCATED)));
    }
    cases.add(
        new Case(
            "JoinRequest with a node id that is not UTF-8",
            "JoinRequest: not a valid encoding of the message",
            t -> t.raw(ClusterGrpc.getJoinMethod(), NOT_UTF8)));
    cases.add(
        new Case(
            "ForwardRequest with a service name that is not UTF-8",
            "ForwardRequest: not a valid encoding of the message",
            t -> t.raw(ClusterGrpc.getForwardMethod(), NOT_UTF8)));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void isRefusedAsAnInvalidArgumentThatNamesTheField(Case c) {
    String[] log = new String[1];
    StatusRuntimeException e =
        capturingStderr(
            log, () -> assertThrows(StatusRuntimeException.class, () -> c.send().send(this)));
    Status status = e.getStatus();
    String description = String.valueOf(status.getDescription());
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), e.toString());
    assertEquals("INVALID_VALUE", e.getTrailers().get(Wire.ERROR_TRAILER), e.toString());
    assertTrue(
        description.contains(c.field()),
        "the description should name " + c.field() + " but is: " + description);
    assertFalse(description.contains("\n"), "more than one line: " + description);
    assertFalse(
        JAVA_CLASS.matcher(description).find(), "a Java class reaches the peer: " + description);

    String method = "refused mailcluster.v1.Cluster/";
    List<String> lines = log[0].lines().toList();
    List<String> refusals =
        lines.stream().filter(l -> l.contains(method) && l.contains(c.field())).toList();
    assertEquals(1, refusals.size(), "one refusal logged for " + c + ":\n" + log[0]);
    assertTrue(refusals.get(0).contains(" WARN "), "logged at WARN: " + refusals.get(0));
    for (String line : lines) {
      assertFalse(line.contains(" ERROR "), "logged at ERROR: " + line);
      assertFalse(
          line.startsWith("\tat ") || line.startsWith("Caused by"), "a stack trace: " + line);
      assertFalse(JAVA_CLASS.matcher(line).find(), "a Java class in the log: " + line);
    }
  }

  @Test
  void theNodeStillServesAWellFormedRequestAfterTheRefusals() {
    requests().forEach(c -> assertThrows(StatusRuntimeException.class, () -> c.send().send(this)));
    Instant now = Instant.now();
    var pong =
        stub()
            .ping(
                PingRequest.newBuilder()
                    .setSentAt(
                        Timestamp.newBuilder()
                            .setSeconds(now.getEpochSecond())
                            .setNanos(now.getNano()))
                    .setEpoch(1)
                    .build());
    assertEquals(1, pong.getEpoch());
    assertEquals(now.getEpochSecond(), pong.getPingSentAt().getSeconds());
    assertEquals(
        1,
        stub().status(StatusRequest.newBuilder().setEpoch(1).build()).getEpoch(),
        "a well-formed status query is answered");
  }

  private static JoinRequest.Builder join() {
    return JoinRequest.newBuilder()
        .setNode("mx2")
        .setAddress("127.0.0.1:9")
        .setProtocolVersion(1)
        .setProductVersion("23.5.2")
        .setLicenceFingerprint("f")
        .setEpoch(1);
  }

  private static String requestName(MethodDescriptor<?, ?> method) {
    var schema = (io.grpc.protobuf.ProtoMethodDescriptorSupplier) method.getSchemaDescriptor();
    return schema.getMethodDescriptor().getInputType().getName();
  }

  /** Sends {@code bytes} as the request of {@code method}, as a peer without protobuf would. */
  private void raw(MethodDescriptor<?, ?> method, byte[] bytes) {
    MethodDescriptor<byte[], byte[]> raw =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(method.getType())
            .setFullMethodName(method.getFullMethodName())
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    if (method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
      ClientCalls.blockingServerStreamingCall(channel, raw, options, bytes).hasNext();
    } else {
      ClientCalls.blockingUnaryCall(channel, raw, options, bytes);
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  /** Runs {@code body}, keeping what the node logged meanwhile in {@code log[0]}. */
  private static <T> T capturingStderr(String[] log, java.util.function.Supplier<T> body) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      return body.get();
    } finally {
      System.setErr(original);
      log[0] = captured.toString(StandardCharsets.UTF_8);
      original.print(log[0]);
    }
  }
}
