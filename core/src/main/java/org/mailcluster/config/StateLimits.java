package org.mailcluster.config;

/**
 * How large the replicated state may grow, so that no edit can exhaust a node's memory (requirement
 * S7 in docs/REQUIREMENTS.md): one value, the keys of one host file, one revision and the whole
 * state. Sizes count characters of keys and values; a file's keys count without their {@code
 * config/<file>/} prefix, so that a file's size in the state is about the size of its text. The
 * primary checks every commit against them, and a change over a limit is refused with {@link
 * org.mailcluster.ErrorCode#LIMIT_EXCEEDED}, naming the key or file, its size and the limit, and
 * nothing of it is committed.
 *
 * <p>The {@linkplain #defaults() defaults} are far above what a mail server's configuration holds
 * (a typical {@code MDaemon.ini} has well under 1 MB) and bound what one node holds in memory:
 *
 * <table>
 *   <caption>Default limits</caption>
 *   <tr><th>limit</th><th>default</th></tr>
 *   <tr><td>one value</td><td>1 MiB (1,048,576 characters)</td></tr>
 *   <tr><td>one file</td><td>8 MiB</td></tr>
 *   <tr><td>one revision</td><td>32 MiB</td></tr>
 *   <tr><td>the whole state</td><td>128 MiB</td></tr>
 * </table>
 *
 * <pre>{@code
 * ClusterService.builder()
 *     .limits(StateLimits.defaults().withFileChars(16L << 20))
 *     ...
 * }</pre>
 *
 * @param valueChars the most characters one value may have
 * @param fileChars the most characters the keys and values of one host file may have
 * @param revisionChars the most characters the keys and values one revision puts may have
 * @param stateChars the most characters the keys and values of the whole state may have
 */
public record StateLimits(long valueChars, long fileChars, long revisionChars, long stateChars) {
  /** The default limit of one value: 1 MiB. */
  public static final long DEFAULT_VALUE_CHARS = 1L << 20;

  /** The default limit of one file: 8 MiB. */
  public static final long DEFAULT_FILE_CHARS = 8L << 20;

  /** The default limit of one revision: 32 MiB. */
  public static final long DEFAULT_REVISION_CHARS = 32L << 20;

  /** The default limit of the whole state: 128 MiB. */
  public static final long DEFAULT_STATE_CHARS = 128L << 20;

  /**
   * Checks the limits.
   *
   * @throws IllegalArgumentException if a limit is not positive, or a value may be larger than a
   *     file, a file than a revision or a revision than the state
   */
  public StateLimits {
    positive("value", valueChars);
    positive("file", fileChars);
    positive("revision", revisionChars);
    positive("state", stateChars);
    if (valueChars > fileChars || fileChars > revisionChars || revisionChars > stateChars) {
      throw new IllegalArgumentException(
          "limits must grow from value to file to revision to state, but were value "
              + valueChars
              + ", file "
              + fileChars
              + ", revision "
              + revisionChars
              + ", state "
              + stateChars);
    }
  }

  /** The default limits (see the table above). */
  public static StateLimits defaults() {
    return new StateLimits(
        DEFAULT_VALUE_CHARS, DEFAULT_FILE_CHARS, DEFAULT_REVISION_CHARS, DEFAULT_STATE_CHARS);
  }

  /** A copy with another limit for one value. */
  public StateLimits withValueChars(long value) {
    return new StateLimits(value, fileChars, revisionChars, stateChars);
  }

  /** A copy with another limit for one file. */
  public StateLimits withFileChars(long value) {
    return new StateLimits(valueChars, value, revisionChars, stateChars);
  }

  /** A copy with another limit for one revision. */
  public StateLimits withRevisionChars(long value) {
    return new StateLimits(valueChars, fileChars, value, stateChars);
  }

  /** A copy with another limit for the whole state. */
  public StateLimits withStateChars(long value) {
    return new StateLimits(valueChars, fileChars, revisionChars, value);
  }

  private static void positive(String which, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(which + " limit must be positive, but was " + value);
    }
  }
}
