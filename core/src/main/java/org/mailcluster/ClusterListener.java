package org.mailcluster;

import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;

/**
 * What the host hears about its node. Every method has an empty default, so a host implements only
 * what it needs. Called on the node's logical thread, one call at a time, in the order things
 * happened; must not block and should not throw (a throwing listener is logged and the node goes
 * on).
 *
 * <pre>{@code
 * cluster.addListener(new ClusterListener() {
 *   public void configurationChanged(ConfigSnapshot now, ConfigDiff diff) {
 *     mailServer.reload(diff);
 *   }
 * });
 * }</pre>
 */
public interface ClusterListener {
  /** The applied configuration changed: {@code diff} turned the previous state into {@code now}. */
  default void configurationChanged(ConfigSnapshot now, ConfigDiff diff) {}

  /**
   * On a secondary, an edit made behind the library's back was overwritten with the primary's
   * values (SPEC R3): {@code overwritten} turns the edited state back into the primary's.
   */
  default void localEditOverwritten(ConfigDiff overwritten) {}

  /** The first synchronization with the primary completed (SPEC R31). */
  default void initialSyncComplete(ConfigSnapshot snapshot) {}

  /** The list of registered servers or a role changed. */
  default void membershipChanged() {}
}
