package org.mailcluster.ini;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;

/**
 * Where a mail server keeps, in its INI files, the folders a cluster must put on shared storage
 * (requirements R12–R17 in docs/REQUIREMENTS.md) and the switches of the features a cluster cannot
 * run with (R23–R25).
 *
 * <p>{@link #mdaemon()} describes an MDaemon-style server ({@code MDaemon.ini}); a host whose keys
 * differ overrides them:
 *
 * <pre>{@code
 * MailServerProfile profile = MailServerProfile.mdaemon().toBuilder()
 *     .folder(SharedFolder.ARCHIVES, SettingKey.ini("MDaemon.ini", "Archiving", "Root"))
 *     .build();
 * SettingKey lockFiles = profile.folder(SharedFolder.LOCK_FILES);
 * for (Setting<Boolean> constraint : profile.clusterConstraints()) {
 *   registry.register(constraint);
 * }
 * }</pre>
 */
public final class MailServerProfile {
  private static final String MDAEMON_INI = "MDaemon.ini";
  private static final MailServerProfile MDAEMON = mdaemonDefaults();

  private final Map<SharedFolder, SettingKey> folders;
  private final Map<IncompatibleFeature, SettingKey> features;
  private final Set<String> files;

  /**
   * A folder that every node must reach on shared storage.
   *
   * <pre>{@code
   * SettingKey pem = MailServerProfile.mdaemon().folder(SharedFolder.PEM);
   * // config/MDaemon.ini/Directories/PEM
   * }</pre>
   */
  public enum SharedFolder {
    /** The root of all mailboxes (R12), MDaemon {@code [Directories] Users}. */
    MAILBOX_ROOT,
    /** Public folders (R12), MDaemon {@code [Directories] PublicFolders}. */
    PUBLIC_FOLDERS,
    /** Lock files (R14), MDaemon {@code [Directories] LockFiles}. */
    LOCK_FILES,
    /** The PEM directory of certificates and keys (R15), MDaemon {@code [Directories] PEM}. */
    PEM,
    /** Domain gateways (R17), MDaemon {@code [Directories] Gateways}. */
    GATEWAYS,
    /** Digests (R17), MDaemon {@code [Directories] Digests}. */
    DIGESTS,
    /** Archives (R17), MDaemon {@code [Directories] Archives}. */
    ARCHIVES,
    /**
     * The new-account template's mailbox path (R16), MDaemon {@code [NewAccountTemplate] MailDir}.
     */
    NEW_ACCOUNT_MAILBOX
  }

  /**
   * A feature that must be off while clustering is on.
   *
   * <pre>{@code
   * SettingKey linking = MailServerProfile.mdaemon().feature(IncompatibleFeature.ATTACHMENT_LINKING);
   * }</pre>
   */
  public enum IncompatibleFeature {
    /** Attachment linking (R23), MDaemon {@code [Special] AttachmentLinking}. */
    ATTACHMENT_LINKING,
    /** Automatic installation of updates (R24), MDaemon {@code [Updates] AutoInstall}. */
    AUTOMATIC_UPDATE_INSTALL,
    /** Binding domains to IP addresses (R25), MDaemon {@code [Special] DomainIPBinding}. */
    DOMAIN_IP_BINDING
  }

  private MailServerProfile(
      Map<SharedFolder, SettingKey> folders, Map<IncompatibleFeature, SettingKey> features) {
    this.folders = Collections.unmodifiableMap(new EnumMap<>(folders));
    this.features = Collections.unmodifiableMap(new EnumMap<>(features));
    Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    for (SettingKey key : folders.values()) {
      names.add(key.iniFile().orElseThrow());
    }
    for (SettingKey key : features.values()) {
      names.add(key.iniFile().orElseThrow());
    }
    this.files = Collections.unmodifiableSet(names);
  }

  /** Returns the profile of an MDaemon-style server, matching {@code MDaemon.ini}. */
  public static MailServerProfile mdaemon() {
    return MDAEMON;
  }

  /** Starts a profile in which every folder and feature key must be given. */
  public static Builder builder() {
    return new Builder(new EnumMap<>(SharedFolder.class), new EnumMap<>(IncompatibleFeature.class));
  }

  /** Returns a builder that starts from this profile; each key may be overridden once. */
  public Builder toBuilder() {
    return new Builder(new EnumMap<>(folders), new EnumMap<>(features));
  }

  /** Returns the INI key that holds {@code folder}'s path. */
  public SettingKey folder(SharedFolder folder) {
    return folders.get(requireNonNull(folder, "folder"));
  }

  /** Returns every shared folder's key. */
  public Map<SharedFolder, SettingKey> folders() {
    return folders;
  }

  /** Returns the INI key that switches {@code feature}. */
  public SettingKey feature(IncompatibleFeature feature) {
    return features.get(requireNonNull(feature, "feature"));
  }

  /** Returns every incompatible feature's key. */
  public Map<IncompatibleFeature, SettingKey> features() {
    return features;
  }

  /**
   * Returns the INI files that this profile's keys live in, in name order, compared
   * case-insensitively: the files a cluster of this mail server replicates at least, and those an
   * {@link IniConfigSource} manages unless told otherwise.
   *
   * <pre>{@code
   * MailServerProfile.mdaemon().files(); // [MDaemon.ini]
   * IniConfigSource.builder(dir).scheduler(scheduler).files(profile.files()).build();
   * }</pre>
   */
  public Set<String> files() {
    return files;
  }

