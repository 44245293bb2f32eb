package org.mailcluster.internal.services;

import java.util.Optional;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.access.AdminOperation;
import org.mailcluster.access.GateDecision;
import org.mailcluster.access.WriteGate;
import org.mailcluster.config.Editability;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;
import org.mailcluster.internal.node.NodeSettings;

/**
 * The write gate (requirements R3, R4 and R7 in docs/REQUIREMENTS.md) from the node's role, the
 * registry and the members list.
 */
public final class NodeWriteGate implements WriteGate {
  private final NodeContext node;
  private final NodeSettings settings;

  NodeWriteGate(NodeContext node, NodeSettings settings) {
    this.node = node;
    this.settings = settings;
  }

  @Override
  public GateDecision check(AdminOperation operation) {
    Optional<String> primaryAddress = primaryAddress();
    if (!operation.write()) {
      return new GateDecision(
          true, Optional.empty(), "reads are allowed on every node", primaryAddress);
    }
    if (operation.setting().isPresent()) {
      SettingKey key = operation.setting().get();
      Editability e = editability(key);
      if (e == Editability.FIXED_BY_CLUSTER) {
        String value =
            settings.registry().find(key).flatMap(Setting::encodedClusterConstraint).orElse("?");
        return new GateDecision(
            false,
            Optional.of(ErrorCode.CONSTRAINT_VIOLATION),
            "'"
                + operation.name()
                + "' would change "
                + key.displayName()
                + ", which must stay '"
                + value
                + "' while clustering is on",
            primaryAddress);
      }
      if (e == Editability.EDITABLE && node.role() != Role.PRIMARY) {
        return new GateDecision(
            true, Optional.empty(), key.displayName() + " belongs to this node", primaryAddress);
      }
    }
    if (node.role() == Role.PRIMARY) {
      return new GateDecision(true, Optional.empty(), "this node is the primary", primaryAddress);
    }
    String primary =
        node.primary().map(Object::toString).orElse("the primary")
            + primaryAddress.map(a -> " at " + a).orElse("");
    return new GateDecision(
        false,
        Optional.of(ErrorCode.NOT_PRIMARY),
        "'"
            + operation.name()
            + "' changes state, and "
            + settings.id()
            + " is a read-only secondary: send it to "
            + primary,
        primaryAddress);
  }

  @Override
  public Editability editability(SettingKey setting) {
    return settings.registry().editability(setting, node.role());
  }

  private Optional<String> primaryAddress() {
    return node.primaryAddress().map(Object::toString);
  }
}
