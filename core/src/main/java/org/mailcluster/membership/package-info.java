/**
 * Who is in the cluster: node identities and addresses, and (as they land) the join handshake and
 * the replicated list of registered servers.
 */
package org.mailcluster.membership;
