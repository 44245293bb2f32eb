package org.mailcluster.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import tools.jackson.core.JacksonException;

/**
 * The changes that turn one configuration into another: an ordered list of {@link Change}s, one per
 * key, in ascending key order. A diff is also the unit of replication: the primary commits one,
 * every secondary applies it whole.
 *
 * <p>Each change carries the value before and after, so a diff can be shown to a person ({@link
 * #render()}), undone ({@link #invert()}) and checked against the state it is applied to ({@link
 * #appliesCleanlyTo}). These laws hold for all snapshots {@code a}, {@code b}, {@code c}:
 *
 * <ul>
 *   <li>{@code between(a, a).isEmpty()}
 *   <li>{@code between(a, b).apply(a)} has the content of {@code b}
 *   <li>{@code between(a, b).compose(between(b, c)).apply(a)} has the content of {@code c}, as has
 *       {@code between(b, c).apply(between(a, b).apply(a))}
 *   <li>{@code between(a, b).invert().apply(b)} has the content of {@code a}
 * </ul>
 *
 * <pre>{@code
 * ConfigDiff d = ConfigDiff.between(before, after);
 * log.info("applying {} changes:\n{}", d.size(), d.render());
 * ConfigSnapshot next = d.apply(current);
 * }</pre>
 *
 * <p>{@link #render()}, {@link #toString()} and the messages of refused compositions never show a
 * certificate's private key ({@code cert/<name>/key}) or any value holding a PEM private key: they
 * print {@code <secret, N chars>} instead, so a host may log them. The {@linkplain #changes() list
 * of changes} and {@link #toJson()} carry the values themselves.
 *
 * <p>The {@linkplain #changes() list of changes} is made of plain records, so Jackson (or any
 * record-aware mapper) writes and reads it without custom code; {@link #toJson()} and {@link
 * #fromJson(String)} do exactly that.
 */
public final class ConfigDiff {
  private static final ConfigDiff EMPTY = new ConfigDiff(List.of());
  private static final int RENDERED_VALUE_LIMIT = 120;

  /**
   * One key's change. An absent {@code oldValue} means the key is added; an absent {@code newValue}
   * means it is removed; both present means its value changes.
   *
   * @param key the state key, e.g. {@code config/MDaemon.ini/Directories/LockFiles}
   * @param oldValue the value before, if the key existed
   * @param newValue the value after, if the key still exists
   */
  public record Change(String key, Optional<String> oldValue, Optional<String> newValue) {
    /** Checks that the change changes something. */
    public Change {
      requireNonNull(key, "key");
      requireNonNull(oldValue, "oldValue");
      requireNonNull(newValue, "newValue");
      if (key.isEmpty()) {
        throw new IllegalArgumentException("key must not be empty");
      }
      if (oldValue.isEmpty() && newValue.isEmpty()) {
        throw new IllegalArgumentException(
            "change of '" + key + "' has neither an old nor a new value");
      }
      if (oldValue.equals(newValue)) {
        throw new IllegalArgumentException(
            "change of '" + key + "' keeps the same value '" + oldValue.get() + "'");
      }
    }

    /** Returns a change that adds {@code key} with {@code value}. */
    public static Change added(String key, String value) {
      return new Change(key, Optional.empty(), Optional.of(value));
    }

    /** Returns a change that removes {@code key}, which had {@code oldValue}. */
    public static Change removed(String key, String oldValue) {
      return new Change(key, Optional.of(oldValue), Optional.empty());
    }

    /** Returns a change of {@code key} from {@code oldValue} to {@code newValue}. */
    public static Change changed(String key, String oldValue, String newValue) {
      return new Change(key, Optional.of(oldValue), Optional.of(newValue));
    }

    /** Returns whether the key is added, changed or removed. */
    public Kind kind() {
      return oldValue.isEmpty() ? Kind.ADDED : newValue.isEmpty() ? Kind.REMOVED : Kind.CHANGED;
    }

    /** Returns the change that undoes this one. */
    public Change inverse() {
      return new Change(key, newValue, oldValue);
    }

    /** Returns one human-readable line, e.g. {@code [SSL] Enabled: No → Yes}. */
    public String render() {
      return renderLine(this, true);
    }
  }

  /** What a {@link Change} does to its key. */
  public enum Kind {
    /** The key did not exist before. */
    ADDED,
    /** The key exists before and after, with different values. */
    CHANGED,
    /** The key does not exist after. */
    REMOVED
  }

  private final List<Change> changes;

  private ConfigDiff(List<Change> sortedChanges) {
    this.changes = sortedChanges;
  }

  /** Returns the diff that changes nothing. */
  public static ConfigDiff empty() {
    return EMPTY;
  }

