/**
 * "Ask the primary, fall back locally" (SPEC R18): {@link
 * org.mailcluster.forwarding.PrimaryForwarding} sends a request to a named service on the primary
 * with a deadline, and answers locally when the primary cannot be reached. Dynamic screening is
 * built on it; hosts can use it for their own services.
 */
package org.mailcluster.forwarding;
