package org.mailcluster.testkit.jqwik;

import java.util.List;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.mailcluster.config.ConfigSnapshot;
import org.mailcluster.config.SettingKey;
import org.mailcluster.testkit.ClusterAction;

/**
 * jqwik arbitraries for mailcluster properties: INI-shaped configurations, and sequences of {@link
 * ClusterAction}s for stateful tests of a {@link org.mailcluster.testkit.SimulatedCluster}.
 *
 * <pre>{@code
 * @Property
 * void myPluginSurvivesFaults(@ForAll("actions") List<ClusterAction> actions, @ForAll long seed) { ... }
 *
 * @Provide
 * Arbitrary<List<ClusterAction>> actions() {
 *   return ClusterArbitraries.actions(3, 6); // 100 to 120 steps
 * }
 * }</pre>
 */
public final class ClusterArbitraries {
  private ClusterArbitraries() {}

  /**
   * Returns INI-backed state keys of {@code MDaemon.ini}-like files: a few sections and keys, with
   * letter-case variants and non-ASCII names, so that generated configurations collide often.
   */
  public static Arbitrary<String> iniKeys() {
    Arbitrary<String> section =
        Arbitraries.of("Directories", "Special", "SSL", "Société", "special");
    Arbitrary<String> key =
        Arbitraries.strings().withChars("ABCabcé").ofMinLength(1).ofMaxLength(3);
    return Combinators.combine(section, key)
        .as((s, k) -> SettingKey.ini("MDaemon.ini", s, k).stateKey());
  }

  /** Returns values as mail-server INI files hold them: paths, flags, numbers, lists, text. */
  public static Arbitrary<String> values() {
    return Arbitraries.oneOf(
        Arbitraries.of("Yes", "No", "1", "0", "", "465;993;995"),
        Arbitraries.strings().withChars("C:\\MDaemonUsers ").ofMaxLength(30),
        Arbitraries.integers().between(0, 65535).map(String::valueOf),
        Arbitraries.strings().ofMaxLength(60));
  }

  /** Returns configurations of up to {@code maxKeys} INI-backed keys. */
  public static Arbitrary<ConfigSnapshot> configurations(int maxKeys) {
    return Arbitraries.maps(iniKeys(), values())
        .ofMaxSize(maxKeys)
        .map(m -> ConfigSnapshot.of(new TreeMap<String, String>(m)));
  }

  /**
   * Returns single actions for a cluster of {@code nodes} nodes and {@code keys} keys, weighted
   * towards commits and the passing of time, with rollbacks, forced resyncs, promotions and
   * fail-overs (a primary cut off or crashed, then a secondary promoted) among the faults; use
   * {@code .list()} for a sequence, or {@link #actions} for a sized one.
   */
  public static Arbitrary<ClusterAction> action(int nodes, int keys) {
    if (nodes < 1 || keys < 1) {
      throw new IllegalArgumentException(
          "nodes and keys must be 1 or more but were " + nodes + " and " + keys);
    }
    Arbitrary<Integer> node = Arbitraries.integers().between(0, nodes - 1);
    Arbitrary<Integer> key = Arbitraries.integers().between(0, keys - 1);
    Arbitrary<Integer> value = Arbitraries.integers().between(0, 9);
    return Arbitraries.frequencyOf(
        Tuple.of(
            30,
            Combinators.combine(key, value, Arbitraries.integers().between(1, 3))
                .as(ClusterAction.Commit::new)),
        Tuple.of(4, Combinators.combine(node, key).as(ClusterAction.WriteOnSecondary::new)),
        Tuple.of(5, Combinators.combine(node, key, value).as(ClusterAction.LocalEdit::new)),
        Tuple.of(4, node.map(ClusterAction.Crash::new)),
        Tuple.of(6, node.map(ClusterAction.Restart::new)),
        Tuple.of(3, node.map(ClusterAction.Isolate::new)),
        Tuple.of(2, Arbitraries.integers().between(5, 40).map(ClusterAction.DropMessages::new)),
        Tuple.of(5, Arbitraries.just(new ClusterAction.HealNetwork())),
        Tuple.of(25, Arbitraries.integers().between(1, 3000).map(ClusterAction.Run::new)),
        Tuple.of(3, Arbitraries.integers().between(0, 8).map(ClusterAction.Rollback::new)),
        Tuple.of(
            2,
            Combinators.combine(node, Arbitraries.of(true, false))
                .as(ClusterAction.ForceResync::new)),
        Tuple.of(2, node.map(ClusterAction.Promote::new)),
        Tuple.of(
            3,
            Combinators.combine(node, Arbitraries.of(true, false))
                .as(ClusterAction.FailOver::new)));
  }

  /** Returns sequences of {@link #action} of 100 to 120 steps. */
  public static Arbitrary<List<ClusterAction>> actions(int nodes, int keys) {
    return action(nodes, keys).list().ofMinSize(100).ofMaxSize(120);
  }
}
