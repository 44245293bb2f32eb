/**
 * Paths on shared storage: {@link org.mailcluster.paths.StoragePath} (Windows drive, UNC and POSIX
 * paths with Windows normalisation), {@link org.mailcluster.paths.PathMapping} (how one node sees a
 * share locally), {@link org.mailcluster.paths.SharedStorage} and the shared-storage preflight's
 * {@link org.mailcluster.paths.PreflightReport}.
 */
package org.mailcluster.paths;
