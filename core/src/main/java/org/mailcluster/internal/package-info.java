/**
 * The node core: the deterministic state machine behind {@link org.mailcluster.ClusterService}. Not
 * exported; nothing here is API.
 */
package org.mailcluster.internal;
