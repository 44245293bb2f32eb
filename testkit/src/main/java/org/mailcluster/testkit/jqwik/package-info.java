/**
 * The testkit's jqwik layer: arbitraries for configurations and for sequences of {@link
 * org.mailcluster.testkit.ClusterAction}s. Needs {@code jqwik-api} on the class path; the rest of
 * the testkit does not.
 */
package org.mailcluster.testkit.jqwik;
