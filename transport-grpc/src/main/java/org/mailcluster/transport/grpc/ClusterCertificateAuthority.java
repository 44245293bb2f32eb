package org.mailcluster.transport.grpc;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.Objects.requireNonNull;

import com.google.common.net.InetAddresses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.mailcluster.ClusterException;
import org.mailcluster.internal.io.AtomicWriter;
import org.mailcluster.internal.io.Pem;
import org.mailcluster.membership.NodeId;

/**
 * A small certificate authority for one cluster: it issues each node a certificate whose common
 * name is the node's id, which is how the transport knows who calls. Meant for tests, the demo and
 * small installations; a site with its own PKI issues the same kind of certificates (CN = node id,
 * subject alternative names for the node's host names and addresses, extended key usage server and
 * client authentication) and hands the files to {@link TransportSecurity#mutualTls}.
 *
 * <pre>{@code
 * ClusterCertificateAuthority ca = ClusterCertificateAuthority.create("example-mail");
 * ca.writeTo(Path.of("/etc/mailcluster/ca")); // ca.pem (share) and ca-key.pem (keep safe)
 * ca.issue(NodeId.of("mx1"), List.of("mx1.example.com", "10.0.0.11"))
 *     .writeTo(Path.of("/etc/mailcluster/mx1")); // node.pem, node-key.pem, ca.pem
 * }</pre>
 *
 * <p>Keys are EC P-256; private keys are written with owner-only permissions where the file system
 * supports them. Every file is replaced atomically and forced to the disk.
 */
public final class ClusterCertificateAuthority {
  /** How long certificates are valid unless told otherwise. */
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(825);

  private static final SecureRandom RANDOM = new SecureRandom();
  private final X509Certificate certificate;
  private final PrivateKey key;

  private ClusterCertificateAuthority(X509Certificate certificate, PrivateKey key) {
    this.certificate = certificate;
    this.key = key;
  }

  /** Creates a new CA, valid for ten years, named after the cluster. */
  public static ClusterCertificateAuthority create(String clusterName) {
    requireNonNull(clusterName, "clusterName");
    try {
      KeyPair pair = newKeyPair();
      X500Name name =
          new X500NameBuilder(BCStyle.INSTANCE)
              .addRDN(BCStyle.O, "mailcluster")
              .addRDN(BCStyle.CN, clusterName + " cluster CA")
              .build();
      Instant now = Instant.now();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name,
              serial(),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(Duration.ofDays(3650))),
              name,
              pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new ClusterCertificateAuthority(sign(builder, pair.getPrivate()), pair.getPrivate());
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("could not create a cluster CA: " + e.getMessage(), e);
    }
  }

  /**
   * Loads a CA written by {@link #writeTo}.
   *
   * @throws ClusterException with {@code INVALID_VALUE} if a file is missing or is not a PEM
   *     certificate or key
   */
  public static ClusterCertificateAuthority load(Path certificatePem, Path keyPem) {
    return new ClusterCertificateAuthority(
        Pem.certificates(certificatePem).get(0), Pem.privateKey(keyPem));
  }

  /** Returns the CA's certificate, which every node trusts. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** Returns the CA's certificate as PEM text. */
  public String certificatePem() {
    return Pem.encode(List.of(certificate));
  }

  /** Issues a node certificate valid for {@link #DEFAULT_VALIDITY}. */
  public NodeCertificate issue(NodeId node, List<String> hostsAndAddresses) {
    return issue(node, hostsAndAddresses, DEFAULT_VALIDITY);
  }

  /**
   * Issues a certificate for a node.
   *
   * @param node the node's id: the certificate's common name
   * @param hostsAndAddresses the host names and IP addresses peers use to reach it (subject
   *     alternative names; peers check the name they connected to)
   * @param validity how long from now the certificate is valid
   */
  public NodeCertificate issue(NodeId node, List<String> hostsAndAddresses, Duration validity) {
    requireNonNull(node, "node");
    requireNonNull(validity, "validity");
    if (hostsAndAddresses.isEmpty()) {
      throw new IllegalArgumentException(
          "a node certificate needs at least one host name or address that peers connect to");
    }
    try {
      KeyPair pair = newKeyPair();
      Instant now = Instant.now();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              certificate,
              serial(),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(validity)),
              new X500NameBuilder(BCStyle.INSTANCE)
                  .addRDN(BCStyle.O, "mailcluster")
                  .addRDN(BCStyle.CN, node.value())
                  .build(),
              pair.getPublic());
      List<GeneralName> names = new ArrayList<>();
      for (String h : hostsAndAddresses) {
        names.add(
            InetAddresses.isInetAddress(h)
                ? new GeneralName(GeneralName.iPAddress, h)
                : new GeneralName(GeneralName.dNSName, h));
      }
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      builder.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(names.toArray(new GeneralName[0])));
      builder.addExtension(
          Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      X509Certificate issued = sign(builder, key);
      return new NodeCertificate(
          node, Pem.encode(List.of(issued)), Pem.encode(pair.getPrivate()), certificatePem());
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException(
          "could not issue a certificate for " + node + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes {@code ca.pem} and {@code ca-key.pem} (owner-only) into a directory, creating it.
   *
   * @throws UncheckedIOException if the files cannot be written
   */
  public void writeTo(Path directory) {
    write(directory.resolve("ca.pem"), certificatePem(), false);
    write(directory.resolve("ca-key.pem"), Pem.encode(key), true);
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return generator.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws OperatorCreationException, GeneralSecurityException {
    ContentSigner contentSigner = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
    return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
  }

  /**
   * A node's certificate, its private key and the CA certificate, as PEM text.
   *
   * <pre>{@code
   * NodeCertificate mx1 = ca.issue(NodeId.of("mx1"), List.of("127.0.0.1"));
   * TransportSecurity tls = TransportSecurity.mutualTls(mx1);
   * }</pre>
   *
   * @param node the node the certificate names
   * @param certificatePem the node's certificate
   * @param privateKeyPem the node's private key (PKCS#8)
   * @param caCertificatePem the cluster CA's certificate
   */
  public record NodeCertificate(
      NodeId node, String certificatePem, String privateKeyPem, String caCertificatePem) {
    /** Checks that no part is null. */
    public NodeCertificate {
      requireNonNull(node, "node");
      requireNonNull(certificatePem, "certificatePem");
      requireNonNull(privateKeyPem, "privateKeyPem");
      requireNonNull(caCertificatePem, "caCertificatePem");
    }

    /**
     * Writes {@code node.pem}, {@code node-key.pem} (owner-only) and {@code ca.pem} into a
     * directory, creating it.
     */
    public void writeTo(Path directory) {
      write(directory.resolve("node.pem"), certificatePem, false);
      write(directory.resolve("node-key.pem"), privateKeyPem, true);
      write(directory.resolve("ca.pem"), caCertificatePem, false);
    }

    @Override
    public String toString() {
      return "NodeCertificate[" + node + "]"; // never the key
    }
  }

  /**
   * Replaces {@code file} atomically and durably, creating its directory; a {@code secret} is
   * owner-only from the moment its file exists.
   */
  private static void write(Path file, String text, boolean secret) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      AtomicWriter.durable()
          .withPermissions(
              secret ? AtomicWriter.Permissions.OWNER_ONLY : AtomicWriter.Permissions.DEFAULT)
          .write(file, text.getBytes(US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
    }
  }
}
