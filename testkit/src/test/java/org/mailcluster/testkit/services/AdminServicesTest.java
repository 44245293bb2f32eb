package org.mailcluster.testkit.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterService;
import org.mailcluster.ConfigUpdate;
import org.mailcluster.ErrorCode;
import org.mailcluster.Role;
import org.mailcluster.access.AdminOperation;
import org.mailcluster.access.GateDecision;
import org.mailcluster.admin.ClusterOptions;
import org.mailcluster.admin.SharedPaths;
import org.mailcluster.config.Editability;
import org.mailcluster.config.Scope;
import org.mailcluster.config.Setting;
import org.mailcluster.config.SettingKey;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.routing.Protocol;
import org.mailcluster.routing.RoutingAdvice;
import org.mailcluster.routing.RoutingPlan;
import org.mailcluster.screening.ScreeningPolicy;
import org.mailcluster.testkit.SimulatedCluster;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The write gate (R3, R4, R7), routing advice (R11) and the administrator views (R32). */
class AdminServicesTest {
  private static final SettingKey SIGNATURE = SettingKey.ini("MDaemon.ini", "Special", "Signature");
  private static final SettingKey BIND = SettingKey.ini("MDaemon.ini", "Cluster", "BindAddress");
  private static final SettingKey LINKING =
      SettingKey.ini("MDaemon.ini", "Special", "AttachmentLinking");
  private static final SettingKey LOCKS = SettingKey.ini("MDaemon.ini", "Directories", "LockFiles");
  private static final SettingKey USERS = SettingKey.ini("MDaemon.ini", "Directories", "Users");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static SimulatedCluster cluster() {
    SettingsRegistry r = SettingsRegistry.create();
    r.register(Setting.string(SIGNATURE).defaultValue("").build());
    r.register(Setting.string(BIND).defaultValue("").scope(Scope.NODE_LOCAL).build());
    r.register(Setting.bool(LINKING).defaultValue(false).clusterConstraint(false).build());
    return SimulatedCluster.builder()
        .nodes(3)
        .seed(31)
        .registry(r)
        .nodeOptions((id, b) -> b.screeningPolicy(ScreeningPolicy.REPLAY))
        .build();
  }

  @Test
  void theWriteGateAllowsReadsEverywhereAndWritesOnThePrimaryOnly() {
    try (SimulatedCluster cluster = cluster()) {
      cluster.start();
      ClusterService primary = cluster.primary();
      ClusterService secondary = cluster.node("mx2");
      AdminOperation read = AdminOperation.read("GetDomainList");
      AdminOperation write = AdminOperation.write("AddUser");
      assertTrue(secondary.writeGate().check(read).allowed());
      assertTrue(primary.writeGate().check(write).allowed());

      GateDecision refused = secondary.writeGate().check(write);
      assertFalse(refused.allowed());
      assertEquals(Optional.of(ErrorCode.NOT_PRIMARY), refused.code());
      assertEquals(Optional.of("mx1:7400"), refused.primaryAddress());
      assertTrue(refused.message().contains("mx1 at mx1:7400"), refused.message());
      ClusterException e =
          assertThrows(ClusterException.class, () -> secondary.writeGate().require(write));
      assertEquals(ErrorCode.NOT_PRIMARY, e.code());

      // Per setting: replicated settings on the primary only, node-local ones on their node,
      // settings the cluster fixes nowhere.
      assertFalse(
          secondary
              .writeGate()
              .check(AdminOperation.writeSetting("SetSignature", SIGNATURE))
              .allowed());
      assertTrue(
          primary
              .writeGate()
              .check(AdminOperation.writeSetting("SetSignature", SIGNATURE))
              .allowed());
      assertTrue(
          secondary.writeGate().check(AdminOperation.writeSetting("SetBind", BIND)).allowed());
      GateDecision fixed =
          primary.writeGate().check(AdminOperation.writeSetting("SetLinking", LINKING));
      assertEquals(Optional.of(ErrorCode.CONSTRAINT_VIOLATION), fixed.code());
      assertEquals(Editability.READ_ONLY, secondary.writeGate().editability(SIGNATURE));
      assertEquals(Editability.EDITABLE, primary.writeGate().editability(SIGNATURE));
      assertEquals(Editability.EDITABLE, secondary.writeGate().editability(BIND));
      assertEquals(Editability.FIXED_BY_CLUSTER, secondary.writeGate().editability(LINKING));
    }
  }

