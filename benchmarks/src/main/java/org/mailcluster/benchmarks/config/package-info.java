/** Micro benchmarks of the configuration model: commits and diffs on large snapshots. */
package org.mailcluster.benchmarks.config;
