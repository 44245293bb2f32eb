package org.mailcluster.internal.node;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How often a refusal reaches the log: the first few per caller in each minute, then only a count,
 * reported once the minute is over. A peer that repeats a refused call a thousand times a second
 * costs a line a minute, not gigabytes a day, and cannot push the events an operator needs out of
 * the diagnostics. Loop-confined.
 */
final class RefusalLog {
  static final int PER_CALLER_PER_WINDOW = 5;
  static final Duration WINDOW = Duration.ofMinutes(1);
  // Callers tracked at once; beyond it the oldest window is dropped (with its count reported), so
  // that callers from many addresses cannot grow this map without bound.
  static final int CALLERS = 1024;

  /** What to do with one refusal. */
  enum Verdict {
    LOG,
    COUNT
  }

  private static final class Window {
    final Instant start;
    int seen;

    Window(Instant start) {
      this.start = start;
    }
  }

  private final Map<String, Window> windows = new LinkedHashMap<>();

  /**
   * Counts a refusal of {@code caller} at {@code now}.
   *
   * @param summary receives the line that reports the refusals a window only counted, when that
   *     window ends
   */
  Verdict refused(String caller, Instant now, java.util.function.Consumer<String> summary) {
    Window w = windows.get(caller);
    if (w != null && !now.isBefore(w.start.plus(WINDOW))) {
      report(caller, w, summary);
      windows.remove(caller);
      w = null;
    }
    if (w == null) {
      if (windows.size() >= CALLERS) {
        Map.Entry<String, Window> oldest = windows.entrySet().iterator().next();
        report(oldest.getKey(), oldest.getValue(), summary);
        windows.remove(oldest.getKey());
      }
      w = new Window(now);
      windows.put(caller, w);
    }
    w.seen++;
    return w.seen <= PER_CALLER_PER_WINDOW ? Verdict.LOG : Verdict.COUNT;
  }

  private static void report(String caller, Window w, java.util.function.Consumer<String> summary) {
    int counted = w.seen - PER_CALLER_PER_WINDOW;
    if (counted > 0) {
      summary.accept(
          counted
              + " more refusal"
              + (counted == 1 ? "" : "s")
              + " of "
              + caller
              + " in the minute from "
              + w.start
              + " were not logged one by one");
    }
  }
}
