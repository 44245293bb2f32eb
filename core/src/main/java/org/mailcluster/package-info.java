/**
 * The public API of mailcluster: roles, domain errors ({@link org.mailcluster.ClusterException}
 * with an {@link org.mailcluster.ErrorCode}) and, as they land, the {@code ClusterService} a mail
 * server embeds.
 */
package org.mailcluster;
