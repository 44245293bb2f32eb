package org.mailcluster.transport.grpc;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.operator.OutputEncryptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.internal.io.Pem;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.grpc.ClusterCertificateAuthority.NodeCertificate;

/**
 * The transport reads the same key forms as core, through the one PEM parser: PKCS#8 as this module
 * writes them, and the traditional PKCS#1 and SEC1 forms that BouncyCastle (like OpenSSL) writes;
 * encrypted keys are refused with what to do.
 */
class PemKeyFormsTest {
  @TempDir Path dir;

  private static final ClusterCertificateAuthority CA = ClusterCertificateAuthority.create("pem");
  // Used where named, not installed: the JDK's own providers serve everything else.
  private static final Provider BC = new BouncyCastleProvider();

  /**
   * Writes {@code object} as BouncyCastle's PEM writer does: a bare key in traditional form. An EC
   * key names its curve there as OpenSSL writes it only if BouncyCastle encoded the key, so EC keys
   * are handed over as BouncyCastle's.
   */
  private static String bouncyCastlePem(Object object) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object instanceof PrivateKey k ? asBouncyCastles(k) : object);
    }
    return out.toString();
  }

  private static PrivateKey asBouncyCastles(PrivateKey key) throws IOException {
    try {
      return KeyFactory.getInstance(key.getAlgorithm(), BC)
          .generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private Path file(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text, US_ASCII);
  }

  /** Mutual TLS from files: {@code node}'s CA and certificate, and {@code keyFile}. */
  private TransportSecurity mutualTls(NodeCertificate node, Path keyFile) throws IOException {
    return TransportSecurity.mutualTls(
        file("ca.pem", node.caCertificatePem()), file("node.pem", node.certificatePem()), keyFile);
  }

  private ClusterException refusal(NodeCertificate node, Path keyFile) {
    ClusterException e = assertThrows(ClusterException.class, () -> mutualTls(node, keyFile));
    assertEquals(ErrorCode.INVALID_VALUE, e.code());
    return e;
  }

  @Test
  void aNodeKeyInSec1FormSecuresTheTransportLikeItsPkcs8Form() throws Exception {
    NodeCertificate mx1 = CA.issue(NodeId.of("mx1"), List.of("127.0.0.1"));
    PrivateKey key = Pem.privateKey(mx1.privateKeyPem(), "pkcs8");
    String sec1 = bouncyCastlePem(key);
    assertTrue(sec1.startsWith("-----BEGIN EC PRIVATE KEY-----"), sec1);

    TransportSecurity tls = mutualTls(mx1, file("node-key.pem", sec1));
    assertEquals(((ECPrivateKey) key).getS(), ((ECPrivateKey) tls.key().orElseThrow()).getS());
    assertTrue(Pem.matches(tls.key().orElseThrow(), tls.chain().get(0).getPublicKey()));
    tls.checkNames(NodeId.of("mx1"));

    // The CA loads its key in either form too.
    CA.writeTo(dir.resolve("ca"));
    Path caKey = dir.resolve("ca/ca-key.pem");
    Files.writeString(caKey, bouncyCastlePem(Pem.privateKey(caKey)));
    assertEquals(
        CA.certificate(),
        ClusterCertificateAuthority.load(dir.resolve("ca/ca.pem"), caKey).certificate());
  }

  @Test
  void anRsaKeyInPkcs1FormIsTheSameKey() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair pair = generator.generateKeyPair();
    String pkcs1 = bouncyCastlePem(pair.getPrivate());
    assertTrue(pkcs1.startsWith("-----BEGIN RSA PRIVATE KEY-----"), pkcs1);
    assertArrayEquals(
        pair.getPrivate().getEncoded(), Pem.privateKey(file("rsa.pem", pkcs1)).getEncoded());
  }

  @Test
  void encryptedKeysAreRefusedWithTheCommandThatDecryptsThem() throws Exception {
    NodeCertificate mx1 = CA.issue(NodeId.of("mx1"), List.of("127.0.0.1"));
    PrivateKey key = Pem.privateKey(mx1.privateKeyPem(), "pkcs8");
    char[] password = "secret".toCharArray();
    OutputEncryptor pkcs8Encryptor =
        new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
            .setProvider(BC)
            .setPassword(password)
            .build();
    StringWriter traditional = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(traditional)) {
      writer.writeObject(
          asBouncyCastles(key),
          new JcePEMEncryptorBuilder("AES-256-CBC").setProvider(BC).build(password));
    }
    for (String encrypted :
        List.of(
            bouncyCastlePem(new JcaPKCS8Generator(key, pkcs8Encryptor)), traditional.toString())) {
      Path keyFile = file("node-key.pem", encrypted);
      ClusterException e = refusal(mx1, keyFile);
      assertTrue(e.getMessage().startsWith(keyFile + " is encrypted"), e.getMessage());
      assertTrue(e.getMessage().contains("openssl pkey"), e.getMessage());
    }
  }

  @Test
  void aFileThatIsNoKeyIsNamedInTheRefusal() throws Exception {
    NodeCertificate mx1 = CA.issue(NodeId.of("mx1"), List.of("127.0.0.1"));
    Path notAKey = file("node-key.pem", mx1.certificatePem());
    ClusterException e = refusal(mx1, notAKey);
    assertTrue(
        e.getMessage().startsWith(notAKey + " holds no '-----BEGIN PRIVATE KEY-----' block"),
        e.getMessage());
  }
}
