package org.mailcluster.internal.node;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;
import org.mailcluster.Role;
import org.mailcluster.clock.ClockOptions;
import org.mailcluster.config.SettingsRegistry;
import org.mailcluster.config.StateLimits;
import org.mailcluster.internal.services.ServiceOptions;
import org.mailcluster.membership.HostResolver;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.paths.SharedStorage;
import org.mailcluster.spi.ConfigSource;

/** What a node is told at build time; validated by the public builder. */
public record NodeSettings(
    NodeId id,
    NodeAddress address,
    Role role,
    Optional<NodeAddress> primaryAddress,
    String productVersion,
    String licenceFingerprint,
    SettingsRegistry registry,
    Optional<ConfigSource> configSource,
    RandomGenerator random,
    Duration heartbeatInterval,
    Duration callDeadline,
    int snapshotInterval,
    HostResolver resolver,
    ServiceOptions services,
    int historyEntries,
    Duration historyAge,
    Path divergenceDirectory,
    ClockOptions clock,
    ZoneId zone,
    Optional<SharedStorage> sharedStorage,
    Executor storageExecutor,
    StateLimits limits) {}
