/**
 * Finding servers to add to the cluster (requirement R28 in docs/REQUIREMENTS.md): the {@link
 * org.mailcluster.discovery.Discovery} SPI with a static list, DNS (A/AAAA and SRV) and LAN
 * multicast announcements.
 */
package org.mailcluster.discovery;
