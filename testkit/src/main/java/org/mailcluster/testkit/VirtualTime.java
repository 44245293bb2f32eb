package org.mailcluster.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;
import org.mailcluster.spi.Scheduler;

/**
 * One virtual timeline for a whole simulated cluster: every node's {@link Scheduler} is a view of
 * it, so all work of all nodes runs in one thread, in one deterministic order. Time moves only when
 * the test runs tasks; nothing ever sleeps.
 *
 * <p>Tasks run in order of their due time; tasks due at the same instant run in the order they were
 * submitted. Each node's view may have a clock skew (its {@link Scheduler#now()} is offset), which
 * is how clock-drift checks are tested; skew never changes when tasks run. A task that throws is
 * recorded in {@link #failures()} and the timeline goes on, as the {@link Scheduler} contract
 * requires; a simulation checks {@link #failures()} at the end.
 *
 * <pre>{@code
 * VirtualTime time = VirtualTime.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
 * Scheduler mx1 = time.scheduler("mx1");
 * Scheduler mx2 = time.scheduler("mx2", Duration.ofMillis(1500)); // 1.5 s ahead
 * mx1.schedule(Duration.ofSeconds(5), () -> System.out.println("5 s later"));
 * time.runFor(Duration.ofSeconds(10));
 * }</pre>
 */
public final class VirtualTime {
  private final Instant origin;
  private final PriorityQueue<Task> queue =
      new PriorityQueue<>(
          (a, b) ->
              a.dueNanos != b.dueNanos
                  ? Long.compare(a.dueNanos, b.dueNanos)
                  : Long.compare(a.seq, b.seq));
  private final List<Throwable> failures = new ArrayList<>();
  private final List<Runnable> afterEachTask = new ArrayList<>();
  private long nowNanos;
  private long nextSeq;
  private long tasksRun;

  private VirtualTime(Instant origin) {
    this.origin = origin;
  }

  /** Returns a timeline whose wall clock starts at {@code origin}. */
  public static VirtualTime startingAt(Instant origin) {
    return new VirtualTime(requireNonNull(origin, "origin"));
  }

  /** Returns a scheduler for {@code node} with no clock skew. */
  public Scheduler scheduler(String node) {
    return scheduler(node, Duration.ZERO);
  }

  /** Returns a scheduler for {@code node} whose wall clock is {@code skew} ahead (or behind). */
  public Scheduler scheduler(String node, Duration skew) {
    return new NodeScheduler(requireNonNull(node, "node"), requireNonNull(skew, "skew"));
  }

  /** Returns the true (unskewed) current time. */
  public Instant now() {
    return origin.plusNanos(nowNanos);
  }

  /** Returns the time elapsed since the timeline started. */
  public Duration elapsed() {
    return Duration.ofNanos(nowNanos);
  }

  /** Returns how many tasks have run. */
  public long tasksRun() {
    return tasksRun;
  }

  /** Returns whether no task is waiting. */
  public boolean isIdle() {
    return queue.stream().allMatch(t -> t.cancelled || t.owner.closed);
  }

  /**
   * Runs {@code check} after every task, so that an invariant can be checked at every instant a
   * node's state could be observed, not only when the test looks. A check that throws stops the
   * run: the exception propagates to whoever is running tasks.
   */
  public void afterEachTask(Runnable check) {
    afterEachTask.add(requireNonNull(check, "check"));
  }

  /** Returns the failures of tasks that threw, in the order they happened. */
  public List<Throwable> failures() {
    return List.copyOf(failures);
  }

  /**
   * Runs the next due task, moving time forward to it.
   *
   * @return false if there was no task to run
   */
  public boolean runNext() {
    Task t;
    do {
      t = queue.poll();
      if (t == null) {
        return false;
      }
    } while (t.cancelled || t.owner.closed);
    nowNanos = Math.max(nowNanos, t.dueNanos);
    tasksRun++;
    try {
      t.action.run();
    } catch (RuntimeException | AssertionError e) {
      failures.add(e);
    }
    for (Runnable check : afterEachTask) {
      check.run();
    }
    return true;
  }

  /**
   * Runs tasks until none is left, or until {@code limit} of virtual time has passed (periodic
   * tasks never leave the queue empty).
   *
   * @return whether the queue ran empty
   */
  public boolean runUntilIdle(Duration limit) {
    long end = Math.addExact(nowNanos, limit.toNanos());
    while (true) {
      Task next = peekLive();
      if (next == null) {
        return true;
      }
      if (next.dueNanos > end) {
        nowNanos = end;
        return false;
      }
      runNext();
    }
  }

  /** Runs every task due within {@code duration}, then leaves time at the end of it. */
  public void runFor(Duration duration) {
    long end = Math.addExact(nowNanos, duration.toNanos());
    runUntilIdle(duration);
    nowNanos = Math.max(nowNanos, end);
  }

  /**
   * Runs tasks until {@code condition} holds, checking it before each task.
   *
   * @return false if {@code limit} of virtual time passed, or the queue ran empty, first
   */
  public boolean runUntil(BooleanSupplier condition, Duration limit) {
    long end = Math.addExact(nowNanos, limit.toNanos());
    while (!condition.getAsBoolean()) {
      Task next = peekLive();
      if (next == null || next.dueNanos > end) {
        return condition.getAsBoolean();
      }
      runNext();
    }
    return true;
  }

  private Task peekLive() {
    Task t = queue.peek();
    while (t != null && (t.cancelled || t.owner.closed)) {
      queue.poll();
      t = queue.peek();
    }
    return t;
  }

  private Task submit(NodeScheduler owner, long delayNanos, Runnable action) {
    Task t = new Task(owner, Math.addExact(nowNanos, Math.max(0, delayNanos)), nextSeq++, action);
    if (!owner.closed) {
      queue.add(t);
    }
    return t;
  }

  private static final class Task implements Scheduler.Cancellable {
    final NodeScheduler owner;
    final long dueNanos;
    final long seq;
    final Runnable action;
    boolean cancelled;

    Task(NodeScheduler owner, long dueNanos, long seq, Runnable action) {
      this.owner = owner;
      this.dueNanos = dueNanos;
      this.seq = seq;
      this.action = action;
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

  /** One node's view of the timeline. */
  private final class NodeScheduler implements Scheduler {
    final String node;
    final Duration skew;
    boolean closed;

    NodeScheduler(String node, Duration skew) {
      this.node = node;
      this.skew = skew;
    }

    @Override
    public Instant now() {
      return VirtualTime.this.now().plus(skew);
    }

    @Override
    public long nanoTime() {
      return nowNanos;
    }

    @Override
    public void execute(Runnable task) {
      submit(this, 0, requireNonNull(task, "task"));
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      return submit(this, requireNonNull(delay, "delay").toNanos(), requireNonNull(task, "task"));
    }

    @Override
    public void close() {
      closed = true;
    }

    @Override
    public String toString() {
      return "VirtualScheduler[" + node + (skew.isZero() ? "" : ", skew " + skew) + "]";
    }
  }
}