  @Test
  void routingAdviceSendsHttpAndXmppToThePrimaryStickyAndMailProtocolsAnywhere() {
    try (SimulatedCluster cluster = cluster()) {
      cluster.start();
      for (String id : cluster.ids()) {
        RoutingPlan plan = cluster.node(id).routing();
        assertEquals(id.equals("mx1") ? Role.PRIMARY : Role.SECONDARY, plan.role());
        assertEquals(cluster.node(id).role(), plan.role(), "the health endpoint's role");
        assertEquals(
            new RoutingAdvice(
                Protocol.HTTP, List.of("mx1"), true, plan.advice(Protocol.HTTP).reason()),
            plan.advice(Protocol.HTTP));
        assertEquals(List.of("mx1"), plan.advice(Protocol.XMPP).nodes());
        assertTrue(plan.advice(Protocol.XMPP).sticky());
        assertEquals(List.of("mx1"), plan.advice(Protocol.REMOTE_ADMIN).nodes());
        for (Protocol p : List.of(Protocol.SMTP, Protocol.IMAP, Protocol.POP3)) {
          assertEquals(List.of("mx1", "mx2", "mx3"), plan.advice(p).nodes(), p + " on " + id);
          assertFalse(plan.advice(p).sticky());
        }
        assertEquals(Protocol.values().length, plan.advice().size());
      }
      JsonNode json = JSON.readTree(JSON.writeValueAsString(cluster.node("mx2").routing()));
      assertEquals("SECONDARY", json.path("role").asString());
      assertEquals("HTTP", json.path("advice").path(3).path("protocol").asString());
    }
  }

  @Test
  void optionsSharedPathsAndDiagnosticsAreJsonRecords() throws Exception {
    try (SimulatedCluster cluster = cluster()) {
      cluster.start();
      cluster.await(
          cluster
              .primary()
              .update(
                  ConfigUpdate.builder("api:test")
                      .setRaw(LOCKS, "\\\\nas01\\mail\\LockFiles\\")
                      .setRaw(USERS, "C:\\MDaemon\\Users\\")
                      .build()),
          java.time.Duration.ofSeconds(30));
      cluster.awaitConverged(java.time.Duration.ofSeconds(30));

      ClusterOptions options = cluster.node("mx2").options();
      JsonNode o = JSON.readTree(JSON.writeValueAsString(options));
      assertEquals("mx2", o.path("node").asString());
      assertEquals("SECONDARY", o.path("role").asString());
      assertEquals("mx1:7400", o.path("primaryAddress").asString());
      assertEquals(7400, o.path("port").asInt());
      assertEquals("REPLAY", o.path("screeningPolicy").asString());
      assertEquals(10_000, o.path("mailEventBuffer").asInt());

      Map<String, SettingKey> folders = new LinkedHashMap<>();
      folders.put("LOCK_FILES", LOCKS);
      folders.put("MAILBOX_ROOT", USERS);
      folders.put("PEM", SettingKey.ini("MDaemon.ini", "Directories", "PEM"));
      SharedPaths paths = SharedPaths.of(cluster.node("mx3").configuration(), folders);
      JsonNode p = JSON.readTree(JSON.writeValueAsString(paths));
      assertTrue(p.path("paths").path(0).path("networkPath").asBoolean());
      assertFalse(p.path("paths").path(1).path("networkPath").asBoolean());
      assertTrue(
          p.path("paths").path(2).path("value").isNull()
              || p.path("paths").path(2).path("value").isMissingNode());
      assertEquals(paths, JSON.readValue(JSON.writeValueAsString(paths), SharedPaths.class));

      JsonNode d = JSON.readTree(JSON.writeValueAsString(cluster.node("mx2").diagnostics()));
      assertEquals("mx2", d.path("node").asString());
      assertEquals("forwarding", d.path("screening").path("mode").asString());
      assertEquals("REPLAY", d.path("screening").path("policy").asString());
      assertTrue(d.path("certificates").isArray());
    }
  }
}
