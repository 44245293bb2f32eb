/**
 * TLS certificates (requirements R20–R22 in docs/REQUIREMENTS.md): imported on the primary,
 * replicated under {@code cert/}, written on every node with owner-only permissions, and checked on
 * every node. See {@link org.mailcluster.certificates.Certificates}.
 */
package org.mailcluster.certificates;
