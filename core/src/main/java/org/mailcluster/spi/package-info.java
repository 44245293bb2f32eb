/**
 * The service-provider interfaces through which a node touches the world: time and scheduling
 * ({@link org.mailcluster.spi.Scheduler}) and the host's configuration files ({@link
 * org.mailcluster.spi.ConfigSource}). Production implementations live in {@code
 * org.mailcluster.runtime} and in the adapter modules; the testkit supplies deterministic ones.
 */
package org.mailcluster.spi;
