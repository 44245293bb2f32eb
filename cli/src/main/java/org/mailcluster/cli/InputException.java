package org.mailcluster.cli;

/** A problem with what the user gave the command: reported in one line, with a hint. */
final class InputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String hint;

  InputException(String message, String hint, Throwable cause) {
    super(message, cause);
    this.hint = hint;
  }

  String hint() {
    return hint;
  }
}
