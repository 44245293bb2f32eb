package org.mailcluster.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * A node's certificate names one node: a subject with two common names, as separate parts or in one
 * multi-valued part, names none, so the identity layer refuses it rather than taking the first.
 */
class CommonNamesTest {
  private static X509Certificate certificate(X500Name subject) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    Instant now = Instant.now();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            subject,
            BigInteger.TEN,
            Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(Duration.ofDays(1))),
            subject,
            pair.getPublic());
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
  }

  @Test
  void oneCommonNameNamesTheNode() throws Exception {
    X509Certificate c =
        certificate(
            new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "mailcluster")
                .addRDN(BCStyle.CN, "mx2")
                .build());
    assertEquals(List.of("mx2"), TransportSecurity.commonNames(c));
    assertEquals(Optional.of("mx2"), TransportSecurity.commonName(c));
  }

  @Test
  void twoCommonNamesNameNoNode() throws Exception {
    X509Certificate separate =
        certificate(
            new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, "mx2")
                .addRDN(BCStyle.CN, "mx1")
                .build());
    assertEquals(2, TransportSecurity.commonNames(separate).size());
    assertEquals(Optional.empty(), TransportSecurity.commonName(separate));
    X509Certificate multiValued =
        certificate(
            new X500NameBuilder(BCStyle.INSTANCE)
                .addMultiValuedRDN(
                    new AttributeTypeAndValue[] {
                      new AttributeTypeAndValue(BCStyle.CN, new DERUTF8String("mx2")),
                      new AttributeTypeAndValue(BCStyle.CN, new DERUTF8String("mx1"))
                    })
                .build());
    assertEquals(2, TransportSecurity.commonNames(multiValued).size());
    assertEquals(Optional.empty(), TransportSecurity.commonName(multiValued));
  }
}
