/**
 * The configuration model: typed settings ({@link org.mailcluster.config.Setting}) and the registry
 * that declares them ({@link org.mailcluster.config.SettingsRegistry}), the namespaced keys of the
 * replicated state ({@link org.mailcluster.config.SettingKey}), immutable snapshots of that state
 * with structural sharing ({@link org.mailcluster.config.ConfigSnapshot}), revisions, fingerprints,
 * and the diff engine ({@link org.mailcluster.config.ConfigDiff}) whose changes are the unit of
 * replication.
 */
package org.mailcluster.config;
