/**
 * Registered servers: their records in the replicated state, reading them, and the checks a server
 * that joins must pass (certificate identity, registration, protocol and product version, own
 * licence key).
 */
package org.mailcluster.internal.membership;
