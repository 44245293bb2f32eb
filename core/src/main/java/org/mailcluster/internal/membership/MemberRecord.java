package org.mailcluster.internal.membership;

import java.util.Optional;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.config.SettingKey;
import org.mailcluster.membership.Member;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A registered server as stored in the replicated state under {@code member/<id>}, as JSON. Absent
 * facts (a server that never joined has no version yet) are {@code null} in this internal form
 * only.
 */
public record MemberRecord(
    String address, Role role, String productVersion, String licenceFingerprint) {
  public static final String NAMESPACE = "member";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  public static String stateKey(NodeId id) {
    return SettingKey.of(NAMESPACE, id.value()).stateKey();
  }

  public static boolean isMemberKey(String stateKey) {
    return stateKey.startsWith(NAMESPACE + "/");
  }

  public String toJson() {
    return JSON.writeValueAsString(this);
  }

  public static MemberRecord fromJson(String stateKey, String json) {
    try {
      MemberRecord r = JSON.readValue(json, MemberRecord.class);
      if (r == null || r.address == null || r.role == null) {
        throw new IllegalArgumentException("address and role are required");
      }
      return r;
    } catch (JacksonException | IllegalArgumentException e) {
      throw new ClusterException(
          ErrorCode.CORRUPT_DATA,
          "registered server "
              + stateKey
              + " cannot be read ("
              + e.getMessage()
              + "): remove and add it again on the primary",
          e);
    }
  }

  public Member toMember(NodeId id) {
    return new Member(id, NodeAddress.parse(address), role, Optional.ofNullable(productVersion));
  }

  public MemberRecord joined(String version, String fingerprint) {
    return new MemberRecord(address, role, version, fingerprint);
  }
}
