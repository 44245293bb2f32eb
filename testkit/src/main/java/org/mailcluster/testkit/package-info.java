/**
 * Deterministic simulated clusters on virtual time with seeded faults. {@link
 * org.mailcluster.testkit.VirtualTime} is the one timeline of a simulation; {@link
 * org.mailcluster.testkit.SimulatedNetwork} carries the nodes' messages as tasks on it, with the
 * {@link org.mailcluster.testkit.Fault}s a test injects. Everything random comes from one seed, so
 * a failing run is repeated by running it again with that seed. This package needs no test
 * framework; the JUnit 5 layer is {@code org.mailcluster.testkit.junit}.
 */
package org.mailcluster.testkit;
