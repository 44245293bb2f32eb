package org.mailcluster.testkit.property;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Minimises a failing sequence of steps by replaying smaller and simpler candidates. The scenario
 * must be deterministic (a {@link org.mailcluster.testkit.SimulatedCluster} from a fixed seed is):
 * a candidate is kept when it still fails. In rounds, until a round changes nothing or the replay
 * budget is spent, the shrinker
 *
 * <ol>
 *   <li>removes chunks of steps, halving the chunk size down to single steps;
 *   <li>merges neighbouring steps where {@code merge} says two steps are one (two waits are one
 *       longer wait);
 *   <li>replaces each step by each of its {@code simplifications}, simplest first.
 * </ol>
 *
 * <p>Simplifications must be strictly simpler by some measure that cannot fall forever (smaller
 * numbers, {@code false} for {@code true}), so that shrinking ends even without a budget.
 *
 * <pre>{@code
 * Shrinker.Result<ClusterAction> r =
 *     new Shrinker<>(ClusterActions::simplifications, ClusterActions::merge, 2000)
 *         .shrink(failing, candidate -> fails(candidate, clusterSeed));
 * }</pre>
 *
 * @param <A> the type of a step
 */
public final class Shrinker<A> {
  private final Function<? super A, ? extends List<? extends A>> simplifications;
  private final BiFunction<? super A, ? super A, Optional<A>> merge;
  private final int maxReplays;

  /**
   * Creates a shrinker.
   *
   * @param simplifications the simpler variants of a step, simplest first (empty for none)
   * @param merge one step that does what two neighbouring steps do, if there is one
   * @param maxReplays how many candidates to replay at most, 0 or more
   */
  public Shrinker(
      Function<? super A, ? extends List<? extends A>> simplifications,
      BiFunction<? super A, ? super A, Optional<A>> merge,
      int maxReplays) {
    this.simplifications = requireNonNull(simplifications, "simplifications");
    this.merge = requireNonNull(merge, "merge");
    if (maxReplays < 0) {
      throw new IllegalArgumentException("maxReplays must be 0 or more but was " + maxReplays);
    }
    this.maxReplays = maxReplays;
  }

  /**
   * Returns the smallest failing sequence found.
   *
   * @param failing a sequence for which {@code fails} is true
   * @param fails replays a candidate and says whether it still fails the same way
   */
  public Result<A> shrink(List<A> failing, Predicate<List<A>> fails) {
    Attempt attempt = new Attempt(fails);
    List<A> current = List.copyOf(failing);
    boolean changed = true;
    while (changed && attempt.budgetLeft()) {
      changed = false;
      // 1. Chunks, large to small.
      for (int size = Math.max(1, current.size() / 2); size >= 1 && attempt.budgetLeft(); ) {
        boolean removedAny = false;
        for (int start = 0; start + size <= current.size() && attempt.budgetLeft(); ) {
          List<A> candidate = new ArrayList<>(current.subList(0, start));
          candidate.addAll(current.subList(start + size, current.size()));
          if (attempt.test(candidate)) {
            current = List.copyOf(candidate);
            removedAny = true;
          } else {
            start += size;
          }
        }
        changed |= removedAny;
        size = size == 1 ? 0 : Math.min(size / 2, Math.max(1, current.size() / 2));
      }
      // 2. Neighbours merged.
      for (int i = 0; i + 1 < current.size() && attempt.budgetLeft(); ) {
        Optional<A> one = merge.apply(current.get(i), current.get(i + 1));
        if (one.isPresent()) {
          List<A> candidate = new ArrayList<>(current.subList(0, i));
          candidate.add(one.get());
          candidate.addAll(current.subList(i + 2, current.size()));
          if (attempt.test(candidate)) {
            current = List.copyOf(candidate);
            changed = true;
            continue; // try merging the merged step with the next one
          }
        }
        i++;
      }
      // 3. Steps simplified.
      for (int i = 0; i < current.size() && attempt.budgetLeft(); i++) {
        boolean simplified = true;
        while (simplified && attempt.budgetLeft()) {
          simplified = false;
          for (A simpler : simplifications.apply(current.get(i))) {
            if (!attempt.budgetLeft()) {
              break;
            }
            List<A> candidate = new ArrayList<>(current);
            candidate.set(i, requireNonNull(simpler, "a simplification was null"));
            if (attempt.test(candidate)) {
              current = List.copyOf(candidate);
              simplified = true;
              changed = true;
              break; // simplify the simpler step further
            }
          }
        }
      }
    }
    return new Result<>(current, attempt.replays, !attempt.budgetLeft());
  }

  /**
   * The outcome of shrinking.
   *
   * @param steps the smallest failing sequence found
   * @param replays how many candidates were replayed
   * @param budgetSpent whether shrinking stopped because the replay budget ran out
   * @param <A> the type of a step
   */
  public record Result<A>(List<A> steps, int replays, boolean budgetSpent) {
    /** Copies the steps. */
    public Result {
      steps = List.copyOf(steps);
    }
  }

  private final class Attempt {
    final Predicate<List<A>> fails;
    int replays;

    Attempt(Predicate<List<A>> fails) {
      this.fails = requireNonNull(fails, "fails");
    }

    boolean budgetLeft() {
      return replays < maxReplays;
    }

    boolean test(List<A> candidate) {
      replays++;
      return fails.test(List.copyOf(candidate));
    }
  }
}
