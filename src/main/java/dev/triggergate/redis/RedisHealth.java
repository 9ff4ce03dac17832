package dev.triggergate.redis;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Whether Redis answers, shared by everything that uses it. After a failure Redis is left alone for
 * a backoff that doubles up to a cap, so a dead Redis costs no time per request; a probe (or the
 * first check after the backoff) brings it back.
 */
public final class RedisHealth {
  public static final long MIN_BACKOFF_MS = 100;
  public static final long MAX_BACKOFF_MS = 5_000;

  private final LongSupplier clock;
  private final AtomicLong retryAtMs = new AtomicLong();
  private final AtomicLong backoffMs = new AtomicLong(MIN_BACKOFF_MS);
  private volatile boolean up = true;

  public RedisHealth(LongSupplier clock) {
    this.clock = clock;
  }

  public static LongSupplier systemClock() {
    return () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
  }

  /** Whether to ask Redis now: it is up, or its backoff is over. */
  public boolean shouldTry() {
    return up || clock.getAsLong() >= retryAtMs.get();
  }

  public boolean isUp() {
    return up;
  }

  public void succeeded() {
    up = true;
    backoffMs.set(MIN_BACKOFF_MS);
  }

  public void failed() {
    up = false;
    long backoff = backoffMs.getAndUpdate(b -> Math.min(MAX_BACKOFF_MS, b * 2));
    retryAtMs.set(clock.getAsLong() + backoff);
  }
}
