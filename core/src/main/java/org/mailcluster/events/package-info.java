/**
 * Mail-change relay (requirement R6 in docs/REQUIREMENTS.md): a change to mail on one node (a new
 * message, changed flags, a folder created or deleted) reaches every other node through the
 * primary, so IMAP clients connected anywhere see it. See {@link
 * org.mailcluster.events.MailEvents}.
 */
package org.mailcluster.events;
