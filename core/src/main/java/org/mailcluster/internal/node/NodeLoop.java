package org.mailcluster.internal.node;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.mailcluster.ClusterException;
import org.mailcluster.ErrorCode;
import org.mailcluster.membership.NodeId;
import org.mailcluster.spi.Scheduler;
import org.slf4j.MDC;

/**
 * The node's one logical thread: every piece of node state is touched only from tasks run here, one
 * at a time, in the order they were handed over. It wraps the injected {@link Scheduler}, sets the
 * logging context ({@code node}, {@code role}, {@code revision}) around each task, and is the one
 * place that turns a task's outcome into a future and a failure into a {@link ClusterException}.
 */
public final class NodeLoop {
  /** What the logging context shows about the node while one of its tasks runs. */
  public interface Context {
    /** The node's role now, for the {@code role} field. */
    String role();

    /** The node's applied revision now, for the {@code revision} field. */
    String revision();
  }

  private final NodeId node;
  private final Scheduler scheduler;
  private final BooleanSupplier closing;
  private Context context;

  NodeLoop(NodeId node, Scheduler scheduler, BooleanSupplier closing) {
    this.node = node;
    this.scheduler = scheduler;
    this.closing = closing;
  }

  void context(Context value) {
    this.context = value;
  }

  /** The scheduler behind the loop, for its time and for timers that need no logging context. */
  public Scheduler scheduler() {
    return scheduler;
  }

  /** Runs {@code work} on the loop, later, with the logging context set. */
  public void execute(Runnable work) {
    scheduler.execute(() -> withContext(work));
  }

  /**
   * Runs {@code work} on the loop and completes the returned future with its outcome: the value of
   * the future it returns, or what it threw.
   */
  public <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    scheduler.execute(
        () ->
            withContext(
                () -> {
                  try {
                    work.get()
                        .whenComplete(
                            (value, failure) -> {
                              if (failure != null) {
                                result.completeExceptionally(unwrap(failure));
                              } else {
                                result.complete(value);
                              }
                            });
                  } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                  }
                }));
    return result;
  }

  /** Runs {@code task} on the loop every {@code interval} until the node closes. */
  public void every(Duration interval, Runnable task) {
    scheduler.schedule(
        interval,
        () -> {
          if (closing.getAsBoolean()) {
            return;
          }
          withContext(task);
          every(interval, task);
        });
  }

  /** Runs {@code work} with the logging context set; for tasks already on the loop. */
  public void withContext(Runnable work) {
    MDC.put("node", node.value());
    if (context != null) {
      MDC.put("role", context.role());
      MDC.put("revision", context.revision());
    }
    try {
      work.run();
    } finally {
      MDC.remove("node");
      MDC.remove("role");
      MDC.remove("revision");
    }
  }

  /** The failure inside a {@link CompletionException} or {@link ExecutionException}. */
  public static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  /** A failure as the {@link ClusterException} a caller or peer sees ({@code UNAVAILABLE}). */
  public static ClusterException asClusterException(Throwable t) {
    Throwable cause = unwrap(t);
    return cause instanceof ClusterException ce
        ? ce
        : new ClusterException(ErrorCode.UNAVAILABLE, String.valueOf(cause.getMessage()), cause);
  }

  /** A failure's own message, without the wrappers futures add. */
  public static String rootMessage(Throwable t) {
    Throwable c = unwrap(t);
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }
}
