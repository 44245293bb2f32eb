package org.mailcluster.certificates;

import java.util.List;
import org.mailcluster.config.Scope;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingType;

/**
 * The settings of the certificate service. Every node registers them in its registry if the host
 * has not. The TLS settings replicate (every node uses the same certificate, requirement R21 in
 * docs/REQUIREMENTS.md); the ACME settings are {@link Scope#PRIMARY_ONLY} (R22): hidden on
 * secondaries, used by the primary.
 *
 * <pre>{@code
 * cluster.update(ConfigUpdate.builder("api:admin")
 *     .set(CertificateSettings.ACTIVE, "mail")
 *     .set(CertificateSettings.HOST_NAME, "mail.example.com")
 *     .build());
 * }</pre>
 */
public final class CertificateSettings {
  /** The name of the certificate the mail server uses for TLS; empty for none. */
  public static final Setting<String> ACTIVE =
      Setting.string(SettingKey.plugin("tls", "certificate"))
          .defaultValue("")
          .description("The certificate the mail server uses for TLS")
          .build();

  /** The host name clients connect to; it must be covered by the active certificate. */
  public static final Setting<String> HOST_NAME =
      Setting.string(SettingKey.plugin("tls", "host-name"))
          .defaultValue("")
          .description("The host name the TLS certificate must cover")
          .build();

  /** Whether ACME renewal is on (primary only). */
  public static final Setting<Boolean> ACME_ENABLED =
      Setting.bool(SettingKey.plugin("acme", "enabled"))
          .defaultValue(false)
          .scope(Scope.PRIMARY_ONLY)
          .description("Renew the TLS certificate through ACME (runs on the primary only)")
          .build();

  /** The ACME account's contact address (primary only). */
  public static final Setting<String> ACME_EMAIL =
      Setting.string(SettingKey.plugin("acme", "account-email"))
          .defaultValue("")
          .scope(Scope.PRIMARY_ONLY)
          .description("The ACME account's contact address")
          .build();

  /** The names the ACME certificate covers, comma-separated (primary only). */
  public static final Setting<List<String>> ACME_DOMAINS =
      Setting.list(SettingKey.plugin("acme", "domains"), SettingType.string(), ',')
          .defaultValue(List.of())
          .scope(Scope.PRIMARY_ONLY)
          .description("The names the ACME certificate covers")
          .build();

  private CertificateSettings() {}

  /** Returns every setting of the certificate service. */
  public static List<Setting<?>> all() {
    return List.of(ACTIVE, HOST_NAME, ACME_ENABLED, ACME_EMAIL, ACME_DOMAINS);
  }
}
