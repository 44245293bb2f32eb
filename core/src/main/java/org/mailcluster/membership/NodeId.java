package org.mailcluster.membership;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * A node's stable identity, chosen by the operator (for example {@code mx1}). It names the node in
 * the cluster log, diagnostics and the registered-servers list, and is the identity its TLS
 * certificate must carry. Compared exactly.
 *
 * <pre>{@code
 * NodeId primary = NodeId.of("mx1");
 * }</pre>
 *
 * @param value 1 to 63 letters, digits, {@code .}, {@code _} or {@code -}, starting with a letter
 *     or digit
 */
public record NodeId(String value) implements Comparable<NodeId> {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  /** Checks the form. */
  public NodeId {
    requireNonNull(value, "value");
    if (!VALID.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "node id must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit, but was '"
              + value
              + "'");
    }
  }

  /** Returns the node id {@code value}. */
  public static NodeId of(String value) {
    return new NodeId(value);
  }

  @Override
  public int compareTo(NodeId other) {
    return value.compareTo(other.value);
  }

  /** Returns the id itself. */
  @Override
  public String toString() {
    return value;
  }
}
