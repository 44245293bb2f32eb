/**
 * The cluster services built into every node: mail-change relay, dynamic screening, certificates,
 * cluster constraints, the write gate, status reports, clock and shared-storage checks, and the
 * "ask the primary, fall back locally" forwarding. They see the node only through {@link
 * org.mailcluster.internal.services.NodeContext}.
 */
package org.mailcluster.internal.services;
