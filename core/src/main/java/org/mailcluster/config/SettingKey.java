package org.mailcluster.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The name of an entry in the replicated state: a namespace followed by one or more path
 * components, written as {@code namespace/component/...}.
 *
 * <ul>
 *   <li>{@code config/<file>/<section>/<key>}: a key of an INI file the cluster manages ({@link
 *       #ini}). INI names are case-insensitive on Windows, so two such keys are equal when they
 *       differ only in letter case; {@link #stateKey()} keeps the spelling it was made with.
 *   <li>{@code setting/<plugin>/<name>}: a setting that a plugin registers and that lives in no
 *       file ({@link #plugin}). Compared exactly.
 *   <li>other namespaces ({@code member/}, {@code cert/}, {@code screening/}) for the cluster's own
 *       state ({@link #of(String, String...)}). Compared exactly.
 * </ul>
 *
 * <p>A {@code /} or {@code %} inside a component is escaped as {@code %2F} or {@code %25}, so an
 * INI section such as {@code [Paths/Windows]} still gives one unambiguous key. Components must be
 * non-empty and free of control characters.
 *
 * <pre>{@code
 * SettingKey lockFiles = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");
 * lockFiles.stateKey();  // "config/MDaemon.ini/Directories/LockFiles"
 * lockFiles.equals(SettingKey.parse("config/mdaemon.ini/DIRECTORIES/lockfiles")); // true
 * SettingKey threshold = SettingKey.plugin("antispam", "threshold");
 * }</pre>
 */
public final class SettingKey implements Comparable<SettingKey> {
  /** The namespace of INI-backed keys. */
  public static final String CONFIG_NAMESPACE = "config";

  /** The namespace of registry-only plugin settings. */
  public static final String SETTING_NAMESPACE = "setting";

  private static final Pattern NAMESPACE = Pattern.compile("[a-z][a-z0-9-]*");

  private final String stateKey;
  private final List<String> components;
  private final String comparisonForm;

  private SettingKey(String namespace, List<String> components) {
    StringBuilder sb = new StringBuilder(namespace);
    for (String c : components) {
      sb.append('/').append(escape(c));
    }
    this.stateKey = sb.toString();
    List<String> all = new ArrayList<>(components.size() + 1);
    all.add(namespace);
    all.addAll(components);
    this.components = List.copyOf(all);
    this.comparisonForm =
        namespace.equals(CONFIG_NAMESPACE) ? stateKey.toLowerCase(Locale.ROOT) : stateKey;
  }

  /**
   * Returns the key of an INI file's entry.
   *
   * @param file the file name relative to the managed directory, e.g. {@code MDaemon.ini}
   * @param section the section name without brackets, e.g. {@code Directories}
   * @param key the key name, e.g. {@code LockFiles}
   * @throws IllegalArgumentException if a part is empty or holds a control character
   */
  public static SettingKey ini(String file, String section, String key) {
    return of(CONFIG_NAMESPACE, file, section, key);
  }

  /**
   * Returns the key of a registry-only setting owned by a plugin.
   *
   * @param plugin the plugin's namespace: lower-case letters, digits and {@code -}, starting with a
   *     letter, e.g. {@code antispam}
   * @param name the setting's name, e.g. {@code threshold} or {@code limits/daily}
   * @throws IllegalArgumentException if the plugin namespace or the name is malformed
   */
  public static SettingKey plugin(String plugin, String name) {
    requireNonNull(plugin, "plugin");
    if (!NAMESPACE.matcher(plugin).matches()) {
      throw new IllegalArgumentException(
          "plugin namespace must be lower-case letters, digits and '-', starting with a letter, but"
              + " was '"
              + plugin
              + "'");
    }
    return of(SETTING_NAMESPACE, plugin, name);
  }

  /**
   * Returns a key from a namespace and unescaped components.
   *
   * @throws IllegalArgumentException if the namespace is malformed, there are no components, or a
   *     component is empty or holds a control character
   */
  public static SettingKey of(String namespace, String... components) {
    requireNonNull(namespace, "namespace");
    if (!NAMESPACE.matcher(namespace).matches()) {
      throw new IllegalArgumentException(
          "namespace must be lower-case letters, digits and '-', starting with a letter, but was '"
              + namespace
              + "'");
    }
    if (components.length == 0) {
      throw new IllegalArgumentException("key in namespace '" + namespace + "' needs a name");
    }
    for (String c : components) {
      checkComponent(namespace, c);
    }
    return new SettingKey(namespace, List.of(components));
  }

  /**
   * Parses a state key as written by {@link #stateKey()}.
   *
   * @throws IllegalArgumentException if the text is not a well-formed state key
   */
  public static SettingKey parse(String stateKey) {
    requireNonNull(stateKey, "stateKey");
    String[] parts = stateKey.split("/", -1);
    if (parts.length < 2) {
      throw new IllegalArgumentException(
          "state key must look like 'namespace/name', e.g. 'setting/antispam/threshold', but was '"
              + stateKey
              + "'");
    }
    String[] components = new String[parts.length - 1];
    for (int i = 1; i < parts.length; i++) {
      components[i - 1] = unescape(parts[i], stateKey);
    }
    // unescape() accepts only "%25" and "%2F", so the result re-escapes to exactly stateKey.
    return of(parts[0], components);
  }

  /**
   * Returns the string form used in the replicated state, e.g. {@code
   * config/MDaemon.ini/SSL/Ports}.
   */
  public String stateKey() {
    return stateKey;
  }

  /** Returns the namespace, e.g. {@code config}. */
  public String namespace() {
    return components.get(0);
  }

  /** Returns the unescaped components after the namespace. */
  public List<String> path() {
    return components.subList(1, components.size());
  }

  /** Returns whether this names an INI file's entry ({@code config/<file>/<section>/<key>}). */
  public boolean isIni() {
    return namespace().equals(CONFIG_NAMESPACE) && components.size() == 4;
  }

  /** Returns the INI file name, if this names an INI entry. */
  public Optional<String> iniFile() {
    return isIni() ? Optional.of(components.get(1)) : Optional.empty();
  }

  /** Returns the INI section name, if this names an INI entry. */
  public Optional<String> iniSection() {
    return isIni() ? Optional.of(components.get(2)) : Optional.empty();
  }

  /** Returns the INI key name, if this names an INI entry. */
  public Optional<String> iniKey() {
    return isIni() ? Optional.of(components.get(3)) : Optional.empty();
  }

  /**
   * Returns a human-readable form: {@code [Section] Key} for INI entries, the state key otherwise.
   */
  public String displayName() {
    return isIni() ? "[" + components.get(2) + "] " + components.get(3) : stateKey;
  }

  @Override
  public int compareTo(SettingKey other) {
    return comparisonForm.compareTo(other.comparisonForm);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SettingKey other && comparisonForm.equals(other.comparisonForm);
  }

  @Override
  public int hashCode() {
    return comparisonForm.hashCode();
  }

  /** Returns the {@linkplain #stateKey() state key}. */
  @Override
  public String toString() {
    return stateKey;
  }

  /** The case-folded form that {@link #equals} compares (exact outside the config namespace). */
  String comparisonForm() {
    return comparisonForm;
  }

  private static void checkComponent(String namespace, String c) {
    requireNonNull(c, () -> "component of a '" + namespace + "' key");
    if (c.isEmpty()) {
      throw new IllegalArgumentException(
          "key in namespace '" + namespace + "' has an empty name part");
    }
    for (int i = 0; i < c.length(); i++) {
      if (Character.isISOControl(c.charAt(i))) {
        throw new IllegalArgumentException(
            "key name part '"
                + c.replaceAll("\\p{Cntrl}", "?")
                + "' holds control character U+"
                + String.format(Locale.ROOT, "%04X", (int) c.charAt(i)));
      }
    }
  }

  private static String escape(String component) {
    if (component.indexOf('/') < 0 && component.indexOf('%') < 0) {
      return component;
    }
    return component.replace("%", "%25").replace("/", "%2F");
  }

  private static String unescape(String part, String whole) {
    if (part.indexOf('%') < 0) {
      return part;
    }
    StringBuilder sb = new StringBuilder(part.length());
    for (int i = 0; i < part.length(); i++) {
      char ch = part.charAt(i);
      if (ch != '%') {
        sb.append(ch);
      } else if (part.startsWith("%25", i)) {
        sb.append('%');
        i += 2;
      } else if (part.startsWith("%2F", i)) {
        sb.append('/');
        i += 2;
      } else {
        throw new IllegalArgumentException(
            "state key '" + whole + "' has a '%' that is not '%25' or '%2F'");
      }
    }
    return sb.toString();
  }
}
