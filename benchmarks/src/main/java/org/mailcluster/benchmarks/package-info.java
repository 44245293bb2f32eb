/**
 * The benchmark report: runs every benchmark with the peers beside it in one process and writes the
 * table with baselines and ratios. Not published.
 */
package org.mailcluster.benchmarks;
