/**
 * Forced full resyncs of a secondary: the request (from the primary or the secondary itself), the
 * primary's record of who is due a snapshot and who waits for it, and the secondary's confirmation
 * that it installed it.
 */
package org.mailcluster.internal.resync;
