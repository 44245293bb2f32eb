package org.mailcluster.ini;

import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;
import org.mailcluster.spi.Scheduler;

/** A {@link Scheduler} on virtual time: tasks run only inside {@link #advance}, on its caller. */
final class ManualScheduler implements Scheduler {
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private long now;
  private long sequence;
  private boolean closed;

  private final class Task implements Comparable<Task>, Cancellable {
    final long due;
    final long order = sequence++;
    final Runnable body;
    boolean cancelled;

    Task(long due, Runnable body) {
      this.due = due;
      this.body = body;
    }

    @Override
    public int compareTo(Task o) {
      return due != o.due ? Long.compare(due, o.due) : Long.compare(order, o.order);
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

  /** Runs every task due within {@code d}, in order, moving the clock to each one's time. */
  void advance(Duration d) {
    long target = now + d.toNanos();
    while (!queue.isEmpty() && queue.peek().due <= target) {
      Task t = queue.poll();
      now = Math.max(now, t.due);
      if (!t.cancelled && !closed) {
        t.body.run();
      }
    }
    now = target;
  }

  int pending() {
    return (int) queue.stream().filter(t -> !t.cancelled).count();
  }

  @Override
  public Instant now() {
    return Instant.EPOCH.plusNanos(now);
  }

  @Override
  public long nanoTime() {
    return now;
  }

  @Override
  public void execute(Runnable task) {
    schedule(Duration.ZERO, task);
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    Task t = new Task(now + Math.max(0, delay.toNanos()), task);
    queue.add(t);
    return t;
  }

  @Override
  public void close() {
    closed = true;
  }
}
