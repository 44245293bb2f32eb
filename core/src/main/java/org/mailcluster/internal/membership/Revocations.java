package org.mailcluster.internal.membership;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.PeerIdentity;

/**
 * The certificates of removed servers, refused from then on. The primary records the serial number
 * of the certificate each server joins with under {@code member-certificate/<id>}; removing the
 * server moves it to {@code revoked/<serial>}, replicated like everything else, so that every node
 * refuses that certificate even after the same id is registered again: a server that comes back
 * needs a new certificate. Serial numbers are the transport's, in lower-case hex.
 */
public final class Revocations {
  static final String CERTIFICATE_NAMESPACE = "member-certificate";
  static final String REVOKED_NAMESPACE = "revoked";

  private Revocations() {}

  static String certificateKey(NodeId id) {
    return SettingKey.of(CERTIFICATE_NAMESPACE, id.value()).stateKey();
  }

  static String revokedKey(String serial) {
    return SettingKey.of(REVOKED_NAMESPACE, serial).stateKey();
  }

  /** The server whose removal revoked the certificate {@code from} presents, if it was revoked. */
  public static Optional<String> revokedFor(ConfigSnapshot state, PeerIdentity from) {
    return from.certificateSerial().flatMap(serial -> state.get(revokedKey(serial)));
  }

  /** What to commit when {@code id} joins with {@code from}'s certificate: nothing if recorded. */
  public static Map<String, Optional<String>> joined(
      ConfigSnapshot state, NodeId id, PeerIdentity from) {
    if (from.certificateSerial().isEmpty()) {
      return Map.of();
    }
    String serial = from.certificateSerial().get();
    String key = certificateKey(id);
    return state.get(key).equals(Optional.of(serial)) ? Map.of() : Map.of(key, Optional.of(serial));
  }

  /** What to commit, besides dropping its record, when {@code id} is removed. */
  public static Map<String, Optional<String>> removed(ConfigSnapshot state, NodeId id) {
    Map<String, Optional<String>> changes = new LinkedHashMap<>();
    String key = certificateKey(id);
    state
        .get(key)
        .ifPresent(
            serial -> {
              changes.put(key, Optional.empty());
              changes.put(revokedKey(serial), Optional.of(id.value()));
            });
    return changes;
  }
}
