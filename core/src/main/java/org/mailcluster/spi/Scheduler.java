package org.mailcluster.spi;

import java.time.Duration;
import java.time.Instant;

/**
 * Time and deferred work for one node. Every component reads time and schedules work only through
 * this interface, so a test can run a whole cluster on virtual time (deterministic simulation,
 * requirement B5 in docs/REQUIREMENTS.md) and production code never reads the system clock or
 * starts a thread of its own.
 *
 * <p><b>Contract.</b> Tasks passed to {@link #execute} and {@link #schedule} run one at a time, in
 * the order they become due (ties in submission order), never concurrently with each other: they
 * form the node's single logical thread. Methods may be called from any thread. A task that throws
 * does not stop later tasks; implementations report the failure and go on. After {@link #close()},
 * submitted tasks are silently dropped.
 *
 * <pre>{@code
 * Scheduler.Cancellable retry = scheduler.schedule(Duration.ofSeconds(2), this::reconnect);
 * ...
 * retry.cancel();
 * }</pre>
 */
public interface Scheduler extends AutoCloseable {
  /** Returns the current wall-clock time (may jump, e.g. when the clock is set). */
  Instant now();

  /** Returns a monotonic tick count in nanoseconds, for measuring elapsed time only. */
  long nanoTime();

  /** Runs {@code task} on the node's logical thread as soon as possible. */
  void execute(Runnable task);

  /** Runs {@code task} on the node's logical thread once {@code delay} has elapsed. */
  Cancellable schedule(Duration delay, Runnable task);

  /** Stops running tasks; tasks already running finish. Idempotent. */
  @Override
  void close();

  /** A scheduled task that can still be called off. */
  interface Cancellable {
    /** Prevents the task from running if it has not started; idempotent. */
    void cancel();
  }
}
