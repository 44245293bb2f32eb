/**
 * mailcluster core: the public API ({@code org.mailcluster}), the settings registry and the
 * configuration model ({@code org.mailcluster.config}), and the file-backed state store ({@code
 * org.mailcluster.storage}).
 *
 * <p>Guava and Jackson are implementation details: no type of theirs appears in an exported
 * signature, so a host keeps its own versions of both. Jackson is not even a dependency of the
 * published jar, which carries its own relocated copy; the module opens none of its packages.
 *
 * <p>{@code org.mailcluster.internal.io} (atomic file replacement and PEM) is shared with the
 * sibling modules only, by a qualified export. When core is compiled those modules do not exist
 * yet, and javac warns that it cannot find them ({@code -Xlint:module}); the warning is suppressed
 * here, on this declaration alone, because that is the only reason for it.
 */
@SuppressWarnings("module")
module org.mailcluster.core {
  requires com.google.common;
  // Jackson is needed to compile only: the published jar carries a relocated copy inside this
  // module (org.mailcluster.internal.jackson, not exported), so at run time nothing requires it.
  requires static tools.jackson.databind;
  requires org.slf4j;
  requires java.naming;

  exports org.mailcluster;
  exports org.mailcluster.config;
  exports org.mailcluster.membership;
  exports org.mailcluster.spi;
  exports org.mailcluster.transport;
  exports org.mailcluster.runtime;
  exports org.mailcluster.storage;
  exports org.mailcluster.events;
  exports org.mailcluster.forwarding;
  exports org.mailcluster.screening;
  exports org.mailcluster.certificates;
  exports org.mailcluster.constraints;
  exports org.mailcluster.access;
  exports org.mailcluster.routing;
  exports org.mailcluster.discovery;
  exports org.mailcluster.admin;
  exports org.mailcluster.paths;
  exports org.mailcluster.clock;
  exports org.mailcluster.internal.io to
      org.mailcluster.ini,
      org.mailcluster.transport.grpc;
}
