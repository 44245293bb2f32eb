package org.mailcluster.internal.services;

import static java.util.Objects.requireNonNull;

import com.google.common.hash.Hashing;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.mailcluster.ClusterException;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.certificates.AcmeClient;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.certificates.CertificateSettings;
import org.mailcluster.certificates.Certificates;
import org.mailcluster.certificates.IssuedCertificate;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.config.SettingKey;
import org.mailcluster.internal.io.AtomicWriter;
import org.mailcluster.internal.io.Pem;
import org.mailcluster.internal.node.NodeSettings;
import org.mailcluster.spi.Scheduler;

/**
 * Certificates (requirements R20–R22 in docs/REQUIREMENTS.md): {@code cert/<name>/chain} and {@code
 * cert/<name>/key} in the replicated state, as PEM. Imports are validated on the primary before
 * they are committed; every node checks what it has after each change that touches certificates or
 * TLS settings, and every hour (validity runs out with time), writes the files, and reports a check
 * that would break TLS as an error.
 */
public final class CertificateService implements Certificates {
  static final String NAMESPACE = "cert";
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9.-]{0,63}");
  private static final Duration RECHECK = Duration.ofHours(1);
  private static final Duration EXPIRY_WARNING = Duration.ofDays(14);
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");

  private final NodeContext node;
  private final NodeSettings settings;
  private final Scheduler scheduler;
  private final Optional<Path> directory;
  // Loop-confined: what was last written per file, and the problems last reported per name.
  private final Map<Path, String> written = new HashMap<>();
  private final Map<String, List<String>> reported = new HashMap<>();
  private volatile List<CertificateCheck> checks = List.of();

  CertificateService(NodeContext node, NodeSettings settings, Scheduler scheduler) {
    this.node = node;
    this.settings = settings;
    this.scheduler = scheduler;
    this.directory = settings.services().certificateDirectory();
  }

  void start() {
    recheck();
  }

  void onApplied(ConfigDiff diff) {
    for (ConfigDiff.Change c : diff.changes()) {
      if (c.key().startsWith(NAMESPACE + "/")
          || c.key().startsWith(CertificateSettings.ACTIVE.key().stateKey())
          || c.key().startsWith(CertificateSettings.HOST_NAME.key().stateKey())) {
        recheck();
        return;
      }
    }
  }

  /** Runs every hour until the node closes (the caller schedules it). */
  Duration recheckInterval() {
    return RECHECK;
  }

  // ---- host API ------------------------------------------------------------------------

  @Override
  public CompletableFuture<Revision> importPem(String name, String chainPem, String keyPem) {
    requireNonNull(chainPem, "chainPem");
    requireNonNull(keyPem, "keyPem");
    checkName(name);
    try {
      List<X509Certificate> chain = Pem.certificates(chainPem, "the certificate chain");
      PrivateKey key = Pem.privateKey(keyPem, "the private key");
      return store(name, chain, key, "certificates:import " + name);
    } catch (ClusterException e) {
      return CompletableFuture.failedFuture(
          new ClusterException(
              e.code(), "certificate '" + name + "' was not imported: " + e.getMessage(), e));
    }
  }

  @Override
  public CompletableFuture<Revision> importPkcs12(String name, byte[] pkcs12, char[] password) {
    requireNonNull(pkcs12, "pkcs12");
    requireNonNull(password, "password");
    checkName(name);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(new ByteArrayInputStream(pkcs12), password);
      Enumeration<String> aliases = store.aliases();
      while (aliases.hasMoreElements()) {
        String alias = aliases.nextElement();
        if (!store.isKeyEntry(alias)) {
          continue;
        }
        Key key = store.getKey(alias, password);
        Certificate[] chain = store.getCertificateChain(alias);
        if (key instanceof PrivateKey pk && chain != null && chain.length > 0) {
          List<X509Certificate> certs = new ArrayList<>();
          for (Certificate c : chain) {
            certs.add((X509Certificate) c);
          }
          return store(name, certs, pk, "certificates:import " + name + " (PKCS#12)");
        }
      }
      return CompletableFuture.failedFuture(
          new ClusterException(
              ErrorCode.INVALID_VALUE,
              "certificate '"
                  + name
                  + "' was not imported: the PKCS#12 file holds no private key with a certificate"));
    } catch (IOException | GeneralSecurityException e) {
      return CompletableFuture.failedFuture(
          new ClusterException(
              ErrorCode.INVALID_VALUE,
              "certificate '"
                  + name
                  + "' was not imported: the PKCS#12 file cannot be read ("
                  + e.getMessage()
                  + "); check the file and its password",
              e));
    } catch (ClusterException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<Revision> renew(AcmeClient client) {
    requireNonNull(client, "client");
    if (node.role() != Role.PRIMARY) {
      return CompletableFuture.failedFuture(
          new ClusterException(
              ErrorCode.NOT_PRIMARY,
              "ACME renewal runs on the primary only, not on "
                  + settings.id()
                  + ": renewed certificates reach this node by replication"
                  + settings
                      .primaryAddress()
                      .map(a -> " (the primary is at " + a + ")")
                      .orElse("")));
    }
    ConfigSnapshot state = node.configuration();
    if (!CertificateSettings.ACME_ENABLED.read(state)) {
      return CompletableFuture.failedFuture(
          new ClusterException(
              ErrorCode.INVALID_VALUE,
              "ACME is not enabled: set "
                  + CertificateSettings.ACME_ENABLED.key().stateKey()
                  + " to Yes on the primary first"));
    }
    List<String> domains = CertificateSettings.ACME_DOMAINS.read(state);
    String email = CertificateSettings.ACME_EMAIL.read(state);
    if (domains.isEmpty() || email.isBlank()) {
      return CompletableFuture.failedFuture(
          new ClusterException(
              ErrorCode.INVALID_VALUE,
              "ACME needs "
                  + CertificateSettings.ACME_DOMAINS.key().stateKey()
                  + " and "
                  + CertificateSettings.ACME_EMAIL.key().stateKey()
                  + ": set both on the primary"));
    }
    String active = CertificateSettings.ACTIVE.read(state);
    String name = active.isBlank() ? "acme" : active;
    IssuedCertificate issued;
    try {
      issued = client.issue(domains, email);
    } catch (Exception e) {
      return CompletableFuture.failedFuture(
          new ClusterException(
              ErrorCode.UNAVAILABLE,
              "ACME renewal for " + domains + " failed: " + e.getMessage() + "; retry later",
              e));
    }
    return importPem(name, issued.chainPem(), issued.keyPem());
  }

  @Override
  public List<String> names() {
    Set<String> out = new TreeSet<>();
    node.configuration()
        .forEach(
            (k, v) -> {
              if (k.startsWith(NAMESPACE + "/")) {
                out.add(SettingKey.parse(k).path().get(0));
              }
            });
    return List.copyOf(out);
  }

  @Override
  public List<CertificateCheck> checks() {
    return checks;
  }

  private CompletableFuture<Revision> store(
      String name, List<X509Certificate> chain, PrivateKey key, String origin) {
    if (!Pem.matches(key, chain.get(0).getPublicKey())) {
      throw new ClusterException(
          ErrorCode.INVALID_VALUE,
          "the private key does not belong to the certificate "
              + chain.get(0).getSubjectX500Principal().getName()
              + ": import the key that was generated with it");
    }
    return node.update(
        ConfigUpdate.builder(origin)
            .setRaw(chainKey(name), Pem.encode(chain))
            .setRaw(keyKey(name), Pem.encode(key))
            .build());
  }

  private static void checkName(String name) {
    requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "certificate name must be lower-case letters, digits, '.' and '-' but was '"
              + name
              + "'");
    }
  }

  static SettingKey chainKey(String name) {
    return SettingKey.of(NAMESPACE, name, "chain");
  }

  static SettingKey keyKey(String name) {
    return SettingKey.of(NAMESPACE, name, "key");
  }

  // ---- checks --------------------------------------------------------------------------

  /** Checks every certificate (and the active name), writes the files, reports new errors. */
  void recheck() {
    ConfigSnapshot state = node.configuration();
    Set<String> names = new LinkedHashSet<>();
    String active = CertificateSettings.ACTIVE.read(state);
    if (!active.isBlank()) {
      names.add(active);
    }
    names.addAll(names());
    List<CertificateCheck> out = new ArrayList<>();
    for (String name : names) {
      CertificateCheck c = check(state, name, name.equals(active));
      out.add(c);
      List<String> before = reported.getOrDefault(name, List.of());
      if (!c.problems().equals(before)) {
        reported.put(name, c.problems());
        if (c.level() == CertificateCheck.Level.ERROR) {
          node.error(
              "certificate '"
                  + name
                  + "' on "
                  + settings.id()
                  + " would break TLS: "
                  + String.join("; ", c.problems()));
        } else if (c.level() == CertificateCheck.Level.WARN) {
          node.warn("certificate '" + name + "': " + String.join("; ", c.problems()));
        }
      }
    }
    removeStaleFiles(names);
    checks = List.copyOf(out);
    node.diagnosticsChanged();
  }

  private CertificateCheck check(ConfigSnapshot state, String name, boolean isActive) {
    List<String> problems = new ArrayList<>();
    CertificateCheck.Level level = CertificateCheck.Level.OK;
    Optional<String> chainPem = state.get(chainKey(name).stateKey());
    Optional<String> keyPem = state.get(keyKey(name).stateKey());
    if (chainPem.isEmpty() || keyPem.isEmpty()) {
      problems.add(
          "the configured certificate '"
              + name
              + "' is not in the cluster"
              + (chainPem.isPresent() ? " (its key is missing)" : "")
              + ": import it on the primary");
      return new CertificateCheck(
          name,
          CertificateCheck.Level.ERROR,
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          List.of(),
          Optional.empty(),
          problems);
    }
    List<X509Certificate> chain;
    try {
      chain = Pem.certificates(chainPem.get(), "the certificate chain");
    } catch (ClusterException e) {
      problems.add(e.getMessage() + ": import the certificate again on the primary");
      return new CertificateCheck(
          name,
          CertificateCheck.Level.ERROR,
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          List.of(),
          Optional.empty(),
          problems);
    }
    X509Certificate leaf = chain.get(0);
    List<String> hostNames = hostNames(leaf);
    try {
      PrivateKey key = Pem.privateKey(keyPem.get(), "the private key");
      if (!Pem.matches(key, leaf.getPublicKey())) {
        problems.add("the private key does not belong to the certificate: import the matching key");
        level = CertificateCheck.Level.ERROR;
      }
    } catch (ClusterException e) {
      problems.add(e.getMessage());
      level = CertificateCheck.Level.ERROR;
    }
    Instant now = scheduler.now();
    Instant notBefore = leaf.getNotBefore().toInstant();
    Instant notAfter = leaf.getNotAfter().toInstant();
    if (now.isBefore(notBefore)) {
      problems.add(
          "not valid before "
              + notBefore
              + " (this node's clock says "
              + now
              + "): check the clock, or wait");
      level = CertificateCheck.Level.ERROR;
    } else if (!now.isBefore(notAfter)) {
      problems.add("expired on " + notAfter + ": renew it and import it on the primary");
      level = CertificateCheck.Level.ERROR;
    } else if (now.plus(EXPIRY_WARNING).isAfter(notAfter)) {
      problems.add("expires on " + notAfter + ": renew it soon");
      level = worse(level, CertificateCheck.Level.WARN);
    }
    if (isActive) {
      String hostName = CertificateSettings.HOST_NAME.read(state);
      if (!hostName.isBlank() && !covers(hostNames, hostName)) {
        problems.add(
            "it does not cover the configured host name "
                + hostName
                + " (it covers "
                + hostNames
                + "): import a certificate for "
                + hostName);
        level = CertificateCheck.Level.ERROR;
      }
    }
    Optional<String> file = Optional.empty();
    if (directory.isPresent()) {
      try {
        Path chainFile = directory.get().resolve(name + ".pem");
        writeOwnerOnly(chainFile, chainPem.get());
        writeOwnerOnly(directory.get().resolve(name + ".key"), keyPem.get());
        file = Optional.of(chainFile.toString());
      } catch (IOException | RuntimeException e) {
        problems.add(
            "could not write its files in "
                + directory.get()
                + " ("
                + e
                + "): check that the directory is writable by the mail server");
        level = CertificateCheck.Level.ERROR;
      }
    }
    return new CertificateCheck(
        name,
        level,
        Optional.of(leaf.getSubjectX500Principal().getName()),
        Optional.of(notBefore),
        Optional.of(notAfter),
        hostNames,
        file,
        problems);
  }

  private static CertificateCheck.Level worse(CertificateCheck.Level a, CertificateCheck.Level b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  static List<String> hostNames(X509Certificate cert) {
    Set<String> out = new LinkedHashSet<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          Object type = san.get(0);
          if (type instanceof Integer t && (t == 2 || t == 7)) { // dNSName, iPAddress
            out.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // no usable SANs: fall back to the common name
    }
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          out.add(String.valueOf(rdn.getValue()).toLowerCase(Locale.ROOT));
        }
      }
    } catch (InvalidNameException e) {
      // no common name
    }
    return List.copyOf(out);
  }

  static boolean covers(List<String> names, String hostName) {
    String h = hostName.trim().toLowerCase(Locale.ROOT);
    for (String n : names) {
      if (n.equals(h)) {
        return true;
      }
      if (n.startsWith("*.")) {
        int dot = h.indexOf('.');
        if (dot > 0 && h.substring(dot).equals(n.substring(1))) {
          return true;
        }
      }
    }
    return false;
  }

  // ---- files ---------------------------------------------------------------------------

  /**
   * Replaces {@code target} atomically and durably with a file only its owner may read and write:
   * the temporary file is created with those permissions, so the content is never readable by
   * others, not even for an instant.
   */
  private void writeOwnerOnly(Path target, String content) throws IOException {
    String hash = Hashing.sha256().hashString(content, StandardCharsets.UTF_8).toString();
    if (hash.equals(written.get(target)) && Files.exists(target)) {
      return;
    }
    Path dir = target.getParent();
    if (!Files.isDirectory(dir)) {
      if (posix(dir.getRoot() == null ? Path.of(".") : dir.getRoot())) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
      } else {
        Files.createDirectories(dir);
      }
    }
    // Without POSIX permissions (Windows) the directory's access rules decide who reads them.
    AtomicWriter.durable()
        .withPermissions(AtomicWriter.Permissions.OWNER_ONLY)
        .write(target, content.getBytes(StandardCharsets.US_ASCII));
    written.put(target, hash);
  }

  private void removeStaleFiles(Set<String> names) {
    if (directory.isEmpty()) {
      return;
    }
    for (Path p : List.copyOf(written.keySet())) {
      String file = p.getFileName().toString();
      String name = file.substring(0, file.lastIndexOf('.'));
      if (!names.contains(name)) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          node.warn("could not delete the removed certificate file " + p + ": " + e.getMessage());
        }
        written.remove(p);
      }
    }
  }

  private static boolean posix(Path p) {
    return p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
