package org.mailcluster.paths;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * The result of a shared-storage preflight started on one node (requirements R5, R12 and R27 in
 * docs/REQUIREMENTS.md): its own checks of every shared path, and every other node's reading of the
 * probe it wrote.
 *
 * <pre>{@code
 * PreflightReport report = cluster.preflight().join();
 * if (!report.passed()) {
 *   report.failures().forEach(c -> log.error("{}", c));
 * }
 * }</pre>
 *
 * @param node the node that ran the preflight
 * @param at when it finished, by that node's clock
 * @param checks every check, per node and per path
 */
public record PreflightReport(String node, Instant at, List<PreflightCheck> checks) {
  /** Copies the list. */
  public PreflightReport {
    requireNonNull(node, "node");
    requireNonNull(at, "at");
    checks = List.copyOf(checks);
  }

  /** Returns whether every check passed. */
  public boolean passed() {
    return checks.stream().allMatch(PreflightCheck::passed);
  }

  /** Returns the checks that failed. */
  public List<PreflightCheck> failures() {
    return checks.stream().filter(c -> !c.passed()).toList();
  }
}
