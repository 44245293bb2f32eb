package org.mailcluster.runtime;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads for file operations that may block on network storage (the shared-storage preflight),
 * kept off every node's own thread. The default of {@code ClusterServiceBuilder.storageExecutor}.
 *
 * <pre>{@code
 * builder.storageExecutor(StorageExecutors.shared());
 * }</pre>
 */
public final class StorageExecutors {
  private static final AtomicInteger COUNT = new AtomicInteger();

  // Created on first use; idle threads end after a minute, and all are daemons.
  private static final class Holder {
    static final ExecutorService POOL =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "mailcluster-storage-" + COUNT.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  private StorageExecutors() {}

  /** Returns the pool of daemon threads shared by the nodes of this JVM. */
  public static Executor shared() {
    return Holder.POOL;
  }
}
