package org.mailcluster.certificates;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What one node found when it checked one certificate: whether it parses, whether the key matches
 * it, whether it is valid now, whether the configured host name is in it, and whether its files are
 * written. {@link Level#ERROR} means TLS with this certificate would break on this node.
 *
 * <pre>{@code
 * cluster.certificates().checks().stream()
 *     .filter(c -> c.level() == CertificateCheck.Level.ERROR)
 *     .forEach(c -> alert(c.name() + ": " + c.problems()));
 * }</pre>
 *
 * @param name the certificate's name in the cluster, e.g. {@code mail}
 * @param level the worst finding
 * @param subject the leaf certificate's subject, if it parsed
 * @param notBefore start of validity, if it parsed
 * @param notAfter end of validity, if it parsed
 * @param hostNames the DNS names (and common name) it covers, if it parsed
 * @param file where this node wrote the chain, if it did
 * @param problems what is wrong, each with what to do; empty when {@code OK}
 */
public record CertificateCheck(
    String name,
    Level level,
    Optional<String> subject,
    Optional<Instant> notBefore,
    Optional<Instant> notAfter,
    List<String> hostNames,
    Optional<String> file,
    List<String> problems) {
  /** Copies the lists. */
  public CertificateCheck {
    requireNonNull(name, "name");
    requireNonNull(level, "level");
    requireNonNull(subject, "subject");
    requireNonNull(notBefore, "notBefore");
    requireNonNull(notAfter, "notAfter");
    requireNonNull(file, "file");
    hostNames = List.copyOf(hostNames);
    problems = List.copyOf(problems);
  }

  /** How bad a finding is. */
  public enum Level {
    /** Usable. */
    OK,
    /** Usable now, but needs attention (for example it expires within 14 days). */
    WARN,
    /** TLS with this certificate would fail on this node. */
    ERROR
  }
}