  /**
   * Returns a diff of the given changes, sorted by key.
   *
   * @throws IllegalArgumentException if two changes name the same key
   */
  public static ConfigDiff of(Collection<Change> changes) {
    Change[] sorted = changes.toArray(new Change[0]);
    for (Change c : sorted) {
      requireNonNull(c, "change");
    }
    Arrays.sort(sorted, (x, y) -> x.key().compareTo(y.key()));
    for (int i = 1; i < sorted.length; i++) {
      if (sorted[i].key().equals(sorted[i - 1].key())) {
        throw new IllegalArgumentException(
            "diff names key '" + sorted[i].key() + "' twice; merge the changes first");
      }
    }
    return sorted.length == 0 ? EMPTY : new ConfigDiff(List.of(sorted));
  }

  /** Returns a diff of the given changes, sorted by key. */
  public static ConfigDiff of(Change... changes) {
    return of(Arrays.asList(changes));
  }

  /**
   * Returns the changes that turn {@code from} into {@code to}. When the two share structure (one
   * was derived from the other), the cost grows with the number of changes, not with the size.
   */
  public static ConfigDiff between(ConfigSnapshot from, ConfigSnapshot to) {
    requireNonNull(from, "from");
    requireNonNull(to, "to");
    List<Change> out = new ArrayList<>();
    Treap.diff(
        from.root(),
        to.root(),
        (key, a, b) -> out.add(new Change(key, Optional.ofNullable(a), Optional.ofNullable(b))));
    return out.isEmpty() ? EMPTY : new ConfigDiff(List.copyOf(out));
  }

  /** Returns the changes in ascending key order. */
  public List<Change> changes() {
    return changes;
  }

  /** Returns the change of {@code key}, if this diff changes it. */
  public Optional<Change> change(String key) {
    requireNonNull(key, "key");
    int lo = 0;
    int hi = changes.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = changes.get(mid).key().compareTo(key);
      if (c == 0) {
        return Optional.of(changes.get(mid));
      }
      if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return Optional.empty();
  }

  /** Returns whether the diff changes nothing. */
  public boolean isEmpty() {
    return changes.isEmpty();
  }

  /** Returns the number of keys the diff changes. */
  public int size() {
    return changes.size();
  }

  /**
   * Returns {@code base} with every change applied (keys set to their new values or removed), at
   * the same revision as {@code base}. Old values are not checked; see {@link #appliesCleanlyTo}.
   */
  public ConfigSnapshot apply(ConfigSnapshot base) {
    requireNonNull(base, "base");
    ConfigSnapshot result = base;
    for (Change c : changes) {
      result =
          c.newValue().isPresent()
              ? result.with(c.key(), c.newValue().get())
              : result.without(c.key());
    }
    return result;
  }

