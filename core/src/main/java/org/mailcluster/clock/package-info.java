/**
 * Clock checks between nodes (SPEC R26, B7): NTP-style {@link org.mailcluster.clock.ClockSample}s
 * over the transport's ping, judged by the {@link org.mailcluster.clock.ClockDriftValidator}.
 */
package org.mailcluster.clock;
