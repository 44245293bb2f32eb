/**
 * The default cluster transport: gRPC over mutual TLS, with the standard health and reflection
 * services.
 */
module org.mailcluster.transport.grpc {
  requires transitive org.mailcluster.core;
}
