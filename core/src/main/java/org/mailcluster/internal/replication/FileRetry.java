package org.mailcluster.internal.replication;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.mailcluster.internal.node.NodeCore;

/**
 * One pending retry of writing the host's files, with backoff from 200 ms to 10 s: at most one is
 * scheduled at a time, and it runs on the node's loop only while it is still wanted.
 */
final class FileRetry {
  private static final Backoff BACKOFF =
      new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));

  private final NodeCore node;
  private boolean scheduled;

  FileRetry(NodeCore node) {
    this.node = node;
  }

  /**
   * Schedules {@code retry} after the backoff for {@code failures} failures so far, unless one is
   * already scheduled; when it is due it runs only if {@code wanted} still holds and the node is
   * not closing.
   */
  void schedule(int failures, BooleanSupplier wanted, Runnable retry) {
    if (scheduled) {
      return;
    }
    scheduled = true;
    Duration delay = BACKOFF.jittered(failures - 1, node.settings().random());
    node.scheduler()
        .schedule(
            delay,
            () ->
                node.loop()
                    .withContext(
                        () -> {
                          scheduled = false;
                          if (!node.isClosing() && wanted.getAsBoolean()) {
                            retry.run();
                          }
                        }));
  }
}
