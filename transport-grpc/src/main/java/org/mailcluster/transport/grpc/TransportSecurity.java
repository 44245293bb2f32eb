package org.mailcluster.transport.grpc;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.internal.io.Pem;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority.NodeCertificate;

/**
 * How a {@link GrpcTransport} secures its connections: mutual TLS with the cluster CA (the default,
 * and the only choice for a real cluster), or plaintext without any authentication, for experiments
 * on one machine only.
 *
 * <pre>{@code
 * TransportSecurity tls =
 *     TransportSecurity.mutualTls(
 *         Path.of("/etc/mailcluster/ca.pem"),
 *         Path.of("/etc/mailcluster/node.pem"),
 *         Path.of("/etc/mailcluster/node-key.pem"));
 * }</pre>
 */
public final class TransportSecurity {
  private final Optional<X509Certificate> ca;
  private final List<X509Certificate> chain;
  private final Optional<PrivateKey> key;

  private TransportSecurity(
      Optional<X509Certificate> ca, List<X509Certificate> chain, Optional<PrivateKey> key) {
    this.ca = ca;
    this.chain = List.copyOf(chain);
    this.key = key;
  }

  /**
   * Mutual TLS from PEM files: the cluster CA's certificate, this node's certificate (optionally
   * followed by intermediates) and its unencrypted private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
   *
   * @throws ClusterException with {@code INVALID_VALUE} if a file cannot be read or parsed
   */
  public static TransportSecurity mutualTls(Path caCertificate, Path certificate, Path privateKey) {
    return new TransportSecurity(
        Optional.of(Pem.certificates(caCertificate).get(0)),
        Pem.certificates(certificate),
        Optional.of(Pem.privateKey(privateKey)));
  }

  /** Mutual TLS with a certificate issued by a {@link ClusterCertificateAuthority}. */
  public static TransportSecurity mutualTls(NodeCertificate certificate) {
    requireNonNull(certificate, "certificate");
    String source = "the certificate of " + certificate.node();
    return new TransportSecurity(
        Optional.of(Pem.certificates(certificate.caCertificatePem(), source).get(0)),
        Pem.certificates(certificate.certificatePem(), source),
        Optional.of(Pem.privateKey(certificate.privateKeyPem(), source)));
  }

  /**
   * Plaintext: no encryption, and no way for a node to prove who it is, so the primary refuses
   * every join. Only for measuring or debugging the wire on one machine; never on a network.
   */
  public static TransportSecurity insecurePlaintextWithoutAuthentication() {
    return new TransportSecurity(Optional.empty(), List.of(), Optional.empty());
  }

  /** Whether this is the insecure plaintext mode. */
  public boolean isPlaintext() {
    return ca.isEmpty();
  }

  Optional<X509Certificate> ca() {
    return ca;
  }

  List<X509Certificate> chain() {
    return chain;
  }

  Optional<PrivateKey> key() {
    return key;
  }

  /** Checks that the certificate names {@code node}; a mismatch would make every peer refuse it. */
  void checkNames(NodeId node) {
    if (isPlaintext()) {
      return;
    }
    Optional<String> cn = commonName(chain.get(0));
    if (!cn.equals(Optional.of(node.value()))) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE,
          "this node is "
              + node
              + " but its certificate names "
              + cn.orElse("no common name")
              + ": issue it a certificate with CN="
              + node);
    }
  }

  /** Returns the common name of a certificate's subject. */
  static Optional<String> commonName(X509Certificate certificate) {
    List<String> names = commonNames(certificate);
    return names.size() == 1 ? Optional.of(names.get(0)) : Optional.empty();
  }

  /**
   * Every common name of the certificate's subject, in multi-valued parts too: a node's certificate
   * has exactly one, since a second would leave open which node it names.
   */
  static List<String> commonNames(X509Certificate certificate) {
    String name = certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
    List<String> names = new java.util.ArrayList<>();
    try {
      for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(name).getRdns()) {
        javax.naming.directory.Attributes attributes = rdn.toAttributes();
        javax.naming.NamingEnumeration<? extends javax.naming.directory.Attribute> all =
            attributes.getAll();
        while (all.hasMore()) {
          javax.naming.directory.Attribute a = all.next();
          if (a.getID().equalsIgnoreCase("CN")) {
            for (int i = 0; i < a.size(); i++) {
              names.add(String.valueOf(a.get(i)));
            }
          }
        }
      }
    } catch (javax.naming.NamingException e) {
      return List.of();
    }
    return names;
  }

  @Override
  public String toString() {
    return isPlaintext()
        ? "TransportSecurity[INSECURE plaintext]"
        : "TransportSecurity[mutual TLS, CA " + ca.get().getSubjectX500Principal().getName() + "]";
  }
}
