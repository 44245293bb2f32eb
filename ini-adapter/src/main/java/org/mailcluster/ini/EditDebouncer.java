package org.mailcluster.ini;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides when a file that watch events named is read: {@code quiet} after the last event, so an
 * editor's save (truncate, write, write, rename...) is read once and whole, but no later than
 * {@code maxWait} after the first event, so a file that is written continuously is still read.
 * Times are monotonic nanoseconds from the node's {@link org.mailcluster.spi.Scheduler}. Not
 * thread-safe; used under the source's lock.
 */
final class EditDebouncer {
  private final long quietNanos;
  private final long maxWaitNanos;
  private final Map<String, long[]> pending = new LinkedHashMap<>();

  EditDebouncer(long quietNanos, long maxWaitNanos) {
    this.quietNanos = quietNanos;
    this.maxWaitNanos = maxWaitNanos;
  }

  /** Records an event for {@code file} at {@code now}. */
  void mark(String file, long now) {
    long[] times = pending.get(file);
    if (times == null) {
      pending.put(file, new long[] {now, now});
    } else {
      times[1] = now;
    }
  }

  /** Removes and returns the files whose wait is over at {@code now}, in order of first event. */
  List<String> takeDue(long now) {
    List<String> due = new ArrayList<>();
    for (Iterator<Map.Entry<String, long[]>> it = pending.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, long[]> e = it.next();
      long first = e.getValue()[0];
      long last = e.getValue()[1];
      if (now - last >= quietNanos || now - first >= maxWaitNanos) {
        due.add(e.getKey());
        it.remove();
      }
    }
    return due;
  }

  boolean isEmpty() {
    return pending.isEmpty();
  }
}
