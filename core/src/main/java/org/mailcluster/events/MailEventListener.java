package org.mailcluster.events;

/**
 * Hears mail events that happened on other nodes, never the ones this node published. Called on the
 * node's logical thread, one event at a time, in each origin's order; must not block.
 *
 * <pre>{@code
 * cluster.mailEvents().addListener(e -> imapServer.folderChanged(e.mailbox()));
 * }</pre>
 */
@FunctionalInterface
public interface MailEventListener {
  /** Receives one event from another node. */
  void onMailEvent(MailEvent event);
}
