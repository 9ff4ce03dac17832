package dev.triggergate.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.triggergate.config.GatewayConfig.Policy;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The {@code local} backend: one resilience4j rate limiter per key, in a bounded store that forgets
 * idle keys, so a flood of distinct tokens cannot grow memory without bound.
 *
 * <p>resilience4j counts in cycles of {@code period_ms} from the limiter's creation: each cycle
 * starts with {@code limit} permits (unused ones do not carry over), and a request waiting up to
 * {@code max_wait_ms} may reserve permits of the cycles to come. The Redis backend's script
 * (ratelimit/window.lua) counts the same way, so falling back changes where counts live, not how.
 *
 * <p>Every limiter is created with {@code max_wait_ms} as its timeout and is only asked without
 * parking: resilience4j's default parks the calling thread for up to five seconds, which would
 * stall an event loop. A wait is a reservation the caller serves with a timer.
 */
final class LocalLimiterStore implements LimiterStore {
  private final Policy policy;
  private final RateLimiterConfig config;
  private final long periodNanos;
  private final Cache<String, KeyLimiter> limiters;

  /**
   * One key's limiter, and when its cycles began (read just after resilience4j read its own, so the
   * cycle ends computed from it are never earlier than resilience4j's).
   */
  private record KeyLimiter(RateLimiter limiter, long startNanos) {}

  LocalLimiterStore(Policy policy, int maxKeys) {
    this.policy = policy;
    this.periodNanos = TimeUnit.MILLISECONDS.toNanos(policy.periodMs());
    this.config =
        RateLimiterConfig.custom()
            .limitForPeriod(policy.limit())
            .limitRefreshPeriod(Duration.ofMillis(policy.periodMs()))
            .timeoutDuration(Duration.ofMillis(policy.maxWaitMs()))
            .build();
    this.limiters =
        Caffeine.newBuilder()
            .maximumSize(maxKeys)
            .expireAfterAccess(idleMs(policy), TimeUnit.MILLISECONDS)
            .build();
  }

  /**
   * How long a key is kept unused: by then its reservations have passed and a cycle has refilled
   * it, so forgetting it changes only when its cycles start. Redis keys expire after the same.
   */
  static long idleMs(Policy policy) {
    return Math.max(policy.periodMs(), 1_000) + policy.maxWaitMs();
  }

  @Override
  public Future<RateDecision> acquire(Policy ignored, String key, int permits) {
    return Future.succeededFuture(decide(key, permits));
  }

  RateDecision decide(String key, int permits) {
    // A key created again after expiry gets the policy's own configuration, never a default.
    KeyLimiter entry = limiters.get(key, this::newLimiter);
    RateLimiter limiter = entry.limiter();
    boolean granted;
    long waitNanos = 0;
    if (policy.maxWaitMs() == 0) {
      // With a zero timeout this never parks the thread.
      granted = limiter.acquirePermission(permits);
    } else {
      waitNanos = limiter.reservePermission(permits);
      granted = waitNanos >= 0;
    }
    long available = limiter.getMetrics().getAvailablePermissions();
    long sinceStart = System.nanoTime() - entry.startNanos();
    long toNextCycle = (sinceStart / periodNanos + 1) * periodNanos - sinceStart;
    long remaining = Math.max(0, available);
    if (granted) {
      return new RateDecision(
          true, remaining, ceilMillis(Math.max(0, waitNanos)), ceilMillis(toNextCycle));
    }
    // As resilience4j counts it: the cycles after the next one whose permits this batch needs.
    long fullCycles = Math.max(0, Math.floorDiv(permits - available - 1, policy.limit()));
    return new RateDecision(
        false,
        remaining,
        ceilMillis(fullCycles * periodNanos + toNextCycle),
        ceilMillis(toNextCycle));
  }

  private KeyLimiter newLimiter(String key) {
    RateLimiter limiter = RateLimiter.of(policy.name(), config);
    return new KeyLimiter(limiter, System.nanoTime());
  }

  long size() {
    limiters.cleanUp();
    return limiters.estimatedSize();
  }

  private static long ceilMillis(long nanos) {
    return (nanos + 999_999) / 1_000_000;
  }
}
