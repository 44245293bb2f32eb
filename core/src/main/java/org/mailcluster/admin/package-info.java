/**
 * Administrator views (requirement R32 in docs/REQUIREMENTS.md) as records that Jackson writes as
 * JSON: {@link org.mailcluster.admin.ClusterOptions}, {@link org.mailcluster.admin.SharedPaths};
 * the third view is {@link org.mailcluster.Diagnostics}.
 */
package org.mailcluster.admin;
