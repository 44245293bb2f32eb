package org.mailcluster.certificates;

import java.util.List;

/**
 * Obtains a certificate from an ACME authority such as Let's Encrypt; supplied by the host, which
 * owns the HTTP or DNS challenge. The cluster runs it on the primary only (requirement R22 in
 * docs/REQUIREMENTS.md) and replicates what it returns.
 *
 * <pre>{@code
 * cluster.certificates().renew((domains, email) -> myAcme.order(domains, email)).join();
 * }</pre>
 */
@FunctionalInterface
public interface AcmeClient {
  /**
   * Orders a certificate; may block.
   *
   * @param domains the names to cover, first one as the subject
   * @param accountEmail the ACME account's contact address
   * @throws Exception if the authority refuses or cannot be reached
   */
  IssuedCertificate issue(List<String> domains, String accountEmail) throws Exception;
}
