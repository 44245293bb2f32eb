package org.mailcluster.certificates;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.mailcluster.config.Revision;

/**
 * The certificate service of one node (requirements R20–R22 in docs/REQUIREMENTS.md). Certificates
 * are imported or replaced on the primary, as a PEM chain with its private key or as a PKCS#12
 * file, and replicated under {@code cert/<name>/}. Every node writes them to its certificate
 * directory with owner-only permissions (POSIX {@code rw-------}) by atomic replacement, and checks
 * them: they parse, the key matches the certificate, they are valid now, and the configured host
 * name ({@link CertificateSettings#HOST_NAME}) is covered. A check that finds TLS would break is an
 * {@code ERROR} in the diagnostics.
 *
 * <pre>{@code
 * Certificates certs = cluster.certificates();
 * certs.importPem("mail", Files.readString(chain), Files.readString(key)).join(); // on the primary
 * cluster.update(ConfigUpdate.builder("api:admin").set(CertificateSettings.ACTIVE, "mail").build());
 * certs.checks(); // on any node, once replicated
 * }</pre>
 *
 * <p>Private keys travel with the replicated state: use an encrypted, authenticated transport.
 */
public interface Certificates {
  /**
   * Imports or replaces a certificate from PEM text, on the primary.
   *
   * @param name the certificate's name: lower-case letters, digits, {@code .} and {@code -}
   * @param chainPem the leaf certificate followed by its intermediates
   * @param keyPem the private key, PKCS#8 ({@code BEGIN PRIVATE KEY})
   * @return the revision that carries it; fails with {@code NOT_PRIMARY} on a secondary and with
   *     {@code INVALID_VALUE} if the chain or key does not parse or the key does not match
   */
  CompletableFuture<Revision> importPem(String name, String chainPem, String keyPem);

  /**
   * Imports or replaces a certificate from a PKCS#12 file (its first key entry), on the primary.
   *
   * @return as {@link #importPem}; fails with {@code INVALID_VALUE} if the file or password is
   *     wrong
   */
  CompletableFuture<Revision> importPkcs12(String name, byte[] pkcs12, char[] password);

  /**
   * Renews the active certificate through ACME, on the primary only (requirement R22); the renewed
   * certificate replicates like any import. Calls {@code client} on the caller's thread.
   *
   * @return the revision that carries the renewed certificate; fails with {@code NOT_PRIMARY} on a
   *     secondary, and with {@code INVALID_VALUE} if ACME is not enabled or configured
   */
  CompletableFuture<Revision> renew(AcmeClient client);

  /** Returns the names of the certificates in the replicated state. */
  List<String> names();

  /** Returns this node's latest check of every certificate (and of the active name). */
  List<CertificateCheck> checks();
}
