/**
 * Clock checks between nodes (requirements R26 and B7 in docs/REQUIREMENTS.md): NTP-style {@link
 * org.mailcluster.clock.ClockSample}s over the transport's ping, judged by the {@link
 * org.mailcluster.clock.ClockDriftValidator}.
 */
package org.mailcluster.clock;
