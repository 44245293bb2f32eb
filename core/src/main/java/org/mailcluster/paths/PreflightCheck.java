package org.mailcluster.paths;

import static java.util.Objects.requireNonNull;

/**
 * One check of a shared-storage preflight: which node checked what on which path.
 *
 * <pre>{@code
 * report.checks().stream().filter(c -> !c.passed()).forEach(c -> System.out.println(c));
 * // mx2 \\nas01\mail read-probe-of-mx1: FAILED (no file /mnt/mail/.mailcluster-probe-mx1: ...)
 * }</pre>
 *
 * @param node the node that made the check
 * @param path the configured path it checked
 * @param check what was checked: {@code mapped}, {@code create}, {@code write}, {@code rename},
 *     {@code lock}, {@code delete}, {@code free-space}, or {@code read-probe-of-<node>} (this node
 *     read the probe another node wrote, through its own mapping)
 * @param passed whether it passed
 * @param detail the local path, figures or the error, for the operator
 */
public record PreflightCheck(
    String node, String path, String check, boolean passed, String detail) {
  /** Checks the parts. */
  public PreflightCheck {
    requireNonNull(node, "node");
    requireNonNull(path, "path");
    requireNonNull(check, "check");
    requireNonNull(detail, "detail");
  }

  @Override
  public String toString() {
    return node
        + " "
        + path
        + " "
        + check
        + ": "
        + (passed ? "ok" : "FAILED")
        + " ("
        + detail
        + ")";
  }
}
