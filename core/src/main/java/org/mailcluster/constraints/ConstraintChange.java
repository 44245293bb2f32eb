package org.mailcluster.constraints;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * One setting that was changed to the value the cluster requires.
 *
 * <pre>{@code
 * // [Special] AttachmentLinking: Yes → No
 * System.out.println(change.setting() + ": " + change.before().orElse("(unset)") + " → " + change.after());
 * }</pre>
 *
 * @param setting the setting's display name, e.g. {@code [Special] AttachmentLinking}
 * @param key its state key
 * @param before its raw value before, if it had one
 * @param after the required raw value
 */
public record ConstraintChange(String setting, String key, Optional<String> before, String after) {
  /** Checks the parts. */
  public ConstraintChange {
    requireNonNull(setting, "setting");
    requireNonNull(key, "key");
    requireNonNull(before, "before");
    requireNonNull(after, "after");
  }
}
