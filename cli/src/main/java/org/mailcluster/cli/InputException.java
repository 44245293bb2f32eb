package org.mailcluster.cli;

/**
 * A failure the operator can act on: reported in one line, with a hint, and ends the command with
 * its exit code ({@link Main#INPUT_ERROR} unless told otherwise).
 */
final class InputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String hint;
  private final int exitCode;

  InputException(String message, String hint, Throwable cause) {
    this(message, hint, cause, Main.INPUT_ERROR);
  }

  InputException(String message, String hint, Throwable cause, int exitCode) {
    super(message, cause);
    this.hint = hint;
    this.exitCode = exitCode;
  }

  /** A failure without an underlying exception. */
  static InputException of(String message, String hint) {
    return new InputException(message, hint, null);
  }

  /** A node could not be reached, or the cluster did not do something in time. */
  static InputException unavailable(String message, String hint, Throwable cause) {
    return new InputException(message, hint, cause, Main.UNAVAILABLE);
  }

  String hint() {
    return hint;
  }

  int exitCode() {
    return exitCode;
  }
}
