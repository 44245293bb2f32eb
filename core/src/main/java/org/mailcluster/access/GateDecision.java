package org.mailcluster.access;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.mailcluster.ErrorCode;

/**
 * The write gate's answer for one operation on this node.
 *
 * <pre>{@code
 * GateDecision d = cluster.writeGate().check(AdminOperation.write("AddUser"));
 * if (!d.allowed()) return xmlFault(d.code().orElseThrow(), d.message(), d.primaryAddress());
 * }</pre>
 *
 * @param allowed whether the operation may run here
 * @param code why not: {@code NOT_PRIMARY} (run it on the primary) or {@code CONSTRAINT_VIOLATION}
 *     (the cluster fixes this setting); empty when allowed
 * @param message what to tell the administrator
 * @param primaryAddress the primary's address, where a refused write should go, if known
 */
public record GateDecision(
    boolean allowed, Optional<ErrorCode> code, String message, Optional<String> primaryAddress) {
  /** Checks the parts. */
  public GateDecision {
    requireNonNull(code, "code");
    requireNonNull(message, "message");
    requireNonNull(primaryAddress, "primaryAddress");
    if (allowed == code.isPresent()) {
      throw new IllegalArgumentException("a decision has a code exactly when it refuses");
    }
  }
}
