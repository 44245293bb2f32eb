/**
 * Configuration history: the committed revisions a node keeps, bounded by count and age, from which
 * any retained revision's content is rebuilt for diffs and rollbacks, and its recovery on start.
 */
package org.mailcluster.internal.history;
