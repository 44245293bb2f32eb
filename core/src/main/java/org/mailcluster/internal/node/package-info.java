/**
 * The node core: the deterministic state machine behind {@link org.mailcluster.ClusterService}.
 * Owns the facade the host calls ({@code ClusterNode}, built by {@link
 * org.mailcluster.internal.node.Nodes}), the one logical thread every piece of node state is
 * touched from ({@link org.mailcluster.internal.node.NodeLoop}), the state shared by both roles
 * ({@link org.mailcluster.internal.node.NodeCore}), the dispatch of peers' calls to the role that
 * may answer them, the named-service registry, the channels to peers, and diagnostics. Not
 * exported; nothing here is API.
 */
package org.mailcluster.internal.node;
