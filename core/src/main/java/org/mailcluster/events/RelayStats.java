package org.mailcluster.events;

/**
 * What this node's mail-event relay has done since it started.
 *
 * <pre>{@code
 * RelayStats s = cluster.mailEvents().stats();
 * if (s.overflowed() > 0) alert(s.overflowed() + " mail events were dropped");
 * }</pre>
 *
 * @param published events the host published on this node
 * @param received events from other nodes handed to listeners
 * @param duplicates events received again and dropped (at-least-once delivery repeats some)
 * @param buffered events waiting to be delivered to another node now
 * @param overflowed events dropped because a buffer was full while a node was unreachable
 * @param undeliverable events dropped because the receiving node refused them for what they hold
 *     (each drop is logged as a warning); resending them would be refused forever
 */
public record RelayStats(
    long published,
    long received,
    long duplicates,
    int buffered,
    long overflowed,
    long undeliverable) {
  /** Stats without undeliverable events. */
  public RelayStats(long published, long received, long duplicates, int buffered, long overflowed) {
    this(published, received, duplicates, buffered, overflowed, 0);
  }
}
