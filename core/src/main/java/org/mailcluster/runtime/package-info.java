/**
 * Production implementations that touch real time and real threads. This is the only package of
 * mailcluster allowed to read the system clock or create threads; everything else receives a {@link
 * org.mailcluster.spi.Scheduler}.
 */
package org.mailcluster.runtime;
