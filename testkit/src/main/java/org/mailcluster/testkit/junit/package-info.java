/**
 * The testkit's JUnit 5 layer: {@link org.mailcluster.testkit.junit.SimulatedClusterExtension},
 * which injects simulated clusters into tests, {@link
 * org.mailcluster.testkit.junit.ActionPropertyExtension}, which injects property runs over random
 * action sequences, and the transport conformance suite every {@link
 * org.mailcluster.transport.ClusterTransport} runs. Needs {@code junit-jupiter-api} on the class
 * path; the rest of the testkit does not.
 */
package org.mailcluster.testkit.junit;
