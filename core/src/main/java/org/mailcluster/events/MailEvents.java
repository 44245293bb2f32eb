package org.mailcluster.events;

/**
 * The mail-change relay of one node (requirement R6 in docs/REQUIREMENTS.md). An event published on
 * a secondary goes to the primary; the primary hands it to its listeners and relays it to every
 * other node, never back to the origin. Delivery is at least once with duplicates dropped by id, in
 * publication order per origin. While a node cannot be reached its events wait in a bounded buffer;
 * when the buffer is full the oldest event is dropped, counted in {@link RelayStats#overflowed()}
 * and reported as a warning in the diagnostics. Buffers live in memory: events still waiting on a
 * node that crashes are lost, so receivers treat events as hints and re-read their folders after a
 * restart.
 *
 * <pre>{@code
 * MailEvents events = cluster.mailEvents();
 * events.addListener(e -> imap.refresh(e.mailbox()));
 * events.publish("example.com/frank/Inbox", MailEvent.Kind.MESSAGE_ADDED, "uid=4711");
 * }</pre>
 */
public interface MailEvents {
  /**
   * Publishes a change that happened on this node and returns the event (with its new id). Returns
   * at once; delivery happens on the node's thread.
   *
   * @throws IllegalArgumentException if the mailbox is blank or the payload too large
   */
  MailEvent publish(String mailbox, MailEvent.Kind kind, String payload);

  /** Adds a listener for events from other nodes. */
  void addListener(MailEventListener listener);

  /** Returns what the relay has done so far. */
  RelayStats stats();
}
