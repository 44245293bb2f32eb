/**
 * End-to-end replication over gRPC with mutual TLS on loopback, against a plain gRPC echo measured
 * in the same run.
 */
package org.mailcluster.benchmarks.grpc;
