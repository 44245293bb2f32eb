package org.mailcluster.testkit.junit;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.mailcluster.testkit.SimulatedCluster;

/**
 * Injects {@link SimulatedCluster}s into test methods, closes them after the test, and, when the
 * test fails, attaches the cluster's seed and the end of its network trace to the failure, so the
 * run can be replayed with {@code -Dmailcluster.seed=<seed>}.
 *
 * <pre>{@code
 * @ExtendWith(SimulatedClusterExtension.class)
 * class FailoverTest {
 *   @Test
 *   @ClusterConfig(nodes = 3)
 *   void convergesAfterAPartition(SimulatedCluster cluster) {
 *     cluster.inject(new Fault.Partition(Set.of(NodeId.of("mx3")), Set.of(NodeId.of("mx1"))));
 *     cluster.runFor(Duration.ofSeconds(5));
 *     cluster.healAll();
 *     cluster.awaitConverged(Duration.ofSeconds(30));
 *   }
 * }
 * }</pre>
 */
public final class SimulatedClusterExtension
    implements ParameterResolver, TestExecutionExceptionHandler {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(SimulatedClusterExtension.class);

  /** Creates the extension; JUnit does this through {@code @ExtendWith}. */
  public SimulatedClusterExtension() {}

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == SimulatedCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (context.getTestMethod().isEmpty()) {
      throw new ParameterResolutionException(
          "a SimulatedCluster can be injected into test methods only, not into "
              + parameter.getDeclaringExecutable());
    }
    ClusterConfig config =
        context
            .getTestMethod()
            .map(m -> m.getAnnotation(ClusterConfig.class))
            .or(() -> context.getTestClass().map(c -> c.getAnnotation(ClusterConfig.class)))
            .orElse(null);
    int nodes = config == null ? 3 : config.nodes();
    long seed = seed(config);
    SimulatedCluster cluster;
    try {
      cluster = SimulatedCluster.builder().nodes(nodes).seed(seed).build();
    } catch (IllegalArgumentException e) {
      throw new ParameterResolutionException(
          "@ClusterConfig on " + context.getDisplayName() + " is invalid: " + e.getMessage(), e);
    }
    // Stored first, so that it is closed after the test even if starting it fails.
    clusters(context).add(cluster);
    context.getStore(NAMESPACE).put(cluster, (AutoCloseable) cluster::close);
    if (config == null || config.started()) {
      cluster.start();
    }
    return cluster;
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    for (SimulatedCluster cluster : clusters(context)) {
      failure.addSuppressed(cluster.failure("simulated cluster of this test"));
    }
    throw failure;
  }

  @SuppressWarnings("unchecked") // the store holds only what this extension put there
  private static List<SimulatedCluster> clusters(ExtensionContext context) {
    return (List<SimulatedCluster>)
        context.getStore(NAMESPACE).getOrComputeIfAbsent("clusters", k -> new ArrayList<>());
  }

  private static long seed(ClusterConfig config) {
    Optional<String> override = Optional.ofNullable(System.getProperty("mailcluster.seed"));
    if (override.isPresent()) {
      try {
        return Long.parseLong(override.get());
      } catch (NumberFormatException e) {
        throw new ParameterResolutionException(
            "system property mailcluster.seed must be a whole number but was '"
                + override.get()
                + "'",
            e);
      }
    }
    if (config != null && config.seed() != 0) {
      return config.seed();
    }
    return new SecureRandom().nextLong();
  }
}
