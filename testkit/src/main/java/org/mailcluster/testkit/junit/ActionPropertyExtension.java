package org.mailcluster.testkit.junit;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.mailcluster.testkit.ClusterAction;
import org.mailcluster.testkit.property.ActionProperty;
import org.mailcluster.testkit.property.ClusterActions;

/**
 * Injects an {@link ActionProperty} over {@link ClusterAction} sequences into a test method,
 * configured by {@link ActionSequences} and named after the test. The seed is printed (and
 * published as a report entry) before the run; a failure is the property's own, with the seed and
 * the minimised sequence as Java source.
 *
 * <pre>{@code
 * @ExtendWith(ActionPropertyExtension.class)
 * class MyPluginProperties {
 *   @Test
 *   @ActionSequences(nodes = 3, keys = 6)
 *   void myPluginSurvivesFaults(ActionProperty<ClusterAction> property) {
 *     property.check((actions, clusterSeed) -> {
 *       try (SimulatedCluster cluster = SimulatedCluster.builder().nodes(3).seed(clusterSeed).build()) {
 *         cluster.start();
 *         for (ClusterAction a : actions) {
 *           ClusterActions.apply(cluster, a, k -> SettingKey.plugin("myplugin", "k" + k));
 *         }
 *         ClusterActions.settle(cluster, Duration.ofMinutes(1));
 *       }
 *     });
 *   }
 * }
 * }</pre>
 */
public final class ActionPropertyExtension implements ParameterResolver {
  /** Creates the extension; JUnit does this through {@code @ExtendWith}. */
  public ActionPropertyExtension() {}

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.getParameter().getType() != ActionProperty.class) {
      return false;
    }
    Type type = parameter.getParameter().getParameterizedType();
    return !(type instanceof ParameterizedType p)
        || p.getActualTypeArguments()[0] == ClusterAction.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (context.getTestMethod().isEmpty()) {
      throw new ParameterResolutionException(
          "an ActionProperty can be injected into test methods only, not into "
              + parameter.getDeclaringExecutable());
    }
    ActionSequences config =
        context
            .getTestMethod()
            .map(m -> m.getAnnotation(ActionSequences.class))
            .or(() -> context.getTestClass().map(c -> c.getAnnotation(ActionSequences.class)))
            .orElse(null);
    String name =
        context.getRequiredTestClass().getSimpleName()
            + "."
            + context.getRequiredTestMethod().getName();
    ActionProperty<ClusterAction> property;
    try {
      if (config == null) {
        property = ActionProperty.forCluster(3, 6);
      } else {
        property = ActionProperty.forCluster(config.nodes(), config.keys());
        property =
            ActionProperty.of(property.generator().withLength(config.minSteps(), config.maxSteps()))
                .simplifications(ClusterActions::simplifications)
                .merge(ClusterActions::merge)
                .shrinkReplays(config.shrinkReplays());
        if (config.sequences() != 0) {
          property.sequences(config.sequences());
        }
        if (config.seed() != 0 && System.getProperty(ActionProperty.SEED_PROPERTY) == null) {
          property.seed(config.seed());
        }
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterResolutionException(
          "@ActionSequences on " + context.getDisplayName() + " is invalid: " + e.getMessage(), e);
    }
    return property
        .name(name)
        .log(
            line -> {
              System.out.println(line);
              context.publishReportEntry("mailcluster.property", line);
            });
  }
}
