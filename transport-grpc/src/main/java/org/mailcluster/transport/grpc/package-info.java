/**
 * The default cluster transport: gRPC over mutual TLS, with the standard health and reflection
 * services.
 */
package org.mailcluster.transport.grpc;
