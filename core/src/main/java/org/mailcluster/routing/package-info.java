/**
 * Routing advice for the load balancer in front of the cluster (requirement R11 in
 * docs/REQUIREMENTS.md). See {@link org.mailcluster.routing.RoutingPlan}.
 */
package org.mailcluster.routing;
