package org.mailcluster.testkit.services;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Self-signed test certificates made with BouncyCastle. */
final class TestCertificates {
  /** A certificate and its key, as PEM, and the objects behind them. */
  record Issued(String chainPem, String keyPem, X509Certificate certificate, KeyPair keys) {}

  private TestCertificates() {}

  static KeyPair keyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  static Issued issue(String hostName, Instant notBefore, Instant notAfter) throws Exception {
    return issue(hostName, notBefore, notAfter, keyPair());
  }

  static Issued issue(String hostName, Instant notBefore, Instant notAfter, KeyPair keys)
      throws Exception {
    X500Name subject = new X500Name("CN=" + hostName);
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            subject,
            BigInteger.valueOf(notBefore.getEpochSecond()),
            Date.from(notBefore),
            Date.from(notAfter),
            subject,
            keys.getPublic());
    b.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.dNSName, hostName)));
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    return new Issued(
        pem("CERTIFICATE", cert.getEncoded()),
        pem("PRIVATE KEY", keys.getPrivate().getEncoded()),
        cert,
        keys);
  }

  static byte[] pkcs12(Issued issued, char[] password) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "mail", issued.keys().getPrivate(), password, new Certificate[] {issued.certificate()});
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ks.store(out, password);
    return out.toByteArray();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + new String(
            Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encode(der),
            StandardCharsets.US_ASCII)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
