package org.mailcluster.testkit.property;

import static java.util.Objects.requireNonNull;

import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import org.mailcluster.testkit.ClusterAction;

/**
 * Runs a {@link Scenario} over many generated sequences: {@code N} sequences from seed {@code S},
 * each with its own cluster seed drawn from {@code S}. The seed is printed before the run; on the
 * first failure the sequence is shrunk (see {@link Shrinker}) and a {@link PropertyFailure} is
 * thrown whose message has the seed, the minimised sequence as Java source ({@code new
 * ClusterAction.Commit(0, 2, 1), ...}), its cluster seed and its failure.
 *
 * <pre>{@code
 * ActionProperty.forCluster(3, 6)       // ClusterActions.generator(3, 6): 100 to 120 steps
 *     .name("my plugin survives faults")
 *     .sequences(200)
 *     .check((actions, clusterSeed) -> {
 *       try (SimulatedCluster cluster = SimulatedCluster.builder().nodes(3).seed(clusterSeed).build()) {
 *         cluster.start();
 *         for (ClusterAction a : actions) {
 *           ClusterActions.apply(cluster, a, k -> SettingKey.plugin("myplugin", "k" + k));
 *         }
 *         ClusterActions.settle(cluster, Duration.ofMinutes(1));
 *       }
 *     });
 * }</pre>
 *
 * <p>Unless set, the seed is the system property {@code mailcluster.seed} (to replay a run) or a
 * fresh random one, and the number of sequences is the system property {@code mailcluster.tries} or
 * {@value #DEFAULT_SEQUENCES}. Lines go to standard output unless {@link #log} says otherwise. Not
 * thread-safe: configure and run it from one thread.
 *
 * @param <A> the type of a step
 */
public final class ActionProperty<A> {
  /** The number of sequences when neither {@link #sequences} nor {@code mailcluster.tries} says. */
  public static final int DEFAULT_SEQUENCES = 200;

  /** The replay budget of shrinking unless {@link #shrinkReplays} says otherwise. */
  public static final int DEFAULT_SHRINK_REPLAYS = 2000;

  /** The system property that replays a run: its seed. */
  public static final String SEED_PROPERTY = "mailcluster.seed";

  /** The system property that sets how many sequences a run has (unless the test sets it). */
  public static final String TRIES_PROPERTY = "mailcluster.tries";

  private final ActionGenerator<A> generator;
  private String name = "property";
  private Integer sequences;
  private Long seed;
  private int shrinkReplays = DEFAULT_SHRINK_REPLAYS;
  private Function<? super A, ? extends List<? extends A>> simplifications = a -> List.of();
  private BiFunction<? super A, ? super A, Optional<A>> merge = (a, b) -> Optional.empty();
  private Function<Object, String> javaText = JavaText::of;
  private Consumer<String> log = System.out::println;

  private ActionProperty(ActionGenerator<A> generator) {
    this.generator = requireNonNull(generator, "generator");
  }

  /**
   * Returns a property over {@link ClusterActions#generator(int, int)}'s sequences, shrunk with
   * {@link ClusterActions#simplifications} and {@link ClusterActions#merge}.
   */
  public static ActionProperty<ClusterAction> forCluster(int nodes, int keys) {
    return of(ClusterActions.generator(nodes, keys))
        .simplifications(ClusterActions::simplifications)
        .merge(ClusterActions::merge);
  }

  /**
   * Returns a property over any generator's sequences; shrinking removes and merges nothing but
   * chunks of steps until {@link #simplifications} and {@link #merge} are given.
   */
  public static <A> ActionProperty<A> of(ActionGenerator<A> generator) {
    return new ActionProperty<>(generator);
  }

  /** Sets the name printed with the seed and in a failure, such as the test's name. */
  public ActionProperty<A> name(String value) {
    this.name = requireNonNull(value, "name");
    return this;
  }

