package org.mailcluster.internal.io;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;

/**
 * Reads and writes PEM certificates and private keys with the JDK's own security APIs: the one PEM
 * parser of this project, so a key that one module accepts every other module accepts too.
 *
 * <p><b>Certificates:</b> every {@code CERTIFICATE} (or {@code X509 CERTIFICATE}) block, in order;
 * text around the blocks and blocks of other types are skipped.
 *
 * <p><b>Private keys:</b> the first private key block, which may be
 *
 * <ul>
 *   <li>{@code PRIVATE KEY}: PKCS#8, unencrypted; RSA, EC, Ed25519, Ed448, RSASSA-PSS or DSA;
 *   <li>{@code RSA PRIVATE KEY}: PKCS#1, unencrypted;
 *   <li>{@code EC PRIVATE KEY}: SEC1, unencrypted, naming its curve (as OpenSSL writes it).
 * </ul>
 *
 * An encrypted key ({@code ENCRYPTED PRIVATE KEY}, or a {@code Proc-Type: 4,ENCRYPTED} header) is
 * refused with the command that decrypts it. Keys are always written as PKCS#8.
 *
 * <p><b>Failures:</b> input that is not what is expected is a {@link ClusterException} with {@link
 * ErrorCode#INVALID_VALUE} whose message starts with the {@code source} the caller names (a file
 * path, or words such as "the certificate chain") and says what is wrong with it; no parser
 * exception escapes.
 *
 * <pre>{@code
 * List<X509Certificate> chain = Pem.certificates(chainPem, "the certificate chain");
 * PrivateKey key = Pem.privateKey(Path.of("/etc/mailcluster/node-key.pem"));
 * if (!Pem.matches(key, chain.get(0).getPublicKey())) { ... }
 * String stored = Pem.encode(key); // -----BEGIN PRIVATE KEY----- …
 * }</pre>
 */
