package org.mailcluster;

import org.mailcluster.config.ConfigDiff;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.Revision;
import org.mailcluster.membership.NodeId;

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
   * values (single writer, requirement R3 in docs/REQUIREMENTS.md): {@code overwritten} turns the
   * edited state back into the primary's.
   */
  default void localEditOverwritten(ConfigDiff overwritten) {}

  /** The first synchronization with the primary completed (requirement R31). */
  default void initialSyncComplete(ConfigSnapshot snapshot) {}

  /** The list of registered servers or a role changed. */
  default void membershipChanged() {}

  /**
   * On the primary, a secondary reported another fingerprint than the primary's at the same
   * revision (requirement B2): its state silently diverged, and it is being resynchronized by a
   * full snapshot.
   */
  default void divergenceDetected(NodeId node, Revision at) {}

  /**
   * This node's role changed: promoted to primary at {@code epoch}, or fenced off and now a
   * secondary of the primary of {@code epoch} (promotion, requirement B3).
   */
  default void roleChanged(Role role, long epoch) {}

  /**
   * This node, a former primary, saved revisions that the new primary never received (requirement
   * B3).
   */
  default void divergentRevisionsSaved(DivergenceReport report) {}
}
