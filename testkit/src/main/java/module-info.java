/**
 * Deterministic simulated clusters on virtual time with seeded faults, property tests over random
 * action sequences, a JUnit 5 extension and the transport conformance suite. The core of the
 * testkit needs no test framework; {@code org.mailcluster.testkit.junit} needs JUnit 5 when it is
 * used.
 */
module org.mailcluster.testkit {
  requires transitive org.mailcluster.core;
  requires static transitive org.junit.jupiter.api;

  exports org.mailcluster.testkit;
  exports org.mailcluster.testkit.junit;
  exports org.mailcluster.testkit.property;
}
