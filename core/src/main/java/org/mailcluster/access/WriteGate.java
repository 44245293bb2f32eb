package org.mailcluster.access;

import org.mailcluster.ClusterException;
import org.mailcluster.config.Editability;
import org.mailcluster.config.SettingKey;

/**
 * Answers "may this operation change state on this node?" for the host's remote-administration API
 * (requirement R7 in docs/REQUIREMENTS.md), and "may this setting be edited here?" for its user
 * interface (R4). Reads are always allowed. Writes are allowed on the primary only, except writes
 * of a node-local setting, which each node owns; a write of a setting the cluster fixes is refused
 * everywhere.
 *
 * <pre>{@code
 * WriteGate gate = cluster.writeGate();
 * gate.require(AdminOperation.write("DeleteUser")); // throws NOT_PRIMARY on a secondary
 * boolean greyedOut = gate.editability(key) != Editability.EDITABLE;
 * }</pre>
 */
public interface WriteGate {
  /** Decides whether {@code operation} may run on this node. */
  GateDecision check(AdminOperation operation);

  /**
   * Throws unless {@code operation} may run on this node.
   *
   * @throws ClusterException with {@code NOT_PRIMARY} (naming the primary and its address) or
   *     {@code CONSTRAINT_VIOLATION}
   */
  default void require(AdminOperation operation) {
    GateDecision d = check(operation);
    if (!d.allowed()) {
      throw new ClusterException(d.code().orElseThrow(), d.message());
    }
  }

  /** Tells whether {@code setting} may be edited on this node. */
  Editability editability(SettingKey setting);
}
