/**
 * Property tests over random scenarios, with no test framework: {@link
 * org.mailcluster.testkit.property.ActionGenerator} draws seeded, weighted sequences of steps
 * ({@link org.mailcluster.testkit.property.ClusterActions} for {@link
 * org.mailcluster.testkit.ClusterAction}s on a {@link org.mailcluster.testkit.SimulatedCluster}),
 * {@link org.mailcluster.testkit.property.Shrinker} minimises a failing sequence by replaying
 * candidates, and {@link org.mailcluster.testkit.property.ActionProperty} runs a scenario over many
 * sequences and reports a failure with its seed and the minimised sequence as Java source.
 *
 * <pre>{@code
 * ActionProperty.forCluster(3, 6)
 *     .sequences(200)
 *     .check((actions, clusterSeed) -> {
 *       try (SimulatedCluster cluster = SimulatedCluster.builder().nodes(3).seed(clusterSeed).build()) {
 *         cluster.start();
 *         for (ClusterAction a : actions) {
 *           ClusterActions.apply(cluster, a, k -> SettingKey.plugin("myplugin", "k" + k));
 *         }
 *         ClusterActions.settle(cluster, Duration.ofMinutes(1));
 *         // the plugin's own checks
 *       }
 *     });
 * }</pre>
 *
 * <p>JUnit 5 tests can have an {@code ActionProperty} injected instead: see {@code
 * org.mailcluster.testkit.junit.ActionPropertyExtension}.
 */
package org.mailcluster.testkit.property;
