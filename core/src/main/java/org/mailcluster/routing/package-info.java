/**
 * Routing advice for the load balancer in front of the cluster (SPEC R11). See {@link
 * org.mailcluster.routing.RoutingPlan}.
 */
package org.mailcluster.routing;
