/** Replication in the simulated cluster: the engine's cost without a network. */
package org.mailcluster.benchmarks.replication;
