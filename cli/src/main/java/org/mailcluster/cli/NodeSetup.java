package org.mailcluster.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.mailcluster.ClusterService;
import org.mailcluster.ClusterServiceBuilder;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.config.StateLimits;
import org.mailcluster.ini.IniConfigSource;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.runtime.SystemScheduler;
import org.mailcluster.storage.FileStateStore;
import org.mailcluster.transport.grpc.GrpcTransport;
import org.mailcluster.transport.grpc.TransportSecurity;

/**
 * Everything a real node needs, wired the way the README's "Running a node" shows: a directory of
 * INI files, a state directory, gRPC with mutual TLS, and the system scheduler. Shared by the demo
 * and the node agent so that both run the same code.
 *
 * @param id the node's id
 * @param listen where it listens for peers
 * @param primary where the primary listens, on a secondary; empty on the primary
 * @param iniDirectory the directory of INI files it replicates
 * @param iniFiles the files of that directory it replicates by name; empty for the mail server
 *     profile's
 * @param iniFilePattern a pattern of further files it replicates, if any
 * @param stateDirectory where it keeps its log and snapshots
 * @param security its certificate and the cluster CA
 * @param productVersion the mail server's version; every node of a cluster must run the same one
 * @param licenceKey the node's licence key (only its fingerprint is kept); unique per node
 * @param debounce how long an INI file must be quiet after an edit before it is read
 * @param rescan how often every INI file is re-read in case watching missed an edit
 * @param roundTripProbe how often the round trip to each peer is measured
 * @param roundTripWarning the round trip above which the cluster log warns
 * @param limits how large a value, a file, a revision and the state may be; an INI file larger than
 *     the file limit (in bytes) is not even read
 */
record NodeSetup(
    NodeId id,
    NodeAddress listen,
    Optional<NodeAddress> primary,
    Path iniDirectory,
    List<String> iniFiles,
    Optional<String> iniFilePattern,
    Path stateDirectory,
    TransportSecurity security,
    String productVersion,
    String licenceKey,
    Duration debounce,
    Duration rescan,
    Duration roundTripProbe,
    Duration roundTripWarning,
    StateLimits limits) {

  /** Builds the node; it does not start it. */
  ClusterService build() {
    SystemScheduler scheduler = SystemScheduler.create(id.toString());
    GrpcTransport transport =
        GrpcTransport.builder(id, listen)
            .security(security)
            .roundTripProbe(roundTripProbe)
            .roundTripWarning(roundTripWarning)
            .gracePeriod(Duration.ofSeconds(2))
            .build();
    ClusterServiceBuilder builder =
        ClusterService.builder()
            .node(id, listen)
            .productVersion(productVersion)
            .licenceKey(licenceKey)
            .registry(SettingsRegistry.create())
            .configSource(iniFiles(scheduler))
            .stateStore(FileStateStore.builder(stateDirectory).build())
            .transport(transport)
            .scheduler(scheduler)
            .limits(limits);
    return primary.isPresent()
        ? builder.secondaryOf(primary.get()).build()
        : builder.primary().build();
  }

  private IniConfigSource iniFiles(SystemScheduler scheduler) {
    IniConfigSource.Builder ini =
        IniConfigSource.builder(iniDirectory)
            .scheduler(scheduler)
            .debounce(debounce)
            .rescanInterval(rescan)
            .maxFileBytes(limits.fileChars());
    if (!iniFiles.isEmpty()) {
      ini.files(iniFiles);
    }
    iniFilePattern.ifPresent(ini::filePattern);
    return ini.build();
  }
}
