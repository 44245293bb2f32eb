package org.mailcluster.routing;

/**
 * A protocol the mail server serves, as the load balancer sees it.
 *
 * <pre>{@code
 * RoutingAdvice imap = cluster.routing().advice(Protocol.IMAP);
 * }</pre>
 */
public enum Protocol {
  /** Mail submission and transfer. */
  SMTP,
  /** Mailbox access. */
  IMAP,
  /** Mailbox download. */
  POP3,
  /** Webmail and other HTTP services. */
  HTTP,
  /** Instant messaging. */
  XMPP,
  /** The remote administration API. */
  REMOTE_ADMIN
}
