package org.mailcluster.transport.grpc;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.Message;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.ClusterTransport;
import org.mailcluster.transport.InboundHandler;
import org.mailcluster.transport.PeerChannel;
import org.mailcluster.transport.PeerIdentity;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.Subscribe;
import org.mailcluster.transport.grpc.v1.AckRequest;
import org.mailcluster.transport.grpc.v1.ClusterGrpc;
import org.mailcluster.transport.grpc.v1.EpochGrantRequest;
import org.mailcluster.transport.grpc.v1.ForwardRequest;
import org.mailcluster.transport.grpc.v1.JoinRequest;
import org.mailcluster.transport.grpc.v1.PingRequest;
import org.mailcluster.transport.grpc.v1.ProbeReadRequest;
import org.mailcluster.transport.grpc.v1.ResyncRequest;
import org.mailcluster.transport.grpc.v1.SnapshotInstalledRequest;
import org.mailcluster.transport.grpc.v1.StateCopyRequest;
import org.mailcluster.transport.grpc.v1.StatusReportRequest;
import org.mailcluster.transport.grpc.v1.StatusRequest;
import org.mailcluster.transport.grpc.v1.SubscribeRequest;
import org.mailcluster.transport.grpc.v1.ZoneRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link ClusterTransport}: gRPC over HTTP/2 with mutual TLS (the wire format is
 * {@code mailcluster/v1/cluster.proto}). Each node's identity comes from its certificate, issued by
 * the cluster CA; the transport also serves the standard gRPC health service (with the node's role,
 * see {@link #advertise}) and server reflection.
 *
 * <pre>{@code
 * ClusterCertificateAuthority ca = ClusterCertificateAuthority.create("example");
 * GrpcTransport transport =
 *     GrpcTransport.builder(NodeId.of("mx1"), NodeAddress.parse("10.0.0.11:7400"))
 *         .security(TransportSecurity.mutualTls(ca.issue(NodeId.of("mx1"), List.of("10.0.0.11"))))
 *         .build();
 * ClusterService node = ClusterService.builder().transport(transport)...build();
 * }</pre>
 *
 * <p>Health service names: {@code ""} and {@code mailcluster.v1.Cluster} are {@code SERVING} while
 * the node runs; {@code mailcluster.role.primary} is {@code SERVING} only on the primary and {@code
 * mailcluster.role.secondary} only on a secondary, so a load balancer health-checking {@code
 * mailcluster.role.primary} sends remote administration to the primary (R11).
 */
public final class GrpcTransport implements ClusterTransport {
  /** The wire protocol version this transport speaks (the {@code mailcluster-protocol} header). */
  public static final int PROTOCOL_VERSION = 1;

  /** The health service name that is {@code SERVING} only on the primary. */
  public static final String PRIMARY_HEALTH_NAME = "mailcluster.role.primary";

  /** The health service name that is {@code SERVING} only on a secondary. */
  public static final String SECONDARY_HEALTH_NAME = "mailcluster.role.secondary";

  private static final Logger clusterLog = LoggerFactory.getLogger("mailcluster.cluster");

  private final Builder config;
  private final Set<GrpcServerStream> streams = ConcurrentHashMap.newKeySet();
  private final Set<GrpcPeerChannel> channels = ConcurrentHashMap.newKeySet();
  private final HealthStatusManager health = new HealthStatusManager();
  private final HealthWatchLimit healthWatches = new HealthWatchLimit();

  /** The health watches open now. */
  int openHealthWatches() {
    return healthWatches.open();
  }

  private final ScheduledExecutorService timer;
  private volatile Server server;
  private volatile NodeAddress boundAddress;
  private volatile boolean closed;

  private GrpcTransport(Builder config) {
    this.config = config;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mailcluster-grpc-" + config.node + "-timer");
              t.setDaemon(true);
              return t;
            });
  }

  /** Returns a builder for the transport of {@code node}, listening on {@code listen}. */
  public static Builder builder(NodeId node, NodeAddress listen) {
    return new Builder(node, listen.host(), listen.port());
  }

  /**
   * Returns a builder for the transport of {@code node}, listening on {@code host} and {@code port}
   * (port 0 picks a free port; {@link #localAddress()} then tells which).
   */
  public static Builder builder(NodeId node, String host, int port) {
    checkArgument(port >= 0 && port <= 65535, "port must be 0 to 65535 but was %s", port);
    return new Builder(node, requireNonNull(host, "host"), port);
  }

  @Override
  public synchronized void start(InboundHandler handler) {
    requireNonNull(handler, "handler");
    checkState(server == null, "the transport of %s was already started", config.node);
    checkState(!closed, "the transport of %s is closed", config.node);
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.host, config.port))
            .maxInboundMessageSize(config.maxMessageSize)
            .maxInboundMetadataSize(16 * 1024)
            .maxConcurrentCallsPerConnection(config.maxConcurrentCallsPerConnection)
            .handshakeTimeout(config.handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTime(config.keepAlive.toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(config.keepAliveTimeout.toMillis(), TimeUnit.MILLISECONDS)
            .permitKeepAliveTime(
                Math.min(config.keepAlive.toMillis(), 10_000), TimeUnit.MILLISECONDS)
            .permitKeepAliveWithoutCalls(true);
    if (!config.security.isPlaintext()) {
      builder.sslContext(serverContext());
    }
    PeerAuthenticator authenticator =
        new PeerAuthenticator(config.node, PROTOCOL_VERSION, config.security.ca());
    builder
        .addService(ServerInterceptors.intercept(new Service(handler).definition(), authenticator))
        .addService(ServerInterceptors.intercept(health.getHealthService(), healthWatches))
        .addService(ProtoReflectionServiceV1.newInstance());
    addLegacyReflection(builder);
    try {
      server = builder.build().start();
    } catch (IOException e) {
      throw new ClusterException(
          ErrorCode.UNAVAILABLE,
          "node "
              + config.node
              + " cannot listen on "
              + config.host
              + ":"
              + config.port
              + ": "
              + e.getMessage()
              + " (is another process using the port?)",
          e);
    }
    boundAddress = NodeAddress.of(config.host, server.getPort());
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(ClusterGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(PRIMARY_HEALTH_NAME, ServingStatus.NOT_SERVING);
    health.setStatus(SECONDARY_HEALTH_NAME, ServingStatus.NOT_SERVING);
    if (!config.roundTripProbe.isZero()) {
      long every = config.roundTripProbe.toMillis();
      timer.scheduleWithFixedDelay(this::probeRoundTrips, every / 4, every, TimeUnit.MILLISECONDS);
    }
    if (config.security.isPlaintext()) {
      clusterLog.warn(
          "node {} serves INSECURE plaintext gRPC on {}: no encryption, no node identity;"
              + " never use this on a network",
          config.node,
          boundAddress);
    } else {
      clusterLog.info("node {} serves gRPC with mutual TLS on {}", config.node, boundAddress);
    }
  }

  // grpcurl, grpc-js and many tools still speak the v1alpha reflection protocol.
  @SuppressWarnings("deprecation")
  private static void addLegacyReflection(NettyServerBuilder builder) {
    builder.addService(io.grpc.protobuf.services.ProtoReflectionService.newInstance());
  }

  @Override
  public NodeAddress localAddress() {
    NodeAddress a = boundAddress;
    checkState(a != null, "the transport of %s is not started", config.node);
    return a;
  }

  @Override
  public void advertise(Role role) {
    requireNonNull(role, "role");
    if (closed) {
      return;
    }
    health.setStatus(
        PRIMARY_HEALTH_NAME,
        role == Role.PRIMARY ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    health.setStatus(
        SECONDARY_HEALTH_NAME,
        role == Role.SECONDARY ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  @Override
  public PeerChannel connect(NodeAddress peer) {
    requireNonNull(peer, "peer");
    checkState(!closed, "the transport of %s is closed", config.node);
    Metadata headers = new Metadata();
    headers.put(Wire.PROTOCOL_HEADER, String.valueOf(PROTOCOL_VERSION));
    NettyChannelBuilder builder =
        NettyChannelBuilder.forAddress(peer.host(), peer.port())
            .maxInboundMessageSize(config.maxMessageSize)
            .keepAliveTime(config.keepAlive.toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(config.keepAliveTimeout.toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveWithoutCalls(true)
            .intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
    if (config.security.isPlaintext()) {
      builder.negotiationType(NegotiationType.PLAINTEXT);
    } else {
      builder.sslContext(clientContext());
    }
    ManagedChannel channel = builder.build();
    GrpcPeerChannel[] self = new GrpcPeerChannel[1];
    self[0] =
        new GrpcPeerChannel(
            peer,
            channel,
            config.maxAssembledMessageSize,
            config.roundTripWarning,
            () -> channels.remove(self[0]));
    channels.add(self[0]);
    return self[0];
  }

  private void probeRoundTrips() {
    for (GrpcPeerChannel c : channels) {
      try {
        c.probeRoundTrip(config.callTimeoutForProbe());
      } catch (RuntimeException e) {
        clusterLog.debug("round-trip probe to {} failed: {}", c.peer(), e.toString());
      }
    }
  }

  @Override
  public void close() {
    Server s;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      s = server;
    }
    health.enterTerminalState();
    ClusterException shuttingDown =
        new ClusterException(
            ErrorCode.UNAVAILABLE, "node " + config.node + " is shutting down; it will be back");
    for (GrpcServerStream stream : List.copyOf(streams)) {
      stream.fail(shuttingDown);
    }
    for (GrpcPeerChannel c : List.copyOf(channels)) {
      c.close();
    }
    timer.shutdownNow();
    if (s != null) {
      s.shutdown();
      try {
        if (!s.awaitTermination(config.gracePeriod.toMillis(), TimeUnit.MILLISECONDS)) {
          s.shutdownNow();
          s.awaitTermination(config.gracePeriod.toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        s.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  private SslContext serverContext() {
    TransportSecurity sec = config.security;
    try {
      return GrpcSslContexts.configure(
              io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forServer(
                  sec.key().orElseThrow(), sec.chain().toArray(new X509Certificate[0])))
          .trustManager(new AcceptAnyClientCertificate())
          .clientAuth(ClientAuth.OPTIONAL)
          .build();
    } catch (SSLException e) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE,
          "cannot use the TLS certificate of " + config.node + ": " + e,
          e);
    }
  }

  private SslContext clientContext() {
    TransportSecurity sec = config.security;
    try {
      return GrpcSslContexts.forClient()
          .trustManager(sec.ca().orElseThrow())
          .keyManager(sec.key().orElseThrow(), sec.chain().toArray(new X509Certificate[0]))
          .build();
    } catch (SSLException e) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE,
          "cannot use the TLS certificate of " + config.node + ": " + e,
          e);
    }
  }

  /** A request as it arrived: the message, or why it is no valid encoding of one. */
  private record Incoming<T>(T message, String problem) {}

  /**
   * Reads requests without failing the call from inside gRPC: a request that is no valid protobuf
   * encoding of its message arrives as a problem, which the service refuses with {@code
   * INVALID_ARGUMENT} like any other malformed request.
   */
  private static <T extends Message> MethodDescriptor.Marshaller<Incoming<T>> lenient(T prototype) {
    MethodDescriptor.Marshaller<T> strict = ProtoUtils.marshaller(prototype);
    String name = prototype.getDescriptorForType().getName();
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(Incoming<T> value) {
        return strict.stream(value.message());
      }

      @Override
      public Incoming<T> parse(InputStream stream) {
        try {
          return new Incoming<>(strict.parse(stream), null);
        } catch (RuntimeException e) {
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          String why = cause.getMessage() == null ? "unreadable" : cause.getMessage();
          return new Incoming<>(
              null, name + ": not a valid encoding of the message (" + Wire.shortened(why) + ")");
        }
      }
    };
  }

  /** The cluster service: decodes, hands to the node, encodes its answer or refusal. */
  private final class Service {
    private final InboundHandler handler;

    Service(InboundHandler handler) {
      this.handler = handler;
    }

    /** The service's definition: the generated methods, each reading its request leniently. */
    ServerServiceDefinition definition() {
      List<ServerMethodDefinition<?, ?>> methods =
          List.of(
              unary(
                  ClusterGrpc.getJoinMethod(),
                  JoinRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.Joined.class,
                  Wire::encode),
              unary(
                  ClusterGrpc.getAcknowledgeMethod(),
                  AckRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.Acknowledged.class,
                  Wire::encode),
              unary(
                  ClusterGrpc.getPingMethod(),
                  PingRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.Pong.class,
                  Wire::encode),
              unary(
                  ClusterGrpc.getForwardMethod(),
                  ForwardRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.Forwarded.class,
                  Wire::encode),
              subscribe(),
              unary(
                  ClusterGrpc.getStatusMethod(),
                  StatusRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.Status.class,
                  Wire::encode),
              unary(
                  ClusterGrpc.getGrantEpochMethod(),
                  EpochGrantRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.EpochGranted.class,
                  Wire::encode),
              unary(
                  ClusterGrpc.getResyncMethod(),
                  ResyncRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.Accepted.class,
                  Wire::encode),
              unary(
                  ClusterGrpc.getSnapshotInstalledMethod(),
                  SnapshotInstalledRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.Accepted.class,
                  Wire::encode),
              unary(
                  ClusterGrpc.getZoneMethod(),
                  ZoneRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.Zone.class,
                  Wire::encode),
              unary(
                  ClusterGrpc.getCopyStateMethod(),
                  StateCopyRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.StatePage.class,
                  Wire::encode),
              unary(
                  ClusterGrpc.getReadProbeMethod(),
                  ProbeReadRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.ProbeToken.class,
                  Wire::encode),
              unary(
                  ClusterGrpc.getReportStatusMethod(),
                  StatusReportRequest.getDefaultInstance(),
                  Wire::decode,
                  Response.Accepted.class,
                  Wire::encode));
      ServiceDescriptor generated = ClusterGrpc.getServiceDescriptor();
      ServiceDescriptor.Builder descriptor =
          ServiceDescriptor.newBuilder(generated.getName())
              .setSchemaDescriptor(generated.getSchemaDescriptor());
      methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
      ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(descriptor.build());
      methods.forEach(service::addMethod);
      return service.build();
    }

    private <Q extends Message, A, R extends Response> ServerMethodDefinition<Incoming<Q>, A> unary(
        MethodDescriptor<Q, A> method,
        Q prototype,
        Function<Q, Request> decode,
        Class<R> expected,
        Function<R, A> encode) {
      MethodDescriptor<Incoming<Q>, A> lenient =
          method.toBuilder(lenient(prototype), method.getResponseMarshaller()).build();
      return ServerMethodDefinition.create(
          lenient,
          ServerCalls.asyncUnaryCall(
              (request, out) ->
                  call(method.getFullMethodName(), request, decode, out, expected, encode)));
    }

    private ServerMethodDefinition<
            Incoming<SubscribeRequest>, org.mailcluster.transport.grpc.v1.ReplicationMessage>
        subscribe() {
      var method = ClusterGrpc.getSubscribeMethod();
      var lenient =
          method.toBuilder(
                  lenient(SubscribeRequest.getDefaultInstance()), method.getResponseMarshaller())
              .build();
      return ServerMethodDefinition.create(
          lenient,
          ServerCalls.asyncServerStreamingCall(
              (request, out) -> subscribe(method.getFullMethodName(), request, out)));
    }

    private void subscribe(
        String method,
        Incoming<SubscribeRequest> request,
        StreamObserver<org.mailcluster.transport.grpc.v1.ReplicationMessage> out) {
      var call =
          (ServerCallStreamObserver<org.mailcluster.transport.grpc.v1.ReplicationMessage>) out;
      GrpcServerStream stream =
          new GrpcServerStream(call, config.maxMessageSize - 1024, streams::remove);
      if (closed) {
        stream.fail(
            new ClusterException(
                ErrorCode.UNAVAILABLE, "node " + config.node + " is shutting down"));
        return;
      }
      streams.add(stream);
      PeerIdentity from = PeerAuthenticator.IDENTITY.get();
      Subscribe decoded;
      try {
        decoded = decode(request, Wire::decode);
      } catch (ClusterException e) {
        refusedAsInvalid(method, from, e);
        stream.fail(e);
        return;
      }
      try {
        handler.subscribe(from, decoded, stream);
      } catch (ClusterException e) {
        clusterLog.warn("refused a subscription from {}: {}", from, e.getMessage());
        stream.fail(e);
      } catch (RuntimeException e) {
        clusterLog.error("the node failed to serve a subscription from {}", from, e);
        stream.fail(
            new ClusterException(
                ErrorCode.UNAVAILABLE,
                "node " + config.node + " failed to serve the stream: its cluster log says why",
                e));
      }
    }

    private <Q, A, R extends Response> void call(
        String method,
        Incoming<Q> request,
        Function<Q, Request> decode,
        StreamObserver<A> out,
        Class<R> expected,
        Function<R, A> encode) {
      PeerIdentity from = PeerAuthenticator.IDENTITY.get();
      Request decoded;
      try {
        decoded = decode(request, decode);
      } catch (ClusterException e) {
        refusedAsInvalid(method, from, e);
        out.onError(Wire.toStatus(e));
        return;
      }
      CompletableFuture<Response> answer;
      try {
        answer = handler.handle(from, decoded);
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      if (answer == null) {
        answer =
            CompletableFuture.failedFuture(
                new ClusterException(ErrorCode.UNAVAILABLE, "the node gave no answer"));
      }
      answer.whenComplete(
          (response, failure) -> {
            try {
              if (failure != null) {
                out.onError(Wire.toStatus(asClusterException(failure)));
              } else if (!expected.isInstance(response)) {
                out.onError(
                    Wire.toStatus(
                        new ClusterException(
                            ErrorCode.UNAVAILABLE,
                            "the node answered with "
                                + response
                                + " where a "
                                + expected.getSimpleName()
                                + " was due")));
              } else {
                out.onNext(encode.apply(expected.cast(response)));
                out.onCompleted();
              }
            } catch (RuntimeException e) {
              // The caller went away (cancelled, deadline): nothing to tell it.
              clusterLog.debug("could not answer {}: {}", from, e.toString());
            }
          });
    }
  }

  /** The request as a record, or {@code INVALID_VALUE} naming the field that is malformed. */
  private static <Q, T> T decode(Incoming<Q> request, Function<Q, T> decode) {
    if (request.problem() != null) {
      throw new ClusterException(ErrorCode.INVALID_VALUE, request.problem());
    }
    return decode.apply(request.message());
  }

  /** A malformed request, refused before the node saw it: one line, no stack trace. */
  private static void refusedAsInvalid(String method, PeerIdentity from, ClusterException e) {
    clusterLog.warn("refused {} from {}: {}", method, from, e.getMessage());
  }

  private ClusterException asClusterException(Throwable t) {
    Throwable cause =
        t instanceof java.util.concurrent.CompletionException && t.getCause() != null
            ? t.getCause()
            : t;
    if (cause instanceof ClusterException ce) {
      return ce;
    }
    clusterLog.error("a call failed inside the node", cause);
    return new ClusterException(
        ErrorCode.UNAVAILABLE,
        "node " + config.node + " failed to answer: its cluster log says why",
        cause);
  }

  /**
   * Configures a {@link GrpcTransport}. Defaults suit a LAN: 4 MiB messages (larger replication
   * messages are split), 30 s keepalive, round trips probed every 5 s and warned above 10 ms.
   *
   * <pre>{@code
   * GrpcTransport.builder(id, NodeAddress.parse("0.0.0.0:7400"))
   *     .security(TransportSecurity.mutualTls(caPem, certPem, keyPem))
   *     .roundTripWarning(Duration.ofMillis(5))
   *     .build();
   * }</pre>
   */
  public static final class Builder {
    private final NodeId node;
    private final String host;
    private final int port;
    private TransportSecurity security;
    private int maxMessageSize = 4 * 1024 * 1024;
    private long maxAssembledMessageSize = 512L * 1024 * 1024;
    private int maxConcurrentCallsPerConnection = 128;
    private Duration keepAlive = Duration.ofSeconds(30);
    private Duration keepAliveTimeout = Duration.ofSeconds(10);
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private Duration gracePeriod = Duration.ofSeconds(5);
    private Duration roundTripProbe = Duration.ofSeconds(5);
    private Duration roundTripWarning = Duration.ofMillis(10);

    private Builder(NodeId node, String host, int port) {
      this.node = requireNonNull(node, "node");
      this.host = host;
      this.port = port;
    }

    /** How connections are secured; required (there is deliberately no default). */
    public Builder security(TransportSecurity security) {
      this.security = requireNonNull(security, "security");
      return this;
    }

    /** The largest gRPC message; larger replication messages are split into fragments. */
    public Builder maxMessageSize(int bytes) {
      checkArgument(bytes >= 64 * 1024, "maxMessageSize must be at least 64 KiB but was %s", bytes);
      this.maxMessageSize = bytes;
      return this;
    }

    /** The largest replication message a receiver assembles from fragments (a memory bound). */
    public Builder maxAssembledMessageSize(long bytes) {
      checkArgument(bytes >= maxMessageSize, "maxAssembledMessageSize below maxMessageSize");
      this.maxAssembledMessageSize = bytes;
      return this;
    }

    /** How many calls one connection may have open at once (a bound against hostile peers). */
    public Builder maxConcurrentCallsPerConnection(int calls) {
      checkArgument(calls > 0, "maxConcurrentCallsPerConnection must be positive");
      this.maxConcurrentCallsPerConnection = calls;
      return this;
    }

    /** How often an idle connection is checked, and how long the check may take. */
    public Builder keepAlive(Duration interval, Duration timeout) {
      this.keepAlive = positive(interval, "keepAlive");
      this.keepAliveTimeout = positive(timeout, "keepAliveTimeout");
      return this;
    }

    /** How long a TLS handshake may take before the connection is dropped. */
    public Builder handshakeTimeout(Duration timeout) {
      this.handshakeTimeout = positive(timeout, "handshakeTimeout");
      return this;
    }

    /** How long {@link GrpcTransport#close()} waits for in-flight calls before cutting them. */
    public Builder gracePeriod(Duration grace) {
      this.gracePeriod = positive(grace, "gracePeriod");
      return this;
    }

    /** How often round trips to peers are measured ({@link Duration#ZERO}: never). */
    public Builder roundTripProbe(Duration interval) {
      checkArgument(!interval.isNegative(), "roundTripProbe must not be negative");
      this.roundTripProbe = interval;
      return this;
    }

    /** Above which round trip the cluster log warns that a peer is not on the same LAN (R8). */
    public Builder roundTripWarning(Duration threshold) {
      this.roundTripWarning = positive(threshold, "roundTripWarning");
      return this;
    }

    /**
     * Builds the transport.
     *
     * @throws IllegalStateException if no security was chosen
     * @throws ClusterException with {@code INVALID_VALUE} if the certificate names another node
     */
    public GrpcTransport build() {
      checkState(
          security != null,
          "choose the transport security: TransportSecurity.mutualTls(...) (or, for experiments"
              + " on one machine only, insecurePlaintextWithoutAuthentication())");
      security.checkNames(node);
      return new GrpcTransport(this);
    }

    Duration callTimeoutForProbe() {
      return roundTripWarning.multipliedBy(100).compareTo(Duration.ofSeconds(2)) > 0
          ? Duration.ofSeconds(2)
          : roundTripWarning.multipliedBy(100);
    }

    private static Duration positive(Duration d, String what) {
      checkArgument(!d.isNegative() && !d.isZero(), "%s must be positive but was %s", what, d);
      return d;
    }
  }
}
