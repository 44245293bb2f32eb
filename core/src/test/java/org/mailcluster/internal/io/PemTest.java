package org.mailcluster.internal.io;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;

/**
 * The PEM forms of keys and certificates: files written by OpenSSL 3 (in {@code pem/} beside this
 * class) and keys generated with the JDK and re-encoded in each form.
 *
 * <p>The files were made with {@code openssl req -x509 -newkey rsa:2048 -nodes} (rsa-pkcs8,
 * rsa-cert), {@code openssl rsa -traditional} (rsa-pkcs1), {@code openssl ecparam -name prime256v1
 * -genkey} (ec-sec1, with its EC PARAMETERS block), {@code openssl req -x509 -key} (ec-cert),
 * {@code openssl pkcs8 -topk8 -nocrypt} (ec-pkcs8), {@code openssl ec -param_enc explicit} and
 * {@code -no_public}, {@code openssl genpkey -algorithm ed25519}, {@code openssl pkcs8 -topk8 -v2
 * aes-256-cbc} and {@code openssl rsa -aes256 -traditional} (the encrypted ones, password
 * "secret"), and {@code openssl gendsa} with {@code openssl pkey -traditional} (dsa-legacy). They
 * are test keys and protect nothing.
 */
class PemTest {
  @TempDir Path dir;

  private static String resource(String name) throws IOException {
    try (InputStream in = PemTest.class.getResourceAsStream("pem/" + name)) {
      if (in == null) {
        throw new IOException("no test resource pem/" + name);
      }
      return new String(in.readAllBytes(), US_ASCII);
    }
  }

  private static ClusterException invalid(Runnable parse) {
    ClusterException e = assertThrows(ClusterException.class, parse::run);
    assertEquals(ErrorCode.INVALID_VALUE, e.code(), e.getMessage());
    return e;
  }

  // ---- private keys written by OpenSSL ---------------------------------------------------------

