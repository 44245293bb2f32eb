package org.mailcluster.testkit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Configures the {@link org.mailcluster.testkit.SimulatedCluster} that {@link
 * SimulatedClusterExtension} injects, on a test method or its class (the method wins).
 *
 * <pre>{@code
 * @Test
 * @ClusterConfig(nodes = 5, seed = 42)
 * void survivesAPartition(SimulatedCluster cluster) { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface ClusterConfig {
  /** How many nodes: one primary and the rest secondaries. */
  int nodes() default 3;

  /**
   * The seed; {@code 0} means a fresh random seed for each run (printed when the test fails). The
   * system property {@code mailcluster.seed} overrides both, to replay a failure.
   */
  long seed() default 0;

  /**
   * Whether the cluster is started (all secondaries registered and synchronized) before the test.
   */
  boolean started() default true;
}
