package org.mailcluster.internal.io;

import static java.util.Objects.requireNonNull;

import java.io.IOException;

/**
 * A step of an {@link AtomicWriter} failed; the target keeps its old content. The message names the
 * step and the file, the {@linkplain #getCause() cause} is the file system's exception.
 */
public final class AtomicWriteException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The steps of the sequence, in the order the writer takes them. */
  public enum Step {
    /** Removing a leftover temporary file, or creating the new one with its permissions. */
    CREATE,
    /** Writing the content to the temporary file, forcing it to the disk, or closing it. */
    WRITE,
    /** Renaming the temporary file over the target. */
    RENAME
  }

  /** The step that failed. */
  private final Step step;

  AtomicWriteException(Step step, String what, IOException cause) {
    super(what + ": " + cause, cause);
    this.step = requireNonNull(step, "step");
  }

  /** Returns the step that failed. */
  public Step step() {
    return step;
  }
}