  /**
   * Returns one boolean setting per incompatible feature, written {@code Yes}/{@code No}, that
   * defaults to off and must be off while clustering is on, ready to be registered.
   */
  public List<Setting<Boolean>> clusterConstraints() {
    return features.entrySet().stream()
        .map(
            e ->
                Setting.bool(e.getValue())
                    .defaultValue(false)
                    .clusterConstraint(false)
                    .description(describe(e.getKey()))
                    .build())
        .toList();
  }

  private static String describe(IncompatibleFeature feature) {
    return switch (feature) {
      case ATTACHMENT_LINKING -> "Attachment linking; cannot be used in a cluster";
      case AUTOMATIC_UPDATE_INSTALL ->
          "Automatic installation of updates; must be off in a cluster";
      case DOMAIN_IP_BINDING -> "Binding domains to IP addresses; must be off in a cluster";
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MailServerProfile other
        && folders.equals(other.folders)
        && features.equals(other.features);
  }

  @Override
  public int hashCode() {
    return folders.hashCode() * 31 + features.hashCode();
  }

  @Override
  public String toString() {
    return "MailServerProfile{folders=" + folders + ", features=" + features + "}";
  }

  private static MailServerProfile mdaemonDefaults() {
    Map<SharedFolder, SettingKey> folders = new EnumMap<>(SharedFolder.class);
    folders.put(SharedFolder.MAILBOX_ROOT, mdaemon("Directories", "Users"));
    folders.put(SharedFolder.PUBLIC_FOLDERS, mdaemon("Directories", "PublicFolders"));
    folders.put(SharedFolder.LOCK_FILES, mdaemon("Directories", "LockFiles"));
    folders.put(SharedFolder.PEM, mdaemon("Directories", "PEM"));
    folders.put(SharedFolder.GATEWAYS, mdaemon("Directories", "Gateways"));
    folders.put(SharedFolder.DIGESTS, mdaemon("Directories", "Digests"));
    folders.put(SharedFolder.ARCHIVES, mdaemon("Directories", "Archives"));
    folders.put(SharedFolder.NEW_ACCOUNT_MAILBOX, mdaemon("NewAccountTemplate", "MailDir"));
    Map<IncompatibleFeature, SettingKey> features = new EnumMap<>(IncompatibleFeature.class);
    features.put(IncompatibleFeature.ATTACHMENT_LINKING, mdaemon("Special", "AttachmentLinking"));
    features.put(IncompatibleFeature.AUTOMATIC_UPDATE_INSTALL, mdaemon("Updates", "AutoInstall"));
    features.put(IncompatibleFeature.DOMAIN_IP_BINDING, mdaemon("Special", "DomainIPBinding"));
    return new MailServerProfile(folders, features);
  }

  private static SettingKey mdaemon(String section, String key) {
    return SettingKey.ini(MDAEMON_INI, section, key);
  }

  /**
   * Builds a {@link MailServerProfile}. Each folder and feature may be set once per builder; keys
   * must be INI keys ({@link SettingKey#ini}).
   *
   * <pre>{@code
   * MailServerProfile custom = MailServerProfile.mdaemon().toBuilder()
   *     .folder(SharedFolder.LOCK_FILES, SettingKey.ini("Mail.ini", "Paths", "Locks"))
   *     .feature(IncompatibleFeature.DOMAIN_IP_BINDING, SettingKey.ini("Mail.ini", "Net", "Bind"))
   *     .build();
   * }</pre>
   */
  public static final class Builder {
    private final Map<SharedFolder, SettingKey> folders;
    private final Map<IncompatibleFeature, SettingKey> features;
    private final Set<SharedFolder> foldersSet = EnumSet.noneOf(SharedFolder.class);
    private final Set<IncompatibleFeature> featuresSet = EnumSet.noneOf(IncompatibleFeature.class);

    private Builder(
        Map<SharedFolder, SettingKey> folders, Map<IncompatibleFeature, SettingKey> features) {
      this.folders = folders;
      this.features = features;
    }

    /** Sets the INI key that holds {@code folder}'s path. */
    public Builder folder(SharedFolder folder, SettingKey key) {
      requireNonNull(folder, "folder");
      checkIni(key);
      if (!foldersSet.add(folder)) {
        throw new IllegalStateException(
            "folder " + folder + " was already set to " + folders.get(folder));
      }
      folders.put(folder, key);
      return this;
    }

    /** Sets the INI key that switches {@code feature}. */
    public Builder feature(IncompatibleFeature feature, SettingKey key) {
      requireNonNull(feature, "feature");
      checkIni(key);
      if (!featuresSet.add(feature)) {
        throw new IllegalStateException(
            "feature " + feature + " was already set to " + features.get(feature));
      }
      features.put(feature, key);
      return this;
    }

    /**
     * Builds the profile.
     *
     * @throws IllegalStateException if a folder or feature has no key
     */
    public MailServerProfile build() {
      for (SharedFolder f : SharedFolder.values()) {
        if (!folders.containsKey(f)) {
          throw new IllegalStateException("profile needs a key for folder " + f);
        }
      }
      for (IncompatibleFeature f : IncompatibleFeature.values()) {
        if (!features.containsKey(f)) {
          throw new IllegalStateException("profile needs a key for feature " + f);
        }
      }
      return new MailServerProfile(folders, features);
    }

    private static void checkIni(SettingKey key) {
      requireNonNull(key, "key");
      if (!key.isIni()) {
        throw new IllegalArgumentException(
            "'" + key + "' is not an INI key: use SettingKey.ini(file, section, key)");
      }
    }
  }
}
