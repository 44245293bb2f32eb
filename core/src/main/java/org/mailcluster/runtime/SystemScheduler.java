package org.mailcluster.runtime;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.mailcluster.spi.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Scheduler} on the system clock and one daemon thread, named after the node so that a
 * thread dump shows whose loop it is.
 *
 * <pre>{@code
 * try (Scheduler scheduler = SystemScheduler.create("mx1")) {
 *   scheduler.schedule(Duration.ofSeconds(5), () -> log.info("five seconds later"));
 * }
 * }</pre>
 */
public final class SystemScheduler implements Scheduler {
  private static final Logger log = LoggerFactory.getLogger("mailcluster.runtime");

  private final InstantSource clock;
  private final ScheduledThreadPoolExecutor executor;

  private SystemScheduler(String nodeName, InstantSource clock) {
    this.clock = clock;
    this.executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "mailcluster-" + nodeName);
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** Returns a scheduler for the node {@code nodeName} on the system clock. */
  public static SystemScheduler create(String nodeName) {
    return new SystemScheduler(requireNonNull(nodeName, "nodeName"), InstantSource.system());
  }

  @Override
  public Instant now() {
    return clock.instant();
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public void execute(Runnable task) {
    requireNonNull(task, "task");
    try {
      executor.execute(guarded(task));
    } catch (RejectedExecutionException closed) {
      // Contract: after close(), submissions are dropped.
    }
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    requireNonNull(delay, "delay");
    requireNonNull(task, "task");
    try {
      ScheduledFuture<?> f =
          executor.schedule(guarded(task), Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    } catch (RejectedExecutionException closed) {
      return () -> {};
    }
  }

  @Override
  public void close() {
    executor.shutdown();
  }

  private static Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.error("a scheduled task failed; the node's loop goes on", e);
      } catch (Error e) {
        // The executor would keep an Error in the task's future, where nobody looks: the node
        // would go on without its loop (after an OutOfMemoryError, a process that looks alive
        // but answers nothing). The thread's uncaught-exception handler gets it instead, which
        // is the host's to set (the node agent's exits the JVM).
        log.error("a scheduled task failed with an error; handing it to the host", e);
        Thread t = Thread.currentThread();
        t.getUncaughtExceptionHandler().uncaughtException(t, e);
        throw e;
      }
    };
  }
}
