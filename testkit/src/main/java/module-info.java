/**
 * Deterministic simulated clusters on virtual time with seeded faults, a JUnit 5 extension, jqwik
 * arbitraries and the transport conformance suite. The core of the testkit needs no test framework.
 */
module org.mailcluster.testkit {
  requires transitive org.mailcluster.core;

  exports org.mailcluster.testkit;
}
