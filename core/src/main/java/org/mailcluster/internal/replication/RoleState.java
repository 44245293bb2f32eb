package org.mailcluster.internal.replication;

import org.mailcluster.ClusterException;
import org.mailcluster.Role;
import org.mailcluster.config.ConfigDiff;

/**
 * What a node holds only while it has one role: created when the role is taken, closed when it is
 * left. Closing fails every future the role still owes with the reason it was left, so nothing
 * waits for a role that is gone.
 */
public sealed interface RoleState permits PrimaryRole, SecondaryRole {
  /** The role this state belongs to. */
  Role role();

  /** Someone edited the host's files behind the library's back. On the loop. */
  void onHostFileEdit(ConfigDiff external);

  /** Leaves the role: cancels its work and fails what it still owes with {@code why}. */
  void close(ClusterException why);
}
