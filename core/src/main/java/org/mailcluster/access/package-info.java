/**
 * The write gate (SPEC R3, R4, R7): one place where the host's remote-administration layer asks
 * whether an operation may change state on this node. See {@link org.mailcluster.access.WriteGate}.
 */
package org.mailcluster.access;
