package org.mailcluster.internal.replication;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.StateLimits;

/**
 * The sizes the {@link StateLimits} bound, of one state: its whole size and the size of each host
 * file's keys, in characters. Counting them costs one pass over the state the first time and after
 * the state was replaced other than by a checked change; each checked change then updates them by
 * its own size only. Loop-confined.
 */
final class StateSizes {
  private static final String FILE_PREFIX = SettingKey.CONFIG_NAMESPACE + "/";

  private final StateLimits limits;
  private ConfigSnapshot countedFor;
  private long total;
  private final Map<String, Long> files = new HashMap<>();

  StateSizes(StateLimits limits) {
    this.limits = limits;
  }

  /**
   * Checks that applying {@code changes} to {@code from} keeps every limit, and counts the result
   * as {@code from}'s successor.
   *
   * @throws ClusterException with {@code LIMIT_EXCEEDED}, naming the key or file, its size and the
   *     limit
   */
  void check(ConfigSnapshot from, Map<String, Optional<String>> changes, String origin) {
    count(from);
    long revision = 0;
    long newTotal = total;
    Map<String, Long> touched = new LinkedHashMap<>();
    Map<String, String> spelled = new HashMap<>();
    for (Map.Entry<String, Optional<String>> c : changes.entrySet()) {
      String key = c.getKey();
      Optional<String> value = c.getValue();
      if (value.isPresent() && value.get().length() > limits.valueChars()) {
        throw exceeded(
            "the value of "
                + key
                + " has "
                + value.get().length()
                + " characters, more than the limit of "
                + limits.valueChars()
                + " for one value");
      }
      long before = from.get(key).map(v -> size(key, v)).orElse(0L);
      long after = value.map(v -> size(key, v)).orElse(0L);
      revision += after;
      newTotal += after - before;
      fileOf(key)
          .ifPresent(
              f -> {
                long fileBefore = touched.getOrDefault(f, files.getOrDefault(f, 0L));
                long fileAfter =
                    fileBefore
                        + value.map(v -> fileSize(key, v)).orElse(0L)
                        - from.get(key).map(v -> fileSize(key, v)).orElse(0L);
                touched.put(f, fileAfter);
                spelled.putIfAbsent(f, key.substring(FILE_PREFIX.length(), fileEnd(key)));
              });
    }
    if (revision > limits.revisionChars()) {
      throw exceeded(
          "the change from "
              + origin
              + " has "
              + revision
              + " characters, more than the limit of "
              + limits.revisionChars()
              + " for one revision: make it in smaller parts");
    }
    for (Map.Entry<String, Long> f : touched.entrySet()) {
      if (f.getValue() > limits.fileChars()) {
        throw exceeded(
            "the keys of "
                + spelled.get(f.getKey())
                + " would have "
                + f.getValue()
                + " characters, more than the limit of "
                + limits.fileChars()
                + " for one file");
      }
    }
    if (newTotal > limits.stateChars()) {
      throw exceeded(
          "the state would have "
              + newTotal
              + " characters, more than the limit of "
              + limits.stateChars()
              + " for the whole state");
    }
    total = newTotal;
    files.putAll(touched);
    countedFor = null; // the caller names the successor with counted()
  }

  /** Records that the sizes now are those of {@code state}, the result of the checked change. */
  void counted(ConfigSnapshot state) {
    countedFor = state;
  }

  private void count(ConfigSnapshot state) {
    if (state == countedFor) {
      return;
    }
    total = 0;
    files.clear();
    state.forEach(
        (k, v) -> {
          total += size(k, v);
          fileOf(k).ifPresent(f -> files.merge(f, fileSize(k, v), Long::sum));
        });
    countedFor = state;
  }

  private ClusterException exceeded(String what) {
    return new ClusterException(
        ErrorCode.LIMIT_EXCEEDED,
        what
            + "; nothing of it was committed. Make it smaller, or raise the limit on every node"
            + " (limits.* in the agent's configuration, ClusterServiceBuilder.limits)");
  }

  private static long size(String key, String value) {
    return (long) key.length() + value.length();
  }

  /** A file's key counts without its {@code config/<file>/} prefix, like the file's own text. */
  private static long fileSize(String key, String value) {
    return (long) key.length() - fileEnd(key) - 1 + value.length();
  }

  private static int fileEnd(String key) {
    return key.indexOf('/', FILE_PREFIX.length());
  }

  /** The host file a key belongs to, in lower case (file names compare so), if it is one's. */
  private static Optional<String> fileOf(String key) {
    if (!key.startsWith(FILE_PREFIX)) {
      return Optional.empty();
    }
    int end = fileEnd(key);
    return end < 0
        ? Optional.empty()
        : Optional.of(key.substring(FILE_PREFIX.length(), end).toLowerCase(Locale.ROOT));
  }
}
