/**
 * Deterministic simulated clusters on virtual time with seeded faults, a JUnit 5 extension, jqwik
 * arbitraries and the transport conformance suite.
 */
module org.mailcluster.testkit {
  requires transitive org.mailcluster.core;
}
