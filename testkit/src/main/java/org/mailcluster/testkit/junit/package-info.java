/**
 * The testkit's JUnit 5 layer: the transport conformance suite every {@link
 * org.mailcluster.transport.ClusterTransport} runs. Needs {@code junit-jupiter-api} on the class
 * path; the rest of the testkit does not.
 */
package org.mailcluster.testkit.junit;
