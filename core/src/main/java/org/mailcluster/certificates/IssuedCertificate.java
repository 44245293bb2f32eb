package org.mailcluster.certificates;

import static java.util.Objects.requireNonNull;

/**
 * A certificate chain and its private key, as PEM text, as an {@link AcmeClient} returns it.
 *
 * <pre>{@code
 * return new IssuedCertificate(order.chainPem(), keyPair.privateKeyPem());
 * }</pre>
 *
 * @param chainPem the leaf certificate followed by its intermediates
 * @param keyPem the private key, PKCS#8 ({@code BEGIN PRIVATE KEY})
 */
public record IssuedCertificate(String chainPem, String keyPem) {
  /** Checks the parts. */
  public IssuedCertificate {
    requireNonNull(chainPem, "chainPem");
    requireNonNull(keyPem, "keyPem");
  }

  @Override
  public String toString() {
    return "IssuedCertificate[chain " + chainPem.length() + " chars, key hidden]";
  }
}