  /** Sets how many sequences to run, 1 or more. */
  public ActionProperty<A> sequences(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("sequences must be 1 or more but was " + count);
    }
    this.sequences = count;
    return this;
  }

  /** Sets the run's seed. */
  public ActionProperty<A> seed(long value) {
    this.seed = value;
    return this;
  }

  /** Sets how many candidates shrinking may replay, 0 or more (0 reports the first failure). */
  public ActionProperty<A> shrinkReplays(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("shrinkReplays must be 0 or more but was " + count);
    }
    this.shrinkReplays = count;
    return this;
  }

  /** Sets the simpler variants of a step, simplest first (see {@link Shrinker}). */
  public ActionProperty<A> simplifications(Function<? super A, ? extends List<? extends A>> value) {
    this.simplifications = requireNonNull(value, "simplifications");
    return this;
  }

  /** Sets the step that does what two neighbouring steps do, where there is one. */
  public ActionProperty<A> merge(BiFunction<? super A, ? super A, Optional<A>> value) {
    this.merge = requireNonNull(value, "merge");
    return this;
  }

  /**
   * Sets how a step is written as Java source in a failure; by default a record is written as its
   * constructor call ({@code new ClusterAction.Run(100)}).
   */
  @SuppressWarnings("unchecked") // only steps of this property are ever rendered
  public ActionProperty<A> javaText(Function<? super A, String> value) {
    requireNonNull(value, "javaText");
    this.javaText = s -> value.apply((A) s);
    return this;
  }

  /** Sets where the seed line and the summary go (standard output by default). */
  public ActionProperty<A> log(Consumer<String> value) {
    this.log = requireNonNull(value, "log");
    return this;
  }

  /** Returns the generator. */
  public ActionGenerator<A> generator() {
    return generator;
  }

  /**
   * Returns the seed the next {@link #check} uses: the one set, else {@code mailcluster.seed}, else
   * a fresh random seed (which is then kept).
   */
  public long seed() {
    if (seed == null) {
      String override = System.getProperty(SEED_PROPERTY);
      seed = override == null ? new SecureRandom().nextLong() : parse(SEED_PROPERTY, override);
    }
    return seed;
  }

  /** Returns the number of sequences: the one set, else {@code mailcluster.tries}, else 200. */
  public int sequences() {
    if (sequences != null) {
      return sequences;
    }
    String tries = System.getProperty(TRIES_PROPERTY);
    if (tries == null) {
      return DEFAULT_SEQUENCES;
    }
    long n = parse(TRIES_PROPERTY, tries);
    if (n < 1 || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "system property " + TRIES_PROPERTY + " must be 1 or more but was " + tries);
    }
    return (int) n;
  }

  /**
   * Runs the scenario over {@link #sequences()} sequences from {@link #seed()}.
   *
   * @return what ran
   * @throws PropertyFailure on the first failing sequence, after shrinking it
   */
  public Summary check(Scenario<A> scenario) {
    requireNonNull(scenario, "scenario");
    long runSeed = seed();
    int count = sequences();
    log.accept(
        name
            + ": "
            + count
            + " sequences of "
            + generator.minLength()
            + " to "
            + generator.maxLength()
            + " steps, seed "
            + runSeed
            + " (replay with -D"
            + SEED_PROPERTY
            + "="
            + runSeed
            + ")");
    SplittableRandom master = new SplittableRandom(runSeed);
    long steps = 0;
    for (int i = 1; i <= count; i++) {
      SplittableRandom random = new SplittableRandom(master.nextLong());
      long clusterSeed = random.nextLong();
      List<A> sequence = generator.sequence(random);
      Throwable failure = failureOf(scenario, sequence, clusterSeed);
      if (failure != null) {
        throw shrunk(scenario, runSeed, i, count, clusterSeed, sequence, failure);
      }
      steps += sequence.size();
    }
    Summary summary = new Summary(runSeed, count, steps);
    log.accept(name + ": " + summary);
    return summary;
  }

  /**
   * Plays one sequence with one cluster seed, as a failure's message prints them, and throws its
   * failure as it is, without shrinking.
   */
  public void replay(Scenario<A> scenario, List<A> steps, long clusterSeed) throws Exception {
    scenario.run(List.copyOf(steps), clusterSeed);
  }

  private PropertyFailure shrunk(
      Scenario<A> scenario,
      long runSeed,
      int index,
      int count,
      long clusterSeed,
      List<A> sequence,
      Throwable first) {
    log.accept(
        name
            + ": sequence "
            + index
            + " of "
            + count
            + " failed after "
            + sequence.size()
            + " steps ("
            + first
            + "); shrinking");
    Throwable[] last = {first};
    Shrinker.Result<A> result =
        new Shrinker<A>(simplifications, merge, shrinkReplays)
            .shrink(
                sequence,
                candidate -> {
                  Throwable f = failureOf(scenario, candidate, clusterSeed);
                  if (f != null && f.getClass() == first.getClass()) {
                    last[0] = f;
                    return true;
                  }
                  return false;
                });
    String java = JavaText.list(result.steps(), javaText);
    String message =
        name
            + " failed on sequence "
            + index
            + " of "
            + count
            + " (seed "
            + runSeed
            + ": replay the run with -D"
            + SEED_PROPERTY
            + "="
            + runSeed
            + ").\nShrunk from "
            + sequence.size()
            + " to "
            + result.steps().size()
            + " steps in "
            + result.replays()
            + " replays"
            + (result.budgetSpent() ? " (the replay budget ran out)" : "")
            + "; the minimal sequence, with cluster seed "
            + clusterSeed
            + "L:\n\n"
            + java
            + "\n\nfails with: "
            + last[0];
    return new PropertyFailure(
        message,
        runSeed,
        index,
        clusterSeed,
        sequence,
        result.steps(),
        result.replays(),
        last[0],
        first);
  }

  private static <A> Throwable failureOf(Scenario<A> scenario, List<A> steps, long clusterSeed) {
    try {
      scenario.run(steps, clusterSeed);
      return null;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      return t;
    }
  }

  private static long parse(String property, String value) {
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "system property " + property + " must be a whole number but was '" + value + "'", e);
    }
  }

  /**
   * What a passing run ran.
   *
   * @param seed the run's seed
   * @param sequences how many sequences
   * @param steps how many steps in all
   */
  public record Summary(long seed, int sequences, long steps) {
    @Override
    public String toString() {
      return String.format(
          java.util.Locale.ROOT,
          "%,d sequences, %,d steps, seed %d: passed",
          sequences,
          steps,
          seed);
    }
  }
}
