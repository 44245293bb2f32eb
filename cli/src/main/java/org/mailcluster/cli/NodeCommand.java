package org.mailcluster.cli;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mailcluster.ClusterException;
import org.mailcluster.ClusterListener;
import org.mailcluster.ClusterService;
import org.mailcluster.ErrorCode;
import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeAddress;
import org.mailcluster.membership.NodeId;
import org.mailcluster.transport.grpc.TransportSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The node agent (requirement B8 in docs/REQUIREMENTS.md): one cluster node that replicates a
 * directory of INI files for a mail server that does not run on the JVM, until it is told to stop.
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    header = "Run one node that replicates a directory of INI files (the node agent).",
    description = {
      "Run one cluster node that replicates a directory of INI files, for a mail server that",
      "does not run on the JVM. On the primary, edits of those files become revisions that",
      "reach every secondary; on a secondary, the files follow the primary's and local edits",
      "are overwritten. Stops gracefully on Ctrl-C or SIGTERM. Logs to the console and to",
      "log.file.",
      "",
      "CONFIG is a properties file:",
      "  node.id = mx1                      this node's id (its certificate's common name)",
      "  listen = 10.0.0.11:7400            where it listens for peers",
      "  role = primary                     primary or secondary",
      "  servers = mx2=10.0.0.12:7400       primary: the secondaries it serves (comma-separated)",
      "  primary = 10.0.0.11:7400           secondary: where the primary listens",
      "  ini.directory = C:/MDaemon/App     the folder of the INI files to replicate (it must",
      "                                     exist: it is never created)",
      "  ini.files = MDaemon.ini            the files to replicate (comma-separated; default",
      "                                     MDaemon.ini)",
      "  ini.file.pattern = *.ini           replicate every matching file too (* and ?)",
      "  state.directory = state            the node's revision log and snapshots",
      "  tls.directory = certs/mx1          ca.pem, node.pem, node-key.pem (mailcluster certs)",
      "  product.version = 23.5.2           the mail server's version, equal on every node",
      "  licence.key = ...                  different on every node (default: from node.id)",
      "  status.listen = 127.0.0.1:7480     address for `mailcluster status` (optional; on any",
      "                                     other than loopback every request needs the token)",
      "  log.file = mailcluster.log         default: mailcluster-<node.id>.log",
      "  log.level = INFO                   ERROR, WARN, INFO or DEBUG",
      "  log.file.size = 10MB               the log file rotates at this size (KB, MB, GB)",
      "  log.file.count = 10                files kept, the current one included (2 to 21):",
      "                                     mailcluster-mx1.log, mailcluster-mx1.1.log ...",
      "  ini.debounce.millis = 200          quiet time after an edit before a file is read",
      "  ini.rescan.seconds = 30            how often every file is re-read anyway",
      "  round.trip.warning.millis = 10     warn when a peer's round trip is slower (one LAN)",
      "  limits.value = 1048576             the longest value, in characters (1 MiB)",
      "  limits.file = 8388608              the largest INI file, in bytes, and its keys and",
      "                                     values in the state, in characters (8 MiB)",
      "  limits.revision = 33554432         the largest revision, in characters (32 MiB)",
      "  limits.state = 134217728           the whole state, in characters (128 MiB)",
      "Over a limit, a change is refused (LIMIT_EXCEEDED) and nothing of it is committed.",
      "Out of memory, the agent exits with code 6 so that its service manager restarts it.",
      "  ini.held.back.share = 0.5          primary: hold back a change that deletes more than",
      "                                     this share of a file's keys (`mailcluster confirm`)",
      "Relative paths are resolved against CONFIG's folder."
    })
