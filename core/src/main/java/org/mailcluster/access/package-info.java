/**
 * The write gate (requirements R3, R4 and R7 in docs/REQUIREMENTS.md): one place where the host's
 * remote-administration layer asks whether an operation may change state on this node. See {@link
 * org.mailcluster.access.WriteGate}.
 */
package org.mailcluster.access;
