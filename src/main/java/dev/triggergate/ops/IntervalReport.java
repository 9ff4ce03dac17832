package dev.triggergate.ops;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns a stream of repeated events into at most one log line per interval, carrying how many
 * happened since the line before: an outage gets reported, never a log flood.
 */
public final class IntervalReport {
  private final long intervalNanos;
  private final AtomicLong lastNanos;
  private final AtomicLong unreported = new AtomicLong();

  public IntervalReport(long intervalMillis) {
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
    this.lastNanos = new AtomicLong(System.nanoTime() - intervalNanos);
  }

  /**
   * Counts one event; returns how many to report if a line is due now (this one included), else 0.
   */
  public long count() {
    long count = unreported.incrementAndGet();
    long now = System.nanoTime();
    long last = lastNanos.get();
    if (now - last >= intervalNanos && lastNanos.compareAndSet(last, now)) {
      unreported.addAndGet(-count);
      return count;
    }
    return 0;
  }
}