final class NodeCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger("mailcluster.agent");
  private static final Duration START_LIMIT = Duration.ofSeconds(60);

  @Parameters(index = "0", paramLabel = "CONFIG", description = "The node's properties file.")
  Path configFile;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    // Any thread's fatal error stops the process: a node that lost its loop or a transport
    // thread to an OutOfMemoryError would otherwise linger, answering nothing.
    Thread.setDefaultUncaughtExceptionHandler(NodeCommand::uncaught);
    NodeConfig config = NodeConfig.load(configFile);
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.isDirectory(config.iniDirectory())) {
      // Never created: an empty directory in place of a mistyped path or an unmounted share
      // would read as every file deleted.
      throw InputException.of(
          configFile
              + ": ini.directory "
              + config.iniDirectory().toAbsolutePath()
              + " does not exist or is not a directory",
          "create it, mount the share it is on, or correct ini.directory; the node does not"
              + " create it, since an empty directory would delete every key");
    }
    Files.createDirectories(config.stateDirectory());
    Files.createDirectories(config.logFile().toAbsolutePath().getParent());
    Logging.consoleAndFile(
        Level.valueOf(config.logLevel()), config.logFile(), config.logRotation());
    TransportSecurity security = security(config.tlsDirectory());

    ClusterService node =
        new NodeSetup(
                config.id(),
                config.listen(),
                config.primary(),
                config.iniDirectory(),
                config.iniFiles(),
                config.iniFilePattern(),
                config.stateDirectory(),
                security,
                config.productVersion(),
                config.licenceKey(),
                config.debounce(),
                config.rescan(),
                Duration.ofSeconds(5),
                config.roundTripWarning(),
                config.limits(),
                config.heldBackShare())
            .build();
    node.addListener(new LoggingListener());
    CountDownLatch stopped = new CountDownLatch(1);
    StatusEndpoint[] status = new StatusEndpoint[1];
    Thread hook =
        new Thread(
            () -> {
              LOG.info("stopping {} (shutdown requested)", config.id());
              if (status[0] != null) {
                status[0].close();
              }
              node.close(Duration.ofSeconds(10));
              LOG.info("stopped {}: replication closed cleanly", config.id());
              Logging.stop();
              stopped.countDown();
            },
            "mailcluster-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);

    LOG.info(
        "starting {} as {} on {}, replicating {}",
        config.id(),
        config.isPrimary() ? "primary" : "secondary of " + config.primary().orElseThrow(),
        config.listen(),
        config.iniDirectory());
    try {
      await(node.start(), "starting " + config.id());
      // Status first: when registering fails, the operator needs it to see why and to act.
      if (config.statusListen().isPresent()) {
        status[0] =
            StatusEndpoint.start(
                config.statusListen().get(),
                node,
                StatusEndpoint.writeToken(config.stateDirectory()));
        LOG.info("status on http://{}{}", status[0].address(), StatusEndpoint.DIAGNOSTICS);
      }
      if (config.isPrimary()) {
        for (Map.Entry<NodeId, NodeAddress> s : config.servers().entrySet()) {
          try {
            await(node.addServer(s.getKey(), s.getValue()), "registering " + s.getKey());
            LOG.info("registered secondary {} at {}", s.getKey(), s.getValue());
          } catch (InputException e) {
            if (!(e.getCause() instanceof ClusterException ce)
                || ce.code() != ErrorCode.STATE_CONFLICT) {
              throw e;
            }
            // A registered server holds newer state: this node serves no one until it is
            // recovered, but stays up so that the operator can recover it.
            LOG.error(
                "registering {} was refused: {} (hint: `mailcluster recover --config {}`)",
                s.getKey(),
                ce.getMessage(),
                configFile);
            break;
          }
        }
      }
    } catch (RuntimeException e) {
      Runtime.getRuntime().removeShutdownHook(hook);
      node.close(Duration.ofSeconds(5));
      throw e;
    }
    if (!config.isPrimary()) {
      reportInitialSync(node, config.primary().orElseThrow());
    }
    out.printf(
        "%s is running as %s; log: %s. Stop it with Ctrl-C or SIGTERM.%n",
        config.id(), config.isPrimary() ? "primary" : "secondary", config.logFile());
    out.flush();
    stopped.await();
    return 0;
  }

  /**
   * A thread died of an uncaught failure. A {@link VirtualMachineError} (out of memory, stack
   * overflow) leaves the JVM in an unknown state: the agent says so on standard error, in as few
   * allocations as it can, and halts with {@link Main#FATAL}, without shutdown hooks that might
   * need memory. Anything else is logged and the agent goes on.
   */
  static void uncaught(Thread thread, Throwable failure) {
    if (failure instanceof VirtualMachineError) {
      try {
        System.err.println(
            "mailcluster node: fatal "
                + failure
                + " in thread "
                + thread.getName()
                + "; exiting with code "
                + Main.FATAL
                + ". Restart the agent; if it runs out of memory again, give it more heap"
                + " (-Xmx) or lower limits.* in its configuration");
        System.err.flush();
      } finally {
        Runtime.getRuntime().halt(Main.FATAL);
      }
    }
    LOG.error("thread {} failed; the agent goes on", thread.getName(), failure);
  }

  /** Logs the initial sync's progress every five seconds until it completes (requirement R31). */
  private static void reportInitialSync(ClusterService node, NodeAddress primary) {
    long started = System.nanoTime();
    CompletableFuture<Void> synced = node.awaitSynchronized();
    LOG.info("waiting for the initial sync from the primary at {}", primary);
    Thread progress =
        new Thread(
            () -> {
              while (true) {
                try {
                  synced.get(5, TimeUnit.SECONDS);
                  LOG.info(
                      "initial sync complete in {} ms: revision {}, {} keys",
                      (System.nanoTime() - started) / 1_000_000,
                      node.configuration().revision(),
                      node.configuration().size());
                  return;
                } catch (TimeoutException e) {
                  LOG.info(
                      "still waiting for the initial sync ({} s, at revision {}{}); the primary"
                          + " must be running and list this node in 'servers' (configured: {};"
                          + " the cluster log says which server this node tries, and why it"
                          + " failed)",
                      (System.nanoTime() - started) / 1_000_000_000,
                      node.configuration().revision(),
                      node.configuration().revision().equals(Revision.INITIAL)
                          ? ""
                          : ", serving the last known configuration meanwhile",
                      primary);
                } catch (InterruptedException | ExecutionException e) {
                  return;
                }
              }
            },
            "mailcluster-initial-sync");
    progress.setDaemon(true);
    progress.start();
  }

  private static TransportSecurity security(Path dir) {
    for (String name : new String[] {"ca.pem", "node.pem", "node-key.pem"}) {
      if (!Files.isRegularFile(dir.resolve(name))) {
        throw InputException.of(
            "missing " + dir.resolve(name),
            "tls.directory must hold ca.pem, node.pem and node-key.pem: create them with"
                + " `mailcluster certs`");
      }
    }
    try {
      return TransportSecurity.mutualTls(
          dir.resolve("ca.pem"), dir.resolve("node.pem"), dir.resolve("node-key.pem"));
    } catch (ClusterException e) {
      throw new InputException(
          e.getMessage(), "create the files again with `mailcluster certs`", e);
    }
  }

  private static <T> T await(CompletableFuture<T> future, String what) throws Exception {
    try {
      return future.get(START_LIMIT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw InputException.unavailable(
          what + " did not complete within " + START_LIMIT.toSeconds() + " s",
          "see the log for what the node is waiting for",
          e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ClusterException ce) {
        throw InputException.unavailable(
            what + " failed: " + ce.code() + ": " + ce.getMessage(), "see the log", ce);
      }
      if (cause instanceof IOException || cause instanceof IllegalStateException) {
        throw InputException.unavailable(
            what + " failed: " + cause.getMessage(),
            "is another node already listening on this address?",
            cause);
      }
      throw e;
    }
  }

  /** What the agent's log says about replication, beyond the library's own cluster log. */
  private static final class LoggingListener implements ClusterListener {
    @Override
    public void configurationChanged(ConfigSnapshot now, ConfigDiff diff) {
      LOG.info(
          "configuration at revision {} ({} change{}):{}{}",
          now.revision(),
          diff.size(),
          diff.size() == 1 ? "" : "s",
          System.lineSeparator(),
          shortRender(diff));
    }

    @Override
    public void localEditOverwritten(ConfigDiff overwritten) {
      LOG.warn(
          "overwrote {} local edit{} with the primary's values:{}{}",
          overwritten.size(),
          overwritten.size() == 1 ? "" : "s",
          System.lineSeparator(),
          shortRender(overwritten));
    }
  }

  /** A diff for the log: the first changes, and how many more there are. */
  private static String shortRender(ConfigDiff diff) {
    int limit = 20;
    StringBuilder b = new StringBuilder();
    diff.render().lines().limit(limit).forEach(l -> b.append("  ").append(l).append('\n'));
    if (diff.size() > limit) {
      b.append("  … and ").append(diff.size() - limit).append(" more\n");
    }
    return b.toString().stripTrailing();
  }
}
