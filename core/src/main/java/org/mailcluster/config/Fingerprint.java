package org.mailcluster.config;

import java.util.HexFormat;

/**
 * A 128-bit digest of a configuration's content, independent of how the content was reached: two
 * snapshots with the same keys and values have the same fingerprint on every node, whatever the
 * order of the changes that built them. Nodes compare fingerprints to detect silent divergence
 * (requirement B2 in docs/REQUIREMENTS.md).
 *
 * <p>It is the sum, lane by lane modulo 2<sup>64</sup>, of a 128-bit MurmurHash3 of every entry, so
 * a snapshot updates it in constant time per changed key. It detects accidental divergence; it is
 * not a cryptographic commitment against an adversary who controls the configuration.
 *
 * <pre>{@code
 * if (!mine.fingerprint().equals(primaryFingerprint)) {
 *   requestResync();
 * }
 * }</pre>
 *
 * @param high the upper 64 bits
 * @param low the lower 64 bits
 */
public record Fingerprint(long high, long low) {
  /** The fingerprint of an empty configuration. */
  public static final Fingerprint EMPTY = new Fingerprint(0, 0);

  /**
   * Parses the 32 hexadecimal digits that {@link #toString()} writes.
   *
   * @throws IllegalArgumentException if {@code hex} is not 32 hexadecimal digits
   */
  public static Fingerprint parse(String hex) {
    if (hex.length() != 32) {
      throw new IllegalArgumentException(
          "fingerprint must be 32 hexadecimal digits but was '" + hex + "'");
    }
    try {
      return new Fingerprint(
          HexFormat.fromHexDigitsToLong(hex, 0, 16), HexFormat.fromHexDigitsToLong(hex, 16, 32));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "fingerprint must be 32 hexadecimal digits but was '" + hex + "'", e);
    }
  }

  Fingerprint plus(long entryHigh, long entryLow) {
    return new Fingerprint(high + entryHigh, low + entryLow);
  }

  Fingerprint minus(long entryHigh, long entryLow) {
    return new Fingerprint(high - entryHigh, low - entryLow);
  }

  /** Returns 32 lower-case hexadecimal digits. */
  @Override
  public String toString() {
    HexFormat hex = HexFormat.of();
    return hex.toHexDigits(high) + hex.toHexDigits(low);
  }
}
