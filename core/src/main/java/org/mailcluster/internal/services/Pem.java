package org.mailcluster.internal.services;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;

/** PEM reading and writing with the JDK's own security APIs. */
final class Pem {
  private static final Pattern PRIVATE_KEY =
      Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

  private Pem() {}

  /** Reads every certificate of a PEM chain, leaf first. */
  static List<X509Certificate> certificates(String pem) {
    if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
      throw invalid("the certificate chain holds no '-----BEGIN CERTIFICATE-----' block");
    }
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c :
          factory.generateCertificates(
              new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw invalid("the certificate chain is empty");
      }
      return out;
    } catch (CertificateException e) {
      throw invalid("the certificate chain cannot be parsed: " + e.getMessage());
    }
  }

  /** Reads a PKCS#8 private key ({@code BEGIN PRIVATE KEY}). */
  static PrivateKey privateKey(String pem) {
    if (pem.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
      throw invalid(
          "the private key is encrypted: decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)");
    }
    if (pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")) {
      throw invalid(
          "the private key is in the old PKCS#1/SEC1 form: convert it to PKCS#8 with"
              + " 'openssl pkcs8 -topk8 -nocrypt -in key.pem -out key8.pem'");
    }
    Matcher m = PRIVATE_KEY.matcher(pem);
    if (!m.find()) {
      throw invalid("the private key holds no '-----BEGIN PRIVATE KEY-----' block");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(1));
    } catch (IllegalArgumentException e) {
      throw invalid("the private key is not valid base64: " + e.getMessage());
    }
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw invalid("the private key cannot be read as an RSA, EC, EdDSA or DSA key");
  }

  /**
   * Whether {@code key} belongs to {@code publicKey}: it signs something the public key verifies.
   */
  static boolean matches(PrivateKey key, PublicKey publicKey) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          case "Ed448" -> "Ed448";
          case "DSA" -> "SHA256withDSA";
          default -> null;
        };
    if (algorithm == null
        || !key.getAlgorithm().equals(publicKey.getAlgorithm())
            && !(key.getAlgorithm().startsWith("Ed")
                && publicKey.getAlgorithm().startsWith("Ed"))) {
      return false;
    }
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static String encode(List<X509Certificate> chain) {
    StringBuilder sb = new StringBuilder();
    try {
      for (X509Certificate c : chain) {
        sb.append(block("CERTIFICATE", c.getEncoded()));
      }
    } catch (CertificateException e) {
      throw invalid("a certificate cannot be encoded: " + e.getMessage());
    }
    return sb.toString();
  }

  static String encode(PrivateKey key) {
    if (key.getEncoded() == null) {
      throw invalid("the private key cannot be exported (a hardware key?)");
    }
    return block("PRIVATE KEY", key.getEncoded());
  }

  private static String block(String type, byte[] der) {
    String base64 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
  }

  private static ClusterException invalid(String message) {
    return new ClusterException(ErrorCode.INVALID_VALUE, message);
  }
}
