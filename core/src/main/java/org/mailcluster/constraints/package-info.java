/**
 * Cluster constraints (requirements R23–R25 in docs/REQUIREMENTS.md): settings that must have a
 * fixed value while clustering is on, such as attachment linking off. See {@link
 * org.mailcluster.constraints.ClusterConstraints}.
 */
package org.mailcluster.constraints;