  /** Returns whether every change's old value is what {@code base} holds for that key. */
  public boolean appliesCleanlyTo(ConfigSnapshot base) {
    requireNonNull(base, "base");
    for (Change c : changes) {
      if (!base.get(c.key()).equals(c.oldValue())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns one diff with the effect of this diff followed by {@code next}. Keys whose value ends
   * where it started drop out.
   *
   * @throws IllegalArgumentException if the diffs do not chain: {@code next} expects, for a key,
   *     another value than this diff leaves there
   */
  public ConfigDiff compose(ConfigDiff next) {
    requireNonNull(next, "next");
    if (next.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return next;
    }
    List<Change> out = new ArrayList<>(changes.size() + next.changes.size());
    int i = 0;
    int j = 0;
    while (i < changes.size() || j < next.changes.size()) {
      Change a = i < changes.size() ? changes.get(i) : null;
      Change b = j < next.changes.size() ? next.changes.get(j) : null;
      int c = a == null ? 1 : b == null ? -1 : a.key().compareTo(b.key());
      if (c < 0) {
        out.add(a);
        i++;
      } else if (c > 0) {
        out.add(b);
        j++;
      } else {
        if (!a.newValue().equals(b.oldValue())) {
          throw new IllegalArgumentException(
              "diffs do not chain at '"
                  + a.key()
                  + "': the first leaves "
                  + describe(a.key(), a.newValue())
                  + " but the second starts from "
                  + describe(b.key(), b.oldValue()));
        }
        if (!a.oldValue().equals(b.newValue())) {
          out.add(new Change(a.key(), a.oldValue(), b.newValue()));
        }
        i++;
        j++;
      }
    }
    return out.isEmpty() ? EMPTY : new ConfigDiff(List.copyOf(out));
  }

  /** Returns the diff that undoes this one: applied after it, it restores the old values. */
  public ConfigDiff invert() {
    if (isEmpty()) {
      return this;
    }
    List<Change> out = new ArrayList<>(changes.size());
    for (Change c : changes) {
      out.add(c.inverse());
    }
    return new ConfigDiff(List.copyOf(out));
  }

  /**
   * Returns one line per change, for people. INI keys read {@code [Section] Key}, prefixed with the
   * file name when the diff touches more than one file; absent values read {@code (unset)}; long
   * values are shortened and control characters escaped, so every change stays on one line:
   *
   * <pre>
   * [Directories] LockFiles: C:\MDaemon\LockFiles\ → \\nas01\mail\LockFiles\
   * [Directories] PEM: (unset) → \\nas01\mail\PEM\
   * </pre>
   */
  public String render() {
    Set<String> files = new HashSet<>();
    for (Change c : changes) {
      iniKey(c.key()).flatMap(SettingKey::iniFile).ifPresent(files::add);
    }
    boolean withFile = files.size() > 1;
    StringBuilder sb = new StringBuilder();
    for (Change c : changes) {
      if (sb.length() > 0) {
        sb.append('\n');
      }
      sb.append(renderLine(c, !withFile));
    }
    return sb.toString();
  }

  /**
   * Returns the JSON form: an array of {@code {"key":…,"oldValue":…,"newValue":…}} objects, with
   * {@code null} for an absent value.
   */
  public String toJson() {
    return ConfigJson.MAPPER.writeValueAsString(changes);
  }

  /**
   * Reads the form {@link #toJson()} writes.
   *
   * @throws ClusterException with {@link ErrorCode#CORRUPT_DATA} if the text is not such JSON or
   *     describes an impossible diff
   */
  public static ConfigDiff fromJson(String json) {
    requireNonNull(json, "json");
    try {
      Change[] read = ConfigJson.MAPPER.readValue(json, Change[].class);
      if (read == null) {
        throw new IllegalArgumentException("the JSON is null, not an array of changes");
      }
      return of(Arrays.asList(read));
    } catch (JacksonException | IllegalArgumentException | NullPointerException e) {
      throw new ClusterException(
          ErrorCode.CORRUPT_DATA,
          "configuration diff cannot be read: " + e.getMessage() + "; nothing was applied",
          e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfigDiff other && changes.equals(other.changes);
  }

  @Override
  public int hashCode() {
    return changes.hashCode();
  }

  /** Returns the {@linkplain #render() rendering}, headed by the number of changes. */
  @Override
  public String toString() {
    return "ConfigDiff{" + size() + (size() == 1 ? " change" : " changes") + "}\n" + render();
  }

  private static Optional<SettingKey> iniKey(String stateKey) {
    if (!stateKey.startsWith(SettingKey.CONFIG_NAMESPACE + "/")) {
      return Optional.empty();
    }
    try {
      SettingKey k = SettingKey.parse(stateKey);
      return k.isIni() ? Optional.of(k) : Optional.empty();
    } catch (IllegalArgumentException notAnIniKey) {
      return Optional.empty();
    }
  }

  private static String renderLine(Change c, boolean omitFile) {
    return renderKey(c.key(), omitFile)
        + ": "
        + renderValue(c.key(), c.oldValue())
        + " → "
        + renderValue(c.key(), c.newValue());
  }

  private static String renderKey(String stateKey, boolean omitFile) {
    return iniKey(stateKey)
        .map(k -> (omitFile ? "" : k.iniFile().orElseThrow() + " ") + k.displayName())
        .orElse(stateKey);
  }

  /**
   * Whether a value must never be shown: a certificate's private key ({@code cert/<name>/key}), or
   * any value that holds a PEM private key block, whatever its key.
   */
  private static boolean isSecret(String stateKey, String value) {
    return (stateKey.startsWith("cert/") && stateKey.endsWith("/key"))
        || value.contains("PRIVATE KEY-----");
  }

  /** What is shown in place of a secret value: its length only. */
  private static String hidden(String value) {
    return "<secret, " + value.length() + " chars>";
  }

  private static String renderValue(String stateKey, Optional<String> value) {
    if (value.isEmpty()) {
      return "(unset)";
    }
    String v = value.get();
    if (isSecret(stateKey, v)) {
      return hidden(v);
    }
    StringBuilder sb = new StringBuilder();
    int shown = Math.min(v.length(), RENDERED_VALUE_LIMIT);
    for (int i = 0; i < shown; i++) {
      char ch = v.charAt(i);
      switch (ch) {
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (Character.isISOControl(ch)) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
        }
      }
    }
    if (v.length() > shown) {
      sb.append("… (").append(v.length()).append(" chars)");
    }
    return v.isEmpty() ? "\"\"" : sb.toString();
  }

  private static String describe(String stateKey, Optional<String> value) {
    return value
        .map(v -> isSecret(stateKey, v) ? hidden(v) : "'" + v + "'")
        .orElse("the key unset");
  }
}
