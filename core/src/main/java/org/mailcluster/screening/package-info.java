/**
 * Dynamic screening (requirements R18, R19 and B4 in docs/REQUIREMENTS.md): blocked addresses with
 * expiry, failed-login counters and an allow-list, kept in the replicated state under {@code
 * screening/} and decided by the primary. See {@link org.mailcluster.screening.DynamicScreening}.
 */
package org.mailcluster.screening;
