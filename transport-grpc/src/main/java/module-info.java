/**
 * The default cluster transport: gRPC over mutual TLS, with the standard health and reflection
 * services. Only {@code org.mailcluster.transport.grpc} is API.
 *
 * <p>gRPC, protobuf-java and grpc-netty-shaded ship no module descriptors of their own but name
 * themselves in their manifests, and none of the jars this module needs shares a package with
 * another, so they resolve as automatic modules from these {@code requires} lines: a host that is a
 * named module needs nothing on its command line beyond its module path. javac warns about every
 * requirement on an automatic module ({@code -Xlint:requires-automatic}); that is the only reason
 * for the suppression on this declaration.
 */
@SuppressWarnings("requires-automatic")
module org.mailcluster.transport.grpc {
  requires transitive org.mailcluster.core;
  requires com.google.common;
  requires com.google.protobuf;
  requires io.grpc;
  requires io.grpc.netty.shaded;
  requires io.grpc.protobuf;
  requires io.grpc.services;
  requires io.grpc.stub;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.util;
  requires org.slf4j;
  requires java.naming;

  exports org.mailcluster.transport.grpc;
  // The generated messages: protobuf's descriptor-based accessors (text form, field access by
  // descriptor) call their public methods reflectively, which needs the package exported to it.
  exports org.mailcluster.transport.grpc.v1 to
      com.google.protobuf;
}