  @Test
  void anRsaKeyReadsTheSameAsPkcs8AndAsPkcs1() throws IOException {
    X509Certificate cert = Pem.certificates(resource("rsa-cert.pem"), "rsa-cert.pem").get(0);
    PrivateKey pkcs8 = Pem.privateKey(resource("rsa-pkcs8.pem"), "rsa-pkcs8.pem");
    PrivateKey pkcs1 = Pem.privateKey(resource("rsa-pkcs1.pem"), "rsa-pkcs1.pem");
    assertEquals("RSA", pkcs8.getAlgorithm());
    assertArrayEquals(pkcs8.getEncoded(), pkcs1.getEncoded());
    assertTrue(Pem.matches(pkcs1, cert.getPublicKey()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ec-sec1.pem", "ec-sec1-no-public.pem", "ec-pkcs8.pem"})
  void anEcKeyReadsTheSameInEveryForm(String file) throws IOException {
    // ec-sec1.pem starts with the EC PARAMETERS block that 'openssl ecparam -genkey' writes.
    X509Certificate cert = Pem.certificates(resource("ec-cert.pem"), "ec-cert.pem").get(0);
    ECPrivateKey expected = (ECPrivateKey) Pem.privateKey(resource("ec-pkcs8.pem"), "pkcs8");
    ECPrivateKey key = (ECPrivateKey) Pem.privateKey(resource(file), file);
    assertEquals(expected.getS(), key.getS());
    assertEquals(expected.getParams().getCurve(), key.getParams().getCurve());
    assertTrue(Pem.matches(key, cert.getPublicKey()));
  }

  @Test
  void anEd25519KeyIsRead() throws IOException {
    assertEquals(
        "EdDSA", Pem.privateKey(resource("ed25519-pkcs8.pem"), "ed25519.pem").getAlgorithm());
  }

  @ParameterizedTest
  @ValueSource(strings = {"rsa-encrypted-pkcs8.pem", "rsa-encrypted-pkcs1.pem"})
  void anEncryptedKeyIsRefusedWithTheCommandThatDecryptsIt(String file) throws IOException {
    String pem = resource(file);
    ClusterException e = invalid(() -> Pem.privateKey(pem, file));
    assertTrue(e.getMessage().startsWith(file + " is encrypted"), e.getMessage());
    assertTrue(e.getMessage().contains("openssl pkey -in key.pem -out plain.pem"), e.getMessage());
  }

  @Test
  void formsThatJavaCannotTakeAsTheyAreAreRefusedWithTheCommandThatConvertsThem()
      throws IOException {
    String explicit = resource("ec-explicit.pem");
    ClusterException e = invalid(() -> Pem.privateKey(explicit, "ec-explicit.pem"));
    assertTrue(e.getMessage().contains("explicit curve parameters"), e.getMessage());
    assertTrue(e.getMessage().contains("-param_enc named_curve"), e.getMessage());

    String dsa = resource("dsa-legacy.pem");
    e = invalid(() -> Pem.privateKey(dsa, "dsa-legacy.pem"));
    assertTrue(e.getMessage().contains("old-style DSA PRIVATE KEY"), e.getMessage());
    assertTrue(e.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"), e.getMessage());
  }

  // ---- keys generated with the JDK, in each form -----------------------------------------------

  @ParameterizedTest
  @CsvSource({"RSA, 2048", "EC, secp256r1", "EC, secp384r1", "Ed25519, -", "Ed448, -", "DSA, 2048"})
  void aJdkKeyRoundTripsThroughPkcs8(String algorithm, String size) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
    if (algorithm.equals("EC")) {
      generator.initialize(new ECGenParameterSpec(size));
    } else if (!size.equals("-")) {
      generator.initialize(Integer.parseInt(size));
    }
    KeyPair pair = generator.generateKeyPair();
    String pem = Pem.encode(pair.getPrivate());
    assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----\n"), pem);
    PrivateKey read = Pem.privateKey(pem, "generated");
    assertArrayEquals(pair.getPrivate().getEncoded(), read.getEncoded());
    assertTrue(Pem.matches(read, pair.getPublic()));
  }

  @Test
  void aJdkRsaKeyInPkcs1FormIsRead() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair pair = generator.generateKeyPair();
    byte[] pkcs1 = items(contents(pair.getPrivate().getEncoded())).get(2); // the OCTET STRING
    String pem = block("RSA PRIVATE KEY", contents(pkcs1));
    assertArrayEquals(pair.getPrivate().getEncoded(), Pem.privateKey(pem, "pkcs1").getEncoded());
  }

  @Test
  void aJdkEcKeyInSec1FormIsReadWithTheCurveItNames() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair pair = generator.generateKeyPair();
    List<byte[]> info = items(contents(pair.getPrivate().getEncoded()));
    byte[] curve = items(contents(info.get(1))).get(1);
    byte[] sec1 = contents(info.get(2));
    // SEC1 as OpenSSL writes it: version, private key, then [0] the named curve.
    byte[] withCurve = tlv(0x30, concat(contents(sec1), tlv(0xa0, curve)));
    ECPrivateKey read = (ECPrivateKey) Pem.privateKey(block("EC PRIVATE KEY", withCurve), "sec1");
    assertEquals(((ECPrivateKey) pair.getPrivate()).getS(), read.getS());
    assertTrue(Pem.matches(read, pair.getPublic()));

    // Without [0] the curve is unknown.
    String noCurve = block("EC PRIVATE KEY", sec1);
    ClusterException e = invalid(() -> Pem.privateKey(noCurve, "bare.pem"));
    assertTrue(e.getMessage().startsWith("bare.pem is an EC PRIVATE KEY that names no curve"));
  }

  @Test
  void aKeyOfAnotherCertificateDoesNotMatch() throws IOException {
    X509Certificate ec = Pem.certificates(resource("ec-cert.pem"), "ec").get(0);
    X509Certificate rsa = Pem.certificates(resource("rsa-cert.pem"), "rsa").get(0);
    assertFalse(Pem.matches(Pem.privateKey(resource("rsa-pkcs8.pem"), "k"), ec.getPublicKey()));
    assertFalse(Pem.matches(Pem.privateKey(resource("ec-pkcs8.pem"), "k"), rsa.getPublicKey()));
  }

  // ---- certificates ----------------------------------------------------------------------------

  @Test
  void aChainIsReadInOrderPastTextAndOtherBlocks() throws IOException {
    String rsa = resource("rsa-cert.pem");
    String ec = resource("ec-cert.pem");
    String mixed =
        "subject=CN = rsa.pem.test\r\n"
            + rsa.replace("\n", "\r\n")
            + resource("ec-pkcs8.pem")
            + "issuer=CN = ec.pem.test\n"
            + ec;
    List<X509Certificate> chain = Pem.certificates(mixed, "mixed");
    assertEquals(2, chain.size());
    assertEquals("CN=rsa.pem.test", chain.get(0).getSubjectX500Principal().getName());
    assertEquals("CN=ec.pem.test", chain.get(1).getSubjectX500Principal().getName());
    // What is written reads back the same, and OpenSSL's layout is the one written.
    assertEquals(chain, Pem.certificates(Pem.encode(chain), "encoded"));
    assertEquals(rsa + ec, Pem.encode(chain));
    // A key file with a certificate in front of it still yields its key.
    assertTrue(Pem.privateKey(mixed, "mixed").getAlgorithm().equals("EC"));
  }

  @Test
  void filesAreReadAndAMissingOneIsNamed() throws IOException {
    Path cert = Files.writeString(dir.resolve("node.pem"), resource("ec-cert.pem"));
    Path key = Files.writeString(dir.resolve("node-key.pem"), resource("ec-sec1.pem"));
    assertTrue(Pem.matches(Pem.privateKey(key), Pem.certificates(cert).get(0).getPublicKey()));

    Path missing = dir.resolve("missing.pem");
    ClusterException e = invalid(() -> Pem.certificates(missing));
    assertTrue(e.getMessage().startsWith(missing + " cannot be read"), e.getMessage());
    e = invalid(() -> Pem.privateKey(missing));
    assertTrue(e.getMessage().contains("check the path and its permissions"), e.getMessage());
  }

  // ---- garbage ---------------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "key | hello | holds no '-----BEGIN PRIVATE KEY-----' block",
        "key | -----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE----- | holds no '-----BEGIN",
        "key | -----BEGIN PRIVATE KEY-----\\n!!!!\\n-----END PRIVATE KEY----- | is not valid base64",
        "key | -----BEGIN PRIVATE KEY-----\\n\\n-----END PRIVATE KEY----- | block is empty",
        "key | -----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY----- | in PKCS#8 form",
        "key | -----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END RSA PRIVATE KEY----- | ends with '-----END",
        "key | -----BEGIN RSA PRIVATE KEY-----\\nAA==\\n-----END RSA PRIVATE KEY----- | openssl pkcs8",
        "key | -----BEGIN RSA PRIVATE KEY-----\\nMAMCAQA=\\n-----END RSA PRIVATE KEY----- | (PKCS#1)",
        "key | -----BEGIN EC PRIVATE KEY-----\\nMAA=\\n-----END EC PRIVATE KEY----- | (SEC1) block",
        "key | -----BEGIN EC PRIVATE KEY-----\\nMIIB\\n-----END EC PRIVATE KEY----- | (SEC1) block",
        "chain | \"\" | holds no '-----BEGIN CERTIFICATE-----' block",
        "chain | hello | holds no '-----BEGIN CERTIFICATE-----' block",
        "chain | -----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE----- | certificate 1 cannot",
        "chain | -----BEGIN CERTIFICATE-----\\n%%%\\n-----END CERTIFICATE----- | is not valid base64",
      })
  void garbageIsAnInvalidValueThatSaysWhatIsWrong(String kind, String text, String problem) {
    String pem = text.replace("\\n", "\n");
    String source = kind.equals("key") ? "the private key" : "the certificate chain";
    ClusterException e =
        invalid(
            () -> {
              if (kind.equals("key")) {
                Pem.privateKey(pem, source);
              } else {
                Pem.certificates(pem, source);
              }
            });
    assertTrue(e.getMessage().startsWith(source), e.getMessage());
    assertTrue(e.getMessage().contains(problem.trim()), e.getMessage());
    assertEquals(null, e.getCause(), "no parser exception inside");
  }

  @Test
  void aTruncatedCertificateIsInvalid() throws IOException {
    String cert = resource("rsa-cert.pem");
    String[] lines = cert.split("\n");
    String truncated =
        String.join("\n", Arrays.copyOfRange(lines, 0, lines.length / 2))
            + "\n-----END CERTIFICATE-----\n";
    ClusterException e = invalid(() -> Pem.certificates(truncated, "chain.pem"));
    assertTrue(e.getMessage().contains("check that the file is whole"), e.getMessage());
  }

  // ---- DER helpers for building the forms ------------------------------------------------------

  private static String block(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  /** The contents of one DER item (tag, length, contents). */
  private static byte[] contents(byte[] item) {
    int[] h = header(item, 0);
    return Arrays.copyOfRange(item, h[0], h[0] + h[1]);
  }

  /** The items, tag and length included, that {@code contents} holds one after another. */
  private static List<byte[]> items(byte[] contents) {
    List<byte[]> out = new ArrayList<>();
    for (int pos = 0; pos < contents.length; ) {
      int[] h = header(contents, pos);
      out.add(Arrays.copyOfRange(contents, pos, h[0] + h[1]));
      pos = h[0] + h[1];
    }
    return out;
  }

  /** Returns the start and the length of the contents of the item at {@code pos}. */
  private static int[] header(byte[] b, int pos) {
    int first = b[pos + 1] & 0xff;
    if (first < 0x80) {
      return new int[] {pos + 2, first};
    }
    int length = 0;
    int bytes = first & 0x7f;
    for (int i = 0; i < bytes; i++) {
      length = (length << 8) | (b[pos + 2 + i] & 0xff);
    }
    return new int[] {pos + 2 + bytes, length};
  }

  private static byte[] tlv(int tag, byte[] contents) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    if (contents.length < 0x80) {
      out.write(contents.length);
    } else if (contents.length < 0x100) {
      out.write(0x81);
      out.write(contents.length);
    } else {
      out.write(0x82);
      out.write(contents.length >> 8);
      out.write(contents.length);
    }
    out.writeBytes(contents);
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
