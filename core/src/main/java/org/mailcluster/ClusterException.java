package org.mailcluster;

import static java.util.Objects.requireNonNull;

/**
 * A domain failure: something about the cluster, its configuration or its peers is not as it must
 * be. The {@linkplain #code() code} tells a program what happened; the message tells an operator
 * what to do.
 *
 * <p>Caller mistakes (a {@code null} argument, an out-of-range number) are reported with {@link
 * NullPointerException}, {@link IllegalArgumentException} or {@link IllegalStateException} instead.
 *
 * <pre>{@code
 * try {
 *   config.update(changes);
 * } catch (ClusterException e) {
 *   if (e.code() == ErrorCode.NOT_PRIMARY) {
 *     showReadOnlyBanner(e.getMessage()); // "configuration is read-only on mx2: change it on mx1"
 *   }
 * }
 * }</pre>
 */
public final class ClusterException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What kind of failure this is. */
  private final ErrorCode code;

  /**
   * Creates an exception.
   *
   * @param code what kind of failure this is
   * @param message what went wrong and what the operator should do about it
   */
  public ClusterException(ErrorCode code, String message) {
    super(requireNonNull(message, "message"));
    this.code = requireNonNull(code, "code");
  }

  /**
   * Creates an exception caused by another.
   *
   * @param code what kind of failure this is
   * @param message what went wrong and what the operator should do about it
   * @param cause the underlying failure
   */
  public ClusterException(ErrorCode code, String message, Throwable cause) {
    super(requireNonNull(message, "message"), requireNonNull(cause, "cause"));
    this.code = requireNonNull(code, "code");
  }

  /** Returns what kind of failure this is. */
  public ErrorCode code() {
    return code;
  }

  @Override
  public String toString() {
    return "ClusterException[" + code + "]: " + getMessage();
  }
}
