/**
 * "Ask the primary, fall back locally" (requirement R18 in docs/REQUIREMENTS.md): {@link
 * org.mailcluster.forwarding.PrimaryForwarding} sends a request to a named service on the primary
 * with a deadline, and answers locally when the primary cannot be reached. Dynamic screening is
 * built on it; hosts can use it for their own services.
 */
package org.mailcluster.forwarding;
