package org.mailcluster.transport;

import java.util.Collection;

/**
 * The largest value every field of a transport message may hold: strings in characters, collections
 * in elements, numbers in range. The limits are far above what a working cluster sends (the primary
 * sends at most 256 entries per message and 1,024 keys per snapshot chunk, node ids have at most 63
 * characters) and below what would let one message exhaust a receiver. The records of this package
 * check them when they are built, and a transport checks them again when it decodes a message from
 * the network, so that a malformed or oversized message is refused with a description that names
 * the field instead of reaching the node.
 *
 * <p>The configuration keys, values and origins a message carries are limited only by what the
 * state store accepts for one log entry ({@value #STATE_TEXT} characters): a limit below it could
 * refuse a change the primary has already committed, and the secondaries would never catch up.
 *
 * <pre>{@code
 * MessageLimits.text("Forward.service", service, MessageLimits.SERVICE_NAME);
 * // IllegalArgumentException: Forward.service: 300 characters, at most 128
 * }</pre>
 */
public final class MessageLimits {
  /** A node id: {@link org.mailcluster.membership.NodeId}'s own bound. */
  public static final int NODE_ID = 63;

  /** A node address, {@code host:port} (a DNS name has at most 253 characters). */
  public static final int ADDRESS = 300;

  /** The mail server's product version, e.g. {@code 23.5.2}. */
  public static final int PRODUCT_VERSION = 64;

  /** A licence-key fingerprint (a SHA-256 hash in hex has 64 characters). */
  public static final int LICENCE_FINGERPRINT = 128;

  /**
   * The token that names where a replicated state began (32 hexadecimal digits, or empty for a node
   * that holds no state yet).
   */
  public static final int GENESIS = 64;

  /** The name of a service called with {@link Request.Forward}. */
  public static final int SERVICE_NAME = 128;

  /** The payload of a {@link Request.Forward} or a {@link Response.Forwarded}: 1 MiB. */
  public static final int FORWARD_PAYLOAD = 1 << 20;

  /** A configuration key, value or origin: what the state store accepts for one log entry. */
  public static final int STATE_TEXT = 1 << 30;

  /** Log entries in one {@link ReplicationMessage.Entries} (the primary sends at most 256). */
  public static final int ENTRIES_PER_MESSAGE = 4096;

  /** Changed keys in one log entry. */
  public static final int CHANGES_PER_ENTRY = 1 << 22;

  /** Keys in one {@link ReplicationMessage.SnapshotChunk} (the primary sends at most 1,024). */
  public static final int KEYS_PER_CHUNK = 1 << 16;

  /** A time-zone id, e.g. {@code Europe/Berlin} (the longest known ids have 32 characters). */
  public static final int ZONE_ID = 64;

  /** The largest UTC offset, in seconds, as {@link java.time.ZoneOffset} allows: 18 hours. */
  public static final int UTC_OFFSET_SECONDS = 18 * 60 * 60;

  /** A shared storage path (the longest path Windows allows). */
  public static final int STORAGE_PATH = 32_767;

  /** A file name. */
  public static final int FILE_NAME = 255;

  /** The token read from a storage probe file (the preflight writes 32 hexadecimal digits). */
  public static final int PROBE_TOKEN = 128;

  /** Certificate checks in one {@link Request.StatusReport}. */
  public static final int CERTIFICATES = 4096;

  /** Host names, and problems, of one certificate check. */
  public static final int CERTIFICATE_ITEMS = 4096;

  /**
   * A text of a certificate check: its name, subject, file, one host name or one problem, and the
   * mode of a screening status.
   */
  public static final int REPORT_TEXT = 4096;

  /**
   * The largest epoch. A cluster takes one epoch per promotion, so two thousand million are more
   * than any will use; a bound this far below {@link Long#MAX_VALUE} means no sum of epochs can
   * overflow, and a message that names an epoch above it is malformed, not a claim to consider.
   */
  public static final long MAX_EPOCH = Integer.MAX_VALUE;

  private MessageLimits() {}

  /**
   * Checks that {@code value} has at most {@code max} characters.
   *
   * @return the value
   * @throws IllegalArgumentException naming {@code field}, e.g. {@code Join.productVersion: 70
   *     characters, at most 64}
   */
  public static String text(String field, String value, int max) {
    if (value != null && value.length() > max) {
      throw new IllegalArgumentException(
          field + ": " + value.length() + " characters, at most " + max);
    }
    return value;
  }

  /**
   * Checks that {@code values} holds at most {@code max} elements.
   *
   * @return the collection
   * @throws IllegalArgumentException naming {@code field}, e.g. {@code Entries.entries: 5000
   *     elements, at most 4096}
   */
  public static <C extends Collection<?>> C count(String field, C values, int max) {
    if (values != null && values.size() > max) {
      throw new IllegalArgumentException(
          field + ": " + values.size() + " elements, at most " + max);
    }
    return values;
  }

  /**
   * Checks that {@code value} is an epoch: 0 to {@link #MAX_EPOCH}.
   *
   * @return the value
   * @throws IllegalArgumentException naming {@code field} and the value
   */
  public static long epoch(String field, long value) {
    if (value < 0 || value > MAX_EPOCH) {
      throw new IllegalArgumentException(
          field + ": " + value + " is out of range, an epoch is 0 to " + MAX_EPOCH);
    }
    return value;
  }

  /**
   * Checks that {@code value} is zero or more.
   *
   * @return the value
   * @throws IllegalArgumentException naming {@code field} and the value
   */
  public static long nonNegative(String field, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(field + ": " + value + " is negative");
    }
    return value;
  }
}
