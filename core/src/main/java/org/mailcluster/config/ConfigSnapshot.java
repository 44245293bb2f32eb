package org.mailcluster.config;

import static java.util.Objects.requireNonNull;

import com.google.common.hash.HashCode;
import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * An immutable view of the replicated configuration at one {@link Revision}: a sorted map from
 * state keys (such as {@code config/MDaemon.ini/Directories/LockFiles} or {@code
 * setting/antispam/threshold}) to raw string values.
 *
 * <p>Snapshots are persistent: {@link #with} and {@link #without} return a new snapshot in O(log n)
 * that shares all untouched structure with this one, so keeping many revisions costs little, and
 * {@link ConfigDiff#between} of two related snapshots costs in proportion to their differences.
 * Keys are compared exactly (case-sensitively, by {@link String#compareTo}); folding the case of
 * INI names is the job of whoever builds the keys (see {@link SettingKey#ini}).
 *
 * <p>Each snapshot carries a {@link Fingerprint} of its content, maintained incrementally.
 *
 * <pre>{@code
 * ConfigSnapshot s0 = ConfigSnapshot.empty();
 * ConfigSnapshot s1 = s0.with("config/MDaemon.ini/Directories/LockFiles", "C:\\MDaemon\\LockFiles\\")
 *     .atRevision(Revision.of(1, 1));
 * ConfigDiff d = ConfigDiff.between(s0, s1); // one added key
 * }</pre>
 *
 * <p>Two snapshots are {@link #equals equal} when they hold the same entries at the same revision;
 * {@link #sameContentAs} ignores the revision.
 */
public final class ConfigSnapshot {
  private static final HashFunction ENTRY_HASH = Hashing.murmur3_128(0x636c7573);
  private static final ConfigSnapshot EMPTY =
      new ConfigSnapshot(null, 0, Revision.INITIAL, Fingerprint.EMPTY);

  private final Treap.Node root;
  private final int size;
  private final Revision revision;
  private final Fingerprint fingerprint;

  private ConfigSnapshot(Treap.Node root, int size, Revision revision, Fingerprint fingerprint) {
    this.root = root;
    this.size = size;
    this.revision = revision;
    this.fingerprint = fingerprint;
  }

  /** Returns the empty snapshot at {@link Revision#INITIAL}. */
  public static ConfigSnapshot empty() {
    return EMPTY;
  }

  /**
   * Returns a snapshot holding a copy of {@code entries} at {@link Revision#INITIAL}.
   *
   * @throws NullPointerException if a key or value is {@code null}
   * @throws IllegalArgumentException if a key is empty
   */
  public static ConfigSnapshot of(Map<String, String> entries) {
    return of(entries, Revision.INITIAL);
  }

  /**
   * Returns a snapshot holding a copy of {@code entries} at {@code revision}, built in linear time
   * when the map is already sorted by natural key order and in O(n log n) otherwise.
   *
   * @throws NullPointerException if a key or value is {@code null}
   * @throws IllegalArgumentException if a key is empty
   */
  public static ConfigSnapshot of(Map<String, String> entries, Revision revision) {
    requireNonNull(revision, "revision");
    SortedMap<String, String> sorted =
        entries instanceof SortedMap<String, String> s && s.comparator() == null
            ? s
            : new TreeMap<>(entries);
    Fingerprint fp = Fingerprint.EMPTY;
    for (Map.Entry<String, String> e : sorted.entrySet()) {
      checkEntry(e.getKey(), e.getValue());
      long[] h = entryHash(e.getKey(), e.getValue());
      fp = fp.plus(h[0], h[1]);
    }
    return new ConfigSnapshot(
        Treap.buildSorted(sorted.entrySet().iterator()), sorted.size(), revision, fp);
  }

  /** Returns the revision this snapshot represents. */
  public Revision revision() {
    return revision;
  }

  /** Returns this content at another revision (the same object if the revision is unchanged). */
  public ConfigSnapshot atRevision(Revision newRevision) {
    requireNonNull(newRevision, "revision");
    return newRevision.equals(revision)
        ? this
        : new ConfigSnapshot(root, size, newRevision, fingerprint);
  }

  /** Returns the number of entries. */
  public int size() {
    return size;
  }

  /** Returns whether there are no entries. */
  public boolean isEmpty() {
    return size == 0;
  }

  /** Returns the value stored under {@code key}, if any. */
  public Optional<String> get(String key) {
    return Optional.ofNullable(Treap.get(root, requireNonNull(key, "key")));
  }

  /** Returns whether {@code key} has a value. */
  public boolean containsKey(String key) {
    return Treap.get(root, requireNonNull(key, "key")) != null;
  }

  /** Returns the fingerprint of the content (not of the revision). */
  public Fingerprint fingerprint() {
    return fingerprint;
  }

  /**
   * Returns a snapshot at the same revision with {@code key} set to {@code value}, in O(log n);
   * this snapshot if the key already has that value.
   *
   * @throws IllegalArgumentException if {@code key} is empty
   */
  public ConfigSnapshot with(String key, String value) {
    checkEntry(key, value);
    String old = Treap.get(root, key);
    if (value.equals(old)) {
      return this;
    }
    Treap.Node newRoot = Treap.put(root, key, value, Treap.priority(key));
    long[] added = entryHash(key, value);
    Fingerprint fp = fingerprint.plus(added[0], added[1]);
    if (old != null) {
      long[] removed = entryHash(key, old);
      fp = fp.minus(removed[0], removed[1]);
    }
    return new ConfigSnapshot(newRoot, old == null ? size + 1 : size, revision, fp);
  }

  /**
   * Returns a snapshot at the same revision without {@code key}, in O(log n); this snapshot if the
   * key is absent.
   */
  public ConfigSnapshot without(String key) {
    String old = Treap.get(root, requireNonNull(key, "key"));
    if (old == null) {
      return this;
    }
    long[] removed = entryHash(key, old);
    return new ConfigSnapshot(
        Treap.remove(root, key), size - 1, revision, fingerprint.minus(removed[0], removed[1]));
  }

  /** Calls {@code action} for every entry in ascending key order. */
  public void forEach(BiConsumer<? super String, ? super String> action) {
    requireNonNull(action, "action");
    Treap.forEach(root, action::accept);
  }

  /**
   * Returns an unmodifiable map view of this snapshot that iterates in ascending key order; lookups
   * through it cost O(log n).
   */
  public Map<String, String> asMap() {
    return new SnapshotMap();
  }

  /** Returns whether both snapshots hold the same entries, whatever their revisions. */
  public boolean sameContentAs(ConfigSnapshot other) {
    requireNonNull(other, "other");
    if (root == other.root) {
      return true;
    }
    if (size != other.size || !fingerprint.equals(other.fingerprint)) {
      return false;
    }
    boolean[] differs = {false};
    Treap.diff(root, other.root, (k, a, b) -> differs[0] = true);
    return !differs[0];
  }

  Treap.Node root() {
    return root;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfigSnapshot other
        && revision.equals(other.revision)
        && sameContentAs(other);
  }

  @Override
  public int hashCode() {
    return 31 * revision.hashCode() + fingerprint.hashCode();
  }

  @Override
  public String toString() {
    return "ConfigSnapshot{revision="
        + revision
        + ", size="
        + size
        + ", fingerprint="
        + fingerprint
        + "}";
  }

  private static void checkEntry(String key, String value) {
    requireNonNull(key, "key");
    requireNonNull(value, () -> "value of '" + key + "'");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("key must not be empty");
    }
  }

  /** Hashes key and value with their lengths, so ("ab","c") and ("a","bc") differ. */
  private static long[] entryHash(String key, String value) {
    HashCode h =
        ENTRY_HASH
            .newHasher()
            .putInt(key.length())
            .putUnencodedChars(key)
            .putInt(value.length())
            .putUnencodedChars(value)
            .hash();
    ByteBuffer bytes = ByteBuffer.wrap(h.asBytes()).order(ByteOrder.LITTLE_ENDIAN);
    return new long[] {bytes.getLong(), bytes.getLong()};
  }

  /** The read-only {@link Map} face of a snapshot. */
  private final class SnapshotMap extends AbstractMap<String, String> {
    @Override
    public Set<Entry<String, String>> entrySet() {
      return new AbstractSet<>() {
        @Override
        public Iterator<Entry<String, String>> iterator() {
          Iterator<Treap.Node> nodes = Treap.iterator(root);
          return new Iterator<>() {
            @Override
            public boolean hasNext() {
              return nodes.hasNext();
            }

            @Override
            public Entry<String, String> next() {
              Treap.Node n = nodes.next();
              return new SimpleImmutableEntry<>(n.key, n.value);
            }
          };
        }

        @Override
        public int size() {
          return size;
        }
      };
    }

    @Override
    public int size() {
      return size;
    }

    @Override
    public boolean containsKey(Object key) {
      return key instanceof String k && Treap.get(root, k) != null;
    }

    @Override
    public String get(Object key) {
      return key instanceof String k ? Treap.get(root, k) : null;
    }
  }
}
