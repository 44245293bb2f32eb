package org.mailcluster.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.mailcluster.Role;
import org.mailcluster.certificates.CertificateCheck;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.Fingerprint;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.StoragePath;
import org.mailcluster.screening.ScreeningPolicy;
import org.mailcluster.screening.ScreeningStatus;
import org.mailcluster.spi.LogEntry;

/** The transport records refuse a field beyond its limit when they are built, naming the field. */
class MessageLimitsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final NodeId MX2 = NodeId.of("mx2");

  private static void refused(String message, Executable build) {
    assertEquals(message, assertThrows(IllegalArgumentException.class, build).getMessage());
  }

  @Test
  void epochsAreZeroToTheLargestInt() {
    String range = " is out of range, an epoch is 0 to 2147483647";
    refused("Ping.epoch: -1" + range, () -> new Request.Ping(T0, -1));
    refused(
        "StatusQuery.epoch: 9223372036854775807" + range,
        () -> new Request.StatusQuery(Long.MAX_VALUE));
    refused(
        "EpochGrant.proposed: 9223372036854775807" + range,
        () -> new Request.EpochGrant(MX2, Long.MAX_VALUE, false, 1));
    refused(
        "Status.promised: -2" + range,
        () -> new Response.Status(Role.SECONDARY, 1, -2, Revision.INITIAL, false));
    refused(
        "Heartbeat.epoch: 9223372036854775807" + range,
        () -> new ReplicationMessage.Heartbeat(Long.MAX_VALUE, Revision.INITIAL, T0));
    // One past the bound: a message that claims it is malformed, not a claim to check.
    refused(
        "Ping.epoch: 2147483648" + range, () -> new Request.Ping(T0, MessageLimits.MAX_EPOCH + 1));
    refused("Subscribe.epoch: -1" + range, () -> new Subscribe(MX2, -1, Revision.INITIAL));
    assertEquals(MessageLimits.MAX_EPOCH, new Request.ZoneQuery(MessageLimits.MAX_EPOCH).epoch());
  }

  @Test
  void textsAreRefusedAboveTheirLimitAndAcceptedAtIt() {
    refused(
        "Forward.service: 129 characters, at most 128",
        () -> new Request.Forward("s".repeat(129), "{}", 1));
    refused(
        "Forward.service: empty, a service needs a name", () -> new Request.Forward("", "{}", 1));
    refused(
        "Forwarded.payload: 1048577 characters, at most 1048576",
        () -> new Response.Forwarded("x".repeat(MessageLimits.FORWARD_PAYLOAD + 1), 1));
    assertEquals(
        MessageLimits.FORWARD_PAYLOAD,
        new Request.Forward("echo", "x".repeat(MessageLimits.FORWARD_PAYLOAD), 1)
            .payload()
            .length());
    refused(
        "Join.productVersion: 65 characters, at most 64",
        () ->
            new Request.Join(
                MX2,
                org.mailcluster.membership.NodeAddress.parse("mx2"),
                1,
                "9".repeat(65),
                "f",
                1));
    refused(
        "ProbeToken.token: 129 characters, at most 128",
        () -> new Response.ProbeToken("t".repeat(129), 1));
    assertEquals(
        ZoneId.of("America/Argentina/ComodRivadavia"),
        new Response.Zone(ZoneId.of("America/Argentina/ComodRivadavia"), ZoneOffset.ofHours(-3), 1)
            .zone());
  }

  @Test
  void aProbeReadNamesAPlainFileOnly() {
    StoragePath share = StoragePath.parse("\\\\nas01\\mail");
    for (String bad : List.of("", ".", "..", "../x", "a\\b", "a/b", "c:x", "a\u0000b")) {
      assertThrows(IllegalArgumentException.class, () -> new Request.ProbeRead(share, bad, 1), bad);
    }
    refused(
        "ProbeRead.file: 256 characters, at most 255",
        () -> new Request.ProbeRead(share, "f".repeat(256), 1));
    assertEquals(
        ".mailcluster-probe-mx1", new Request.ProbeRead(share, ".mailcluster-probe-mx1", 1).file());
  }

  @Test
  void aStatusReportNamesTheCheckAndTheTextBeyondItsLimit() {
    CertificateCheck ok =
        new CertificateCheck(
            "mail",
            CertificateCheck.Level.OK,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            List.of("mail.example.com"),
            Optional.empty(),
            List.of());
    CertificateCheck longProblem =
        new CertificateCheck(
            "mail",
            CertificateCheck.Level.ERROR,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            List.of(),
            Optional.empty(),
            List.of("fine", "p".repeat(4097)));
    refused(
        "StatusReport.certificates[1].problems[1]: 4097 characters, at most 4096",
        () -> new Request.StatusReport(List.of(ok, longProblem), Optional.empty(), 1));
    List<CertificateCheck> many = new ArrayList<>();
    for (int i = 0; i <= MessageLimits.CERTIFICATES; i++) {
      many.add(ok);
    }
    refused(
        "StatusReport.certificates: 4097 elements, at most 4096",
        () -> new Request.StatusReport(many, Optional.empty(), 1));
    ScreeningStatus negative =
        new ScreeningStatus(ScreeningPolicy.OVERWRITE, "primary", -1, 0, 0, 0, 0, Optional.empty());
    refused(
        "StatusReport.screening.blocked: -1 is negative",
        () -> new Request.StatusReport(List.of(), Optional.of(negative), 1));

    List<CertificateCheck> mutable = new ArrayList<>(List.of(ok));
    Request.StatusReport report = new Request.StatusReport(mutable, Optional.empty(), 1);
    mutable.clear();
    assertEquals(List.of(ok), report.certificates(), "the report keeps its own copy");
  }

  @Test
  void replicationMessagesCountTheirEntriesAndKeys() {
    LogEntry entry =
        new LogEntry(
            Revision.of(1, 1),
            T0,
            "api:test",
            ConfigDiff.of(List.of(ConfigDiff.Change.added("k", "v"))));
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 0; i <= MessageLimits.ENTRIES_PER_MESSAGE; i++) {
      entries.add(entry);
    }
    refused(
        "Entries.entries: 4097 elements, at most 4096",
        () -> new ReplicationMessage.Entries(1, Revision.INITIAL, entries));
    TreeMap<String, String> keys = new TreeMap<>();
    for (int i = 0; i <= MessageLimits.KEYS_PER_CHUNK; i++) {
      keys.put("k" + i, "v");
    }
    refused(
        "SnapshotChunk.entries: 65537 elements, at most 65536",
        () ->
            new ReplicationMessage.SnapshotChunk(
                1, Revision.of(1, 1), Fingerprint.EMPTY, 0, true, keys));
  }
}