public final class Pem {
  private static final Pattern BLOCK =
      Pattern.compile(
          "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----", Pattern.DOTALL);
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/=\\s]*");
  private static final List<String> PKCS8_ALGORITHMS =
      List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA");
  private static final String DECRYPT =
      "decrypt it first (openssl pkey -in key.pem -out plain.pem)";
  private static final String TO_PKCS8 = "openssl pkcs8 -topk8 -nocrypt -in key.pem -out key8.pem";

  // DER encodings of the algorithm identifiers a PKCS#1 or SEC1 key is wrapped in.
  private static final byte[] VERSION_0 = {0x02, 0x01, 0x00};
  private static final byte[] RSA_ALGORITHM = {
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    (byte) 0x86,
    0x48,
    (byte) 0x86,
    (byte) 0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00
  };
  private static final byte[] EC_PUBLIC_KEY_OID = {
    0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01
  };

  private Pem() {}

  // ---- reading ---------------------------------------------------------------------------------

  /**
   * Reads every certificate of a PEM chain, in order (leaf first, as TLS sends it).
   *
   * @param source what {@code pem} is, for messages: a file name, or "the certificate chain"
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if there is no certificate block
   *     or a certificate block does not parse
   */
  public static List<X509Certificate> certificates(String pem, String source) {
    requireNonNull(pem, "pem");
    requireNonNull(source, "source");
    List<X509Certificate> out = new ArrayList<>();
    CertificateFactory factory;
    try {
      factory = CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("every Java platform has X.509 certificates", e);
    }
    for (Block b : blocks(pem, source)) {
      if (!b.type().equals("CERTIFICATE") && !b.type().equals("X509 CERTIFICATE")) {
        continue;
      }
      byte[] der = b.der(source);
      try {
        out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
      } catch (CertificateException | RuntimeException e) {
        throw invalid(
            source
                + ": certificate "
                + (out.size() + 1)
                + " cannot be parsed ("
                + e.getMessage()
                + "); check that the file is whole");
      }
    }
    if (out.isEmpty()) {
      throw invalid(source + " holds no '-----BEGIN CERTIFICATE-----' block");
    }
    return List.copyOf(out);
  }

  /**
   * Reads every certificate of a PEM file, as {@link #certificates(String, String)}.
   *
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if the file cannot be read or
   *     holds no readable certificate
   */
  public static List<X509Certificate> certificates(Path file) {
    return certificates(read(file), file.toString());
  }

  /**
   * Reads the first private key block of {@code pem}: PKCS#8, PKCS#1 (RSA) or SEC1 (EC),
   * unencrypted.
   *
   * @param source what {@code pem} is, for messages: a file name, or "the private key"
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if there is no private key block,
   *     the key is encrypted, or it does not parse
   */
  public static PrivateKey privateKey(String pem, String source) {
    requireNonNull(pem, "pem");
    requireNonNull(source, "source");
    for (Block b : blocks(pem, source)) {
      switch (b.type()) {
        case "ENCRYPTED PRIVATE KEY":
          throw invalid(source + " is encrypted: " + DECRYPT);
        case "PRIVATE KEY":
          b.refuseEncrypted(source);
          return pkcs8(b.der(source), source);
        case "RSA PRIVATE KEY":
          b.refuseEncrypted(source);
          return pkcs1(b.der(source), source);
        case "EC PRIVATE KEY":
          b.refuseEncrypted(source);
          return sec1(b.der(source), source);
        case "DSA PRIVATE KEY":
          b.refuseEncrypted(source);
          throw invalid(
              source
                  + " is an old-style DSA PRIVATE KEY: convert it to PKCS#8 with '"
                  + TO_PKCS8
                  + "'");
        default:
          // not a key: look further
      }
    }
    throw invalid(
        source
            + " holds no '-----BEGIN PRIVATE KEY-----' block (nor an RSA or EC PRIVATE KEY"
            + " block)");
  }

  /**
   * Reads the first private key of a PEM file, as {@link #privateKey(String, String)}.
   *
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if the file cannot be read or
   *     holds no readable private key
   */
  public static PrivateKey privateKey(Path file) {
    return privateKey(read(file), file.toString());
  }

  /**
   * Whether {@code key} belongs to {@code publicKey}: it signs something the public key verifies.
   */
  public static boolean matches(PrivateKey key, PublicKey publicKey) {
    requireNonNull(key, "key");
    requireNonNull(publicKey, "publicKey");
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "EdDSA", "Ed25519", "Ed448" -> "EdDSA"; // either curve, as the key says
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

  // ---- writing ---------------------------------------------------------------------------------

  /** Writes certificates as consecutive {@code CERTIFICATE} blocks, 64 characters a line. */
  public static String encode(List<X509Certificate> chain) {
    StringBuilder sb = new StringBuilder();
    try {
      for (X509Certificate c : chain) {
        sb.append(block("CERTIFICATE", requireNonNull(c, "certificate").getEncoded()));
      }
    } catch (CertificateException e) {
      throw invalid("a certificate cannot be encoded: " + e.getMessage());
    }
    return sb.toString();
  }

  /**
   * Writes a private key as an unencrypted PKCS#8 {@code PRIVATE KEY} block.
   *
   * @throws ClusterException with {@link ErrorCode#INVALID_VALUE} if the key cannot be exported
   */
  public static String encode(PrivateKey key) {
    byte[] der = requireNonNull(key, "key").getEncoded();
    if (der == null || !"PKCS#8".equals(key.getFormat())) {
      throw invalid(
          "the "
              + key.getAlgorithm()
              + " private key cannot be exported (a hardware key?): use a key held in a file");
    }
    return block("PRIVATE KEY", der);
  }

  private static String block(String type, byte[] der) {
    String base64 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
  }

  // ---- PEM blocks ------------------------------------------------------------------------------

  /** One {@code -----BEGIN type-----} … {@code -----END type-----} block. */
  private record Block(String type, List<String> headers, String base64) {
    byte[] der(String source) {
      if (!BASE64.matcher(base64).matches()) {
        throw invalid(source + ": its " + type + " block is not valid base64");
      }
      try {
        byte[] der = Base64.getMimeDecoder().decode(base64);
        if (der.length == 0) {
          throw invalid(source + ": its " + type + " block is empty");
        }
        return der;
      } catch (IllegalArgumentException e) {
        throw invalid(
            source + ": its " + type + " block is not valid base64 (" + e.getMessage() + ")");
      }
    }

    void refuseEncrypted(String source) {
      for (String h : headers) {
        if (h.toUpperCase(Locale.ROOT).replace(" ", "").startsWith("PROC-TYPE:4,ENCRYPTED")) {
          throw invalid(source + " is encrypted: " + DECRYPT);
        }
      }
    }
  }

  private static List<Block> blocks(String pem, String source) {
    List<Block> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(pem);
    while (m.find()) {
      String type = m.group(1);
      if (!type.equals(m.group(3))) {
        throw invalid(
            source
                + ": a '-----BEGIN "
                + type
                + "-----' block ends with '-----END "
                + m.group(3)
                + "-----'; check that the file is whole");
      }
      // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: …") come first, then a blank line.
      List<String> headers = new ArrayList<>();
      StringBuilder base64 = new StringBuilder();
      for (String line : m.group(2).split("\r?\n|\r")) {
        String text = line.trim();
        if (text.isEmpty()) {
          continue;
        }
        if (base64.length() == 0 && text.contains(":")) {
          headers.add(text);
        } else {
          base64.append(text).append('\n');
        }
      }
      out.add(new Block(type, List.copyOf(headers), base64.toString()));
    }
    return out;
  }

  private static String read(Path file) {
    requireNonNull(file, "file");
    try {
      // Latin-1 decodes any byte: what is not PEM is skipped, not a decoding failure.
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw invalid(file + " cannot be read (" + e + "): check the path and its permissions");
    }
  }

  // ---- private key forms -----------------------------------------------------------------------

  private static PrivateKey pkcs8(byte[] der, String source) {
    for (String algorithm : PKCS8_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException | RuntimeException e) {
        // try the next algorithm
      }
    }
    throw invalid(
        source
            + " cannot be read as an RSA, EC, EdDSA or DSA private key in PKCS#8 form; check"
            + " that the file is whole");
  }

  /** PKCS#1 {@code RSAPrivateKey}: wrapped in a PKCS#8 {@code PrivateKeyInfo} for the JDK. */
  private static PrivateKey pkcs1(byte[] der, String source) {
    try {
      new Der(der).sequence(); // the whole block is one SEQUENCE
      byte[] info = tlv(0x30, concat(VERSION_0, RSA_ALGORITHM, tlv(0x04, der)));
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(info));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw invalid(
          source
              + " is an RSA PRIVATE KEY (PKCS#1) block that cannot be read ("
              + e.getMessage()
              + "): check that the file is whole ('"
              + TO_PKCS8
              + "' shows whether OpenSSL can read it)");
    }
  }

  /**
   * SEC1 {@code ECPrivateKey}: wrapped in a PKCS#8 {@code PrivateKeyInfo} whose algorithm names the
   * curve from the key's own {@code [0]} parameters.
   */
  private static PrivateKey sec1(byte[] der, String source) {
    byte[] curve;
    try {
      Der key = new Der(der).sequence();
      key.skip(0x02); // version
      key.skip(0x04); // the private key
      curve = key.atEnd() || key.peek() != 0xa0 ? null : key.contents(0xa0);
    } catch (RuntimeException e) {
      throw invalid(
          source
              + " is an EC PRIVATE KEY (SEC1) block that cannot be read ("
              + e.getMessage()
              + ")");
    }
    if (curve == null) {
      throw invalid(
          source
              + " is an EC PRIVATE KEY that names no curve: convert it to PKCS#8 with '"
              + TO_PKCS8
              + "'");
    }
    if (curve.length == 0 || curve[0] != 0x06) {
      throw invalid(
          source
              + " is an EC PRIVATE KEY with explicit curve parameters: write it with a named curve"
              + " (openssl ec -param_enc named_curve -in key.pem -out named.pem)");
    }
    try {
      byte[] algorithm = tlv(0x30, concat(EC_PUBLIC_KEY_OID, curve));
      byte[] info = tlv(0x30, concat(VERSION_0, algorithm, tlv(0x04, der)));
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(info));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw invalid(
          source
              + " is an EC PRIVATE KEY (SEC1) block that cannot be read ("
              + e.getMessage()
              + "): check that the file is whole and its curve is one Java supports");
    }
  }

  /** A minimal reader of DER tag-length-value items, enough to find a SEC1 key's curve. */
  private static final class Der {
    private final byte[] b;
    private int pos;
    private final int end;

    Der(byte[] b) {
      this(b, 0, b.length);
    }

    private Der(byte[] b, int from, int end) {
      this.b = b;
      this.pos = from;
      this.end = end;
    }

    boolean atEnd() {
      return pos >= end;
    }

    int peek() {
      if (atEnd()) {
        throw new IllegalArgumentException("the DER ends early");
      }
      return b[pos] & 0xff;
    }

    /** Reads a SEQUENCE that spans everything left and returns a reader of its contents. */
    Der sequence() {
      int[] span = item(0x30);
      if (span[1] != end) {
        throw new IllegalArgumentException("bytes follow the DER SEQUENCE");
      }
      return new Der(b, span[0], span[1]);
    }

    void skip(int tag) {
      item(tag);
    }

    byte[] contents(int tag) {
      int[] span = item(tag);
      return Arrays.copyOfRange(b, span[0], span[1]);
    }

    /** Reads one item of {@code tag}; returns its contents' start and end. */
    private int[] item(int tag) {
      if (peek() != tag) {
        throw new IllegalArgumentException(
            String.format(Locale.ROOT, "expected DER tag 0x%02x but found 0x%02x", tag, peek()));
      }
      pos++;
      if (atEnd()) {
        throw new IllegalArgumentException("the DER ends early");
      }
      int first = b[pos++] & 0xff;
      long length;
      if (first < 0x80) {
        length = first;
      } else {
        int bytes = first & 0x7f;
        if (bytes == 0 || bytes > 4 || end - pos < bytes) {
          throw new IllegalArgumentException("a DER length is malformed");
        }
        length = 0;
        for (int i = 0; i < bytes; i++) {
          length = (length << 8) | (b[pos++] & 0xff);
        }
      }
      if (length > end - pos) {
        throw new IllegalArgumentException("a DER item is longer than its data");
      }
      int start = pos;
      pos += (int) length;
      return new int[] {start, pos};
    }
  }

  private static byte[] tlv(int tag, byte[] contents) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(contents.length + 6);
    out.write(tag);
    int n = contents.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      int bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write(n >>> (8 * i));
      }
    }
    out.writeBytes(contents);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static ClusterException invalid(String message) {
    return new ClusterException(ErrorCode.INVALID_VALUE, message);
  }
}
