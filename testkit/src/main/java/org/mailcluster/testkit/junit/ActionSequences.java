package org.mailcluster.testkit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.mailcluster.testkit.property.ActionProperty;
import org.mailcluster.testkit.property.ClusterActions;

/**
 * Configures the {@link ActionProperty} that {@link ActionPropertyExtension} injects, on a test
 * method or its class (the method wins).
 *
 * <pre>{@code
 * @Test
 * @ActionSequences(nodes = 3, keys = 6, sequences = 500)
 * void myPluginSurvivesFaults(ActionProperty<ClusterAction> property) { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface ActionSequences {
  /** How many nodes the actions address (node numbers 0 to {@code nodes - 1}). */
  int nodes() default 3;

  /** How many keys commits and edits address (key numbers 0 to {@code keys - 1}). */
  int keys() default 6;

  /**
   * How many sequences; {@code 0} means the system property {@code mailcluster.tries}, or {@value
   * ActionProperty#DEFAULT_SEQUENCES} without it.
   */
  int sequences() default 0;

  /**
   * The seed of the run; {@code 0} means a fresh random seed each run (printed). The system
   * property {@code mailcluster.seed} overrides both, to replay a run.
   */
  long seed() default 0;

  /** The fewest steps of a sequence. */
  int minSteps() default ClusterActions.MIN_STEPS;

  /** The most steps of a sequence. */
  int maxSteps() default ClusterActions.MAX_STEPS;

  /** How many candidates shrinking may replay. */
  int shrinkReplays() default ActionProperty.DEFAULT_SHRINK_REPLAYS;
}
