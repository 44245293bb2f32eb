/**
 * Epochs: the epochs a node has seen and granted, promotion of a secondary by majority grant, the
 * two role changes (promoted, fenced off), the lineage of epochs recorded in the replicated state,
 * and what a fenced-off primary saves of the revisions the new primary lacks.
 */
package org.mailcluster.internal.epoch;
