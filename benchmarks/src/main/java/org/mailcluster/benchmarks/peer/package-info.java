/** Peers measured beside the project: JGroups' replicated map over loopback. */
package org.mailcluster.benchmarks.peer;
