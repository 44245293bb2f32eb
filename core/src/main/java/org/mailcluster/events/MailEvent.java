package org.mailcluster.events;

import static java.util.Objects.requireNonNull;

import org.mailcluster.membership.NodeId;

/**
 * A change to mail on one node that the other nodes must hear about (requirement R6 in
 * docs/REQUIREMENTS.md). Events are small: the message store itself is shared, so an event only
 * says what changed where, and receivers re-read the folder.
 *
 * <pre>{@code
 * MailEvent e = cluster.mailEvents().publish("example.com/frank/Inbox", MailEvent.Kind.MESSAGE_ADDED, "uid=4711");
 * }</pre>
 *
 * @param id a unique id; receivers drop an event whose id they have already seen
 * @param origin the node where the change happened
 * @param mailbox the mailbox or folder, e.g. {@code example.com/frank/Inbox}
 * @param kind what happened
 * @param payload a small opaque text for the host (at most {@value #MAX_PAYLOAD} characters)
 */
public record MailEvent(String id, NodeId origin, String mailbox, Kind kind, String payload) {
  /** The largest payload, in characters. */
  public static final int MAX_PAYLOAD = 4096;

  /** The longest id, in characters (the relay's own ids are UUIDs, 36). */
  public static final int MAX_ID = 64;

  /** The longest mailbox or folder name, in characters. */
  public static final int MAX_MAILBOX = 1024;

  /** Checks the parts. */
  public MailEvent {
    requireNonNull(id, "id");
    requireNonNull(origin, "origin");
    requireNonNull(mailbox, "mailbox");
    requireNonNull(kind, "kind");
    requireNonNull(payload, "payload");
    if (id.isBlank()) {
      throw new IllegalArgumentException("a mail event needs an id");
    }
    if (id.length() > MAX_ID) {
      throw new IllegalArgumentException(
          "a mail event's id must be at most " + MAX_ID + " characters but was " + id.length());
    }
    if (mailbox.isBlank()) {
      throw new IllegalArgumentException("a mail event needs a mailbox or folder");
    }
    if (mailbox.length() > MAX_MAILBOX) {
      throw new IllegalArgumentException(
          "a mail event's mailbox must be at most "
              + MAX_MAILBOX
              + " characters but was "
              + mailbox.length());
    }
    if (payload.length() > MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          "a mail event's payload must be at most "
              + MAX_PAYLOAD
              + " characters but was "
              + payload.length()
              + ": send a reference to the data instead");
    }
  }

  /** What happened to the mail. */
  public enum Kind {
    /** A message arrived in the folder. */
    MESSAGE_ADDED,
    /** A message was removed from the folder. */
    MESSAGE_REMOVED,
    /** A message's flags changed (read, answered, flagged ...). */
    FLAGS_CHANGED,
    /** The folder was created. */
    FOLDER_CREATED,
    /** The folder was deleted. */
    FOLDER_DELETED,
    /** The folder was renamed; the payload names the new name. */
    FOLDER_RENAMED
  }
}
