/**
 * Replication, by role: what a node holds while it is the primary ({@link
 * org.mailcluster.internal.replication.PrimaryRole}: the commit pipeline, one subscriber per
 * secondary with its progress, snapshot streaming, heartbeats) and while it is a secondary ({@link
 * org.mailcluster.internal.replication.SecondaryRole}: joining, applying entries and snapshots,
 * acknowledgements, backoff), created when a role is taken and closed when it is left; plus the
 * in-memory log window and the host-file sync both roles use.
 */
package org.mailcluster.internal.replication;
