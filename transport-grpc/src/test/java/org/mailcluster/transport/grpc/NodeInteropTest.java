package org.mailcluster.transport.grpc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.mailcluster.ClusterService;
import org.mailcluster.ClusterServiceBuilder;
import org.mailcluster.ErrorCode;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.runtime.SystemScheduler;
import org.mailcluster.storage.FileStateStore;
import org.mailcluster.transport.grpc.v1.ClusterGrpc;
import org.mailcluster.transport.grpc.v1.ClusterProto;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client that shares no code with this transport (Node.js with {@code @grpc/grpc-js}, the script
 * in {@code src/test/node}) talks to a real primary over TLS: health with the node's role, service
 * lists and descriptors through both reflection protocols, cluster calls refused without a
 * certificate of the cluster CA, answered with one, and a request above a field's limit refused
 * with a description that names the field.
 *
 * <p>The script's npm packages are installed from its committed {@code package-lock.json} into
 * {@code target/node-interop} (by {@code npm ci}, once per lockfile). Node.js and npm must be on
 * the {@code PATH}; without them this test fails and says what to install.
 */
@Tag("process")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeInteropTest {
  private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(2);
  private static final Path MODULE = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
  private static final NodeId PRIMARY = NodeId.of("mx1");
  private static final NodeId SECONDARY = NodeId.of("mx2");

  @TempDir static Path tmp;
  private final List<ClusterService> nodes = new ArrayList<>();
  private JsonNode seen;
  private JsonNode seenOnSecondary;
  private String transcript;

  @BeforeAll
  void runTheScriptAgainstARealCluster() throws Exception {
    Path node = executable("node");
    Path npm = executable("npm");
    Path script = installScript(npm);

    NodeAddress primaryAddress = TestCluster.unusedAddress();
    NodeAddress secondaryAddress = TestCluster.unusedAddress();
    ClusterService primary = start(PRIMARY, primaryAddress, Optional.empty());
    primary.addServer(SECONDARY, secondaryAddress).get(30, TimeUnit.SECONDS);
    ClusterService secondary = start(SECONDARY, secondaryAddress, Optional.of(primaryAddress));
    secondary.awaitSynchronized().get(60, TimeUnit.SECONDS);

    Path ca = Files.writeString(tmp.resolve("ca.pem"), TestCluster.CA.certificatePem());
    // A stranger: a certificate that even names the primary, but from a CA of its own.
    Path stranger = tmp.resolve("stranger");
    ClusterCertificateAuthority.create("stranger")
        .issue(PRIMARY, List.of("127.0.0.1"))
        .writeTo(stranger);
    Path member = tmp.resolve("member");
    TestCluster.certificate(SECONDARY).writeTo(member);

    List<String> common =
        List.of(
            node.toString(),
            script.toString(),
            "--ca",
            ca.toString(),
            "--protos",
            MODULE.resolve("src/main/proto").toString());
    seen =
        runScript(
            script,
            common,
            List.of(
                "--target",
                target(primaryAddress),
                "--stranger-cert",
                stranger.resolve("node.pem").toString(),
                "--stranger-key",
                stranger.resolve("node-key.pem").toString(),
                "--member-cert",
                member.resolve("node.pem").toString(),
                "--member-key",
                member.resolve("node-key.pem").toString()));
    seenOnSecondary = runScript(script, common, List.of("--target", target(secondaryAddress)));
  }

  private ClusterService start(NodeId id, NodeAddress listen, Optional<NodeAddress> primaryAt)
      throws Exception {
    GrpcTransport transport =
        GrpcTransport.builder(id, listen)
            .security(TestCluster.tls(id))
            .gracePeriod(Duration.ofSeconds(2))
            .build();
    ClusterServiceBuilder builder =
        ClusterService.builder()
            .node(id, listen)
            .productVersion("23.5.2")
            .licenceKey("licence-" + id)
            .transport(transport)
            .stateStore(FileStateStore.builder(tmp.resolve(id.value())).build())
            .scheduler(SystemScheduler.create(id.value()));
    ClusterService service =
        primaryAt.isEmpty()
            ? builder.primary().build()
            : builder.secondaryOf(primaryAt.get()).build();
    nodes.add(service);
    service.start().get(30, TimeUnit.SECONDS);
    return service;
  }

  private static String target(NodeAddress address) {
    return address.host() + ":" + address.port();
  }

  /** Runs interop.js, keeps what it printed for failure messages, and parses its JSON. */
  private JsonNode runScript(Path script, List<String> common, List<String> more)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(common);
    command.addAll(more);
    Run run = run(command, script.getParent(), SCRIPT_TIMEOUT);
    String printed =
        String.join(" ", command)
            + "\nprinted:\n"
            + run.stdout()
            + "\nand on stderr:\n"
            + run.stderr();
    transcript = transcript == null ? printed : transcript + "\n\n" + printed;
    // Kept for whoever reads a failure report: what the independent client saw, as JSON.
    Files.writeString(script.resolveSibling("last-run.txt"), transcript);
    assertEquals(0, run.exit(), "interop.js failed with exit " + run.exit() + "\n" + transcript);
    return JsonMapper.builder().build().readTree(run.stdout());
  }

  @AfterAll
  void stopTheCluster() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close(); // secondaries first, so they don't spend their end reconnecting
    }
  }

  @Test
  void healthTellsAnyTlsClientThatThisNodeIsThePrimary() {
    JsonNode health = seen.path("health");
    assertEquals("SERVING", status(health.path("")), transcript);
    assertEquals("SERVING", status(health.path(ClusterGrpc.SERVICE_NAME)), transcript);
    assertEquals("SERVING", status(health.path(GrpcTransport.PRIMARY_HEALTH_NAME)), transcript);
    assertEquals(
        "NOT_SERVING", status(health.path(GrpcTransport.SECONDARY_HEALTH_NAME)), transcript);
    JsonNode unknown = health.path("no.such.service");
    assertFalse(unknown.path("ok").asBoolean(true), transcript);
    assertEquals(Status.Code.NOT_FOUND.value(), unknown.path("code").asInt(), transcript);
  }

  @Test
  void healthTellsAnyTlsClientThatASecondaryIsNotThePrimary() {
    JsonNode health = seenOnSecondary.path("health");
    assertEquals("SERVING", status(health.path("")), transcript);
    assertEquals("SERVING", status(health.path(ClusterGrpc.SERVICE_NAME)), transcript);
    assertEquals("NOT_SERVING", status(health.path(GrpcTransport.PRIMARY_HEALTH_NAME)), transcript);
    assertEquals("SERVING", status(health.path(GrpcTransport.SECONDARY_HEALTH_NAME)), transcript);
  }

  @Test
  void aSecondaryRefusesAClusterCallWithoutACertificateToo() {
    assertRefused(
        seenOnSecondary.path("pingWithoutCertificate"),
        Status.Code.UNAUTHENTICATED,
        ErrorCode.UNAUTHENTICATED);
  }

  @Test
  void bothReflectionProtocolsListTheClusterAndHealthServices() {
    for (String version : List.of("v1", "v1alpha")) {
      List<String> services = strings(seen.path("reflection").path(version).path("services"));
      String where = "reflection " + version + " listed " + services + "\n" + transcript;
      assertTrue(services.contains(ClusterGrpc.SERVICE_NAME), where);
      assertTrue(services.contains(HealthGrpc.SERVICE_NAME), where);
      assertTrue(services.contains("grpc.reflection." + version + ".ServerReflection"), where);
    }
  }

  @Test
  void reflectionDescribesTheClusterServiceAsTheProtoDeclaresIt() {
    ServiceDescriptor declared = ClusterProto.getDescriptor().findServiceByName("Cluster");
    for (String version : List.of("v1", "v1alpha")) {
      JsonNode symbol = seen.path("reflection").path(version).path("clusterSymbol");
      String where = "reflection " + version + "\n" + transcript;
      assertTrue(symbol.path("ok").asBoolean(false), where);
      JsonNode file =
          find(symbol.path("files"), "name", ClusterProto.getDescriptor().getName())
              .orElseGet(() -> fail("no descriptor of cluster.proto: " + where));
      assertEquals(declared.getFile().getPackage(), file.path("package").asString(), where);
      JsonNode service =
          find(file.path("services"), "name", declared.getName())
              .orElseGet(() -> fail("cluster.proto has no Cluster service: " + where));
      List<String> expected = new ArrayList<>();
      List<String> served = new ArrayList<>();
      for (MethodDescriptor m : declared.getMethods()) {
        expected.add(
            m.getName()
                + "("
                + m.getInputType().getFullName()
                + (m.isServerStreaming() ? ") returns stream " : ") returns ")
                + m.getOutputType().getFullName());
      }
      for (JsonNode m : service.path("methods").values()) {
        served.add(
            m.path("name").asString()
                + "("
                + m.path("inputType").asString().replaceFirst("^\\.", "")
                + (m.path("serverStreaming").asBoolean() ? ") returns stream " : ") returns ")
                + m.path("outputType").asString().replaceFirst("^\\.", ""));
      }
      assertEquals(expected, served, where);
    }
  }

  @Test
  void aClusterCallWithoutACertificateIsUnauthenticatedAndSaysWhy() {
    JsonNode ping = seen.path("pingWithoutCertificate");
    assertRefused(ping, Status.Code.UNAUTHENTICATED, ErrorCode.UNAUTHENTICATED);
    String details = ping.path("details").asString();
    assertTrue(details.contains("certificate"), details);
    assertTrue(details.contains("cluster CA"), details);
  }

  @Test
  void aClusterCallWithACertificateOfAnotherCaIsUnauthenticated() {
    JsonNode ping = seen.path("pingWithStrangerCertificate");
    assertRefused(ping, Status.Code.UNAUTHENTICATED, ErrorCode.UNAUTHENTICATED);
    String details = ping.path("details").asString();
    assertTrue(details.contains("not valid for this cluster"), details);
    assertTrue(
        details.contains(TestCluster.CA.certificate().getSubjectX500Principal().getName()),
        details);
  }

  @Test
  void aClusterCallWithAClusterCertificateIsAnswered() {
    JsonNode ping = seen.path("pingAsMember");
    assertTrue(ping.path("ok").asBoolean(false), transcript);
    JsonNode pong = ping.path("response");
    Instant pingSentAt = instant(pong.path("ping_sent_at"));
    Instant receivedAt = instant(pong.path("received_at"));
    Instant sentAt = instant(pong.path("sent_at"));
    // Client and node share this machine's clock: the ping left before the test looks at it.
    assertTrue(!pingSentAt.isAfter(Instant.now()), transcript);
    assertTrue(!receivedAt.isAfter(sentAt), transcript);
    assertTrue(Duration.between(pingSentAt, receivedAt).abs().toSeconds() < 60, transcript);
    assertEquals(1, pong.path("epoch").asInt(), transcript);
  }

  @Test
  void aMemberAsksTheZoneWithTheTypedRequest() {
    JsonNode zone = seen.path("zoneAsMember");
    assertTrue(zone.path("ok").asBoolean(false), transcript);
    JsonNode response = zone.path("response");
    assertEquals(
        java.time.ZoneId.systemDefault().getId(), response.path("zone").asString(), transcript);
    assertTrue(Math.abs(response.path("utc_offset_seconds").asInt()) <= 18 * 3600, transcript);
  }

  @Test
  void aJoinWithANodeIdAboveTheLimitIsAnInvalidArgumentThatNamesTheField() {
    JsonNode join = seen.path("joinWithOverlongNode");
    assertRefused(join, Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_VALUE);
    assertEquals(
        "JoinRequest.node: 70 characters, at most 63", join.path("details").asString(), transcript);
  }

  @Test
  void aClusterCallWithoutTheProtocolHeaderIsRefusedAsAProtocolMismatch() {
    JsonNode ping = seen.path("pingWithoutProtocolHeader");
    assertRefused(ping, Status.Code.FAILED_PRECONDITION, ErrorCode.PROTOCOL_MISMATCH);
    assertTrue(ping.path("details").asString().contains("protocol"), transcript);
  }

  private void assertRefused(JsonNode call, Status.Code code, ErrorCode error) {
    assertFalse(call.isMissingNode(), "the script did not make this call\n" + transcript);
    assertFalse(call.path("ok").asBoolean(true), "the call was answered\n" + transcript);
    assertEquals(code.value(), call.path("code").asInt(-1), transcript);
    assertEquals(code.name(), call.path("codeName").asString(), transcript);
    assertEquals(error.name(), call.path("errorTrailer").asString(), transcript);
  }

  private String status(JsonNode check) {
    assertTrue(check.path("ok").asBoolean(false), "health check failed\n" + transcript);
    return check.path("status").asString();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array.values()) {
      out.add(n.asString());
    }
    return out;
  }

  private static Optional<JsonNode> find(JsonNode array, String field, String value) {
    for (JsonNode n : array.values()) {
      if (value.equals(n.path(field).asString(""))) {
        return Optional.of(n);
      }
    }
    return Optional.empty();
  }

  private Instant instant(JsonNode timestamp) {
    assertFalse(timestamp.isMissingNode(), "no timestamp\n" + transcript);
    return Instant.ofEpochSecond(
        Long.parseLong(timestamp.path("seconds").asString()), timestamp.path("nanos").asInt());
  }

  // ---- Node.js and npm ------------------------------------------------------------------

  /** Finds a program on the PATH, or fails saying what to install. */
  private static Path executable(String name) {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    return Arrays.stream(path.split(File.pathSeparator))
        .filter(dir -> !dir.isEmpty())
        .flatMap(dir -> Stream.of(name, name + ".cmd", name + ".exe").map(n -> Path.of(dir, n)))
        .filter(Files::isExecutable)
        .findFirst()
        .orElseGet(
            () ->
                fail(
                    "NodeInteropTest needs Node.js 18 or newer with npm on the PATH, but '"
                        + name
                        + "' is not there: install them (Debian: apt-get install nodejs npm;"
                        + " other systems: https://nodejs.org) and run the build again"));
  }

  /**
   * Copies {@code src/test/node} to {@code target/node-interop} and installs its locked packages
   * there, unless the same lockfile was installed before. Returns the script.
   */
  private static Path installScript(Path npm) throws IOException, InterruptedException {
    Path source = MODULE.resolve("src/test/node");
    Path target = MODULE.resolve("target/node-interop");
    copyTree(source, target);
    Path stamp = target.resolve("node_modules/.installed-package-lock.json");
    byte[] lock = Files.readAllBytes(source.resolve("package-lock.json"));
    if (!Files.exists(stamp) || !Arrays.equals(lock, Files.readAllBytes(stamp))) {
      Run install =
          run(
              List.of(npm.toString(), "ci", "--no-audit", "--no-fund", "--ignore-scripts"),
              target,
              NPM_TIMEOUT);
      assertEquals(
          0,
          install.exit(),
          "npm ci in "
              + target
              + " failed (it needs the npm registry): "
              + install.stdout()
              + install.stderr());
      Files.write(stamp, lock);
    }
    return target.resolve("interop.js");
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path relative = from.relativize(f);
        if (relative.startsWith("node_modules")) {
          continue; // a developer's own install in the source folder is not ours to copy
        }
        Path copy = to.resolve(relative.toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(copy);
        } else {
          Files.copy(f, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private record Run(int exit, String stdout, String stderr) {}

  private static Run run(List<String> command, Path directory, Duration timeout)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("interop-", ".out");
    Path err = Files.createTempFile("interop-", ".err");
    try {
      Process process =
          new ProcessBuilder(command)
              .directory(directory.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File(nullDevice())))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        fail(
            String.join(" ", command)
                + " did not finish within "
                + timeout
                + "; it printed: "
                + Files.readString(out, UTF_8)
                + Files.readString(err, UTF_8));
      }
      return new Run(
          process.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
    } finally {
      delete(out);
      delete(err);
    }
  }

  private static String nullDevice() {
    return File.separatorChar == '\\' ? "NUL" : "/dev/null";
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
