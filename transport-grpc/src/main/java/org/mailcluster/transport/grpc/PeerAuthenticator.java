package org.mailcluster.transport.grpc;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.mailcluster.ErrorCode;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Establishes who calls the cluster service, before the call reaches the node: checks the protocol
 * header, then (under mutual TLS) that the peer presented a certificate issued by the cluster CA,
 * whose common name is the caller's node id. Refusals get {@code FAILED_PRECONDITION} (protocol) or
 * {@code UNAUTHENTICATED} (certificate), a trailer with the precise code and a cluster-log line.
 *
 * <p>TLS itself accepts any client certificate (and none): rejecting in the handshake would give
 * the caller only a broken connection, while a status says what is wrong. Health and reflection are
 * served without this check.
 */
final class PeerAuthenticator implements ServerInterceptor {
  static final Context.Key<PeerIdentity> IDENTITY = Context.key("mailcluster-peer");

  private static final Logger clusterLog = LoggerFactory.getLogger("mailcluster.cluster");
  private static final String EXTENDED_KEY_USAGE_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private final NodeId self;
  private final int protocolVersion;
  private final Optional<X509Certificate> ca;
  // One TLS session is checked once, however many calls it carries.
  private final Cache<SSLSession, Verdict> verdicts =
      CacheBuilder.newBuilder().weakKeys().maximumSize(4096).build();

  PeerAuthenticator(NodeId self, int protocolVersion, Optional<X509Certificate> ca) {
    this.self = self;
    this.protocolVersion = protocolVersion;
    this.ca = ca;
  }

  private record Verdict(
      Optional<NodeId> node, ErrorCode refusal, String reason, Optional<String> serial) {
    Verdict(Optional<NodeId> node, ErrorCode refusal, String reason) {
      this(node, refusal, reason, Optional.empty());
    }
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String remote = String.valueOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    String method = call.getMethodDescriptor().getFullMethodName();
    String spoken = headers.get(Wire.PROTOCOL_HEADER);
    if (!String.valueOf(protocolVersion).equals(spoken)) {
      return refuse(
          call,
          remote,
          method,
          ErrorCode.PROTOCOL_MISMATCH,
          "the caller speaks mailcluster protocol "
              + (spoken == null ? "(none: not a mailcluster node?)" : spoken)
              + " but "
              + self
              + " speaks "
              + protocolVersion
              + ": run the same mailcluster version on every node");
    }
    Verdict verdict;
    if (ca.isEmpty()) {
      verdict = new Verdict(Optional.empty(), null, null);
    } else {
      SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      if (session == null) {
        verdict = new Verdict(Optional.empty(), ErrorCode.UNAUTHENTICATED, "no TLS session");
      } else {
        verdict = verdicts.asMap().computeIfAbsent(session, this::verify);
      }
    }
    if (verdict.refusal() != null) {
      return refuse(call, remote, method, verdict.refusal(), verdict.reason());
    }
    PeerIdentity identity = new PeerIdentity(verdict.node(), remote, verdict.serial());
    return Contexts.interceptCall(
        Context.current().withValue(IDENTITY, identity), call, headers, next);
  }

  private Verdict verify(SSLSession session) {
    java.security.cert.Certificate[] presented;
    try {
      presented = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return new Verdict(
          Optional.empty(),
          ErrorCode.UNAUTHENTICATED,
          "the caller presented no client certificate: configure the node with a certificate"
              + " issued by the cluster CA (mailcluster certs)");
    }
    List<X509Certificate> chain = new ArrayList<>();
    for (java.security.cert.Certificate c : presented) {
      if (c instanceof X509Certificate x) {
        chain.add(x);
      }
    }
    if (chain.isEmpty()) {
      return new Verdict(
          Optional.empty(), ErrorCode.UNAUTHENTICATED, "the caller's certificate is not X.509");
    }
    X509Certificate leaf = chain.get(0);
    String subject = leaf.getSubjectX500Principal().getName();
    try {
      List<X509Certificate> path = new ArrayList<>(chain);
      path.removeIf(c -> c.equals(ca.get()));
      PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca.get(), null)));
      params.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
      List<String> usages = leaf.getExtendedKeyUsage();
      if (usages != null && !usages.contains(EXTENDED_KEY_USAGE_CLIENT_AUTH)) {
        return new Verdict(
            Optional.empty(),
            ErrorCode.UNAUTHENTICATED,
            "the certificate of "
                + subject
                + " is not meant for client authentication: issue one with extended key usage"
                + " clientAuth");
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      return new Verdict(
          Optional.empty(),
          ErrorCode.UNAUTHENTICATED,
          "the certificate of "
              + subject
              + " is not valid for this cluster ("
              + e.getMessage()
              + "): use a certificate issued by this cluster's CA, "
              + ca.get().getSubjectX500Principal().getName());
    }
    List<String> names = TransportSecurity.commonNames(leaf);
    if (names.size() > 1) {
      return new Verdict(
          Optional.empty(),
          ErrorCode.UNAUTHENTICATED,
          "the certificate of "
              + subject
              + " has "
              + names.size()
              + " common names: a node's certificate names one node; issue it a new one"
              + " (mailcluster certs)");
    }
    Optional<String> cn = TransportSecurity.commonName(leaf);
    try {
      return new Verdict(
          Optional.of(NodeId.of(cn.orElse(""))),
          null,
          null,
          Optional.of(leaf.getSerialNumber().toString(16)));
    } catch (IllegalArgumentException e) {
      return new Verdict(
          Optional.empty(),
          ErrorCode.UNAUTHENTICATED,
          "the certificate of "
              + subject
              + " does not name a node in its common name: "
              + e.getMessage());
    }
  }

  private <Q, A> ServerCall.Listener<Q> refuse(
      ServerCall<Q, A> call, String remote, String method, ErrorCode code, String reason) {
    clusterLog.warn("refused {} from {}: {}", method, remote, reason);
    Metadata trailers = new Metadata();
    trailers.put(Wire.ERROR_TRAILER, code.name());
    Status status =
        (code == ErrorCode.UNAUTHENTICATED ? Status.UNAUTHENTICATED : Wire.statusCode(code))
            .withDescription(reason);
    call.close(status, trailers);
    return new ServerCall.Listener<>() {};
  }
}
