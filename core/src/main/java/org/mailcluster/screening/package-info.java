/**
 * Dynamic screening (SPEC R18, R19, B4): blocked addresses with expiry, failed-login counters and
 * an allow-list, kept in the replicated state under {@code screening/} and decided by the primary.
 * See {@link org.mailcluster.screening.DynamicScreening}.
 */
package org.mailcluster.screening;
