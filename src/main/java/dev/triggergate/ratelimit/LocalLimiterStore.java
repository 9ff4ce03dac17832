package dev.triggergate.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.triggergate.config.GatewayConfig.Policy;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The {@code local} backend: one resilience4j rate limiter per key, in a bounded store that forgets
 * idle keys, so a flood of distinct tokens cannot grow memory without bound.
 *
 * <p>Every limiter is created with a zero timeout: resilience4j's default parks the calling thread
 * for up to five seconds, which would stall an event loop. Waits ({@code max_wait_ms}) are
 * reservations the caller serves with a timer.
 */
final class LocalLimiterStore implements LimiterStore {
  private final Policy policy;
  private final RateLimiterConfig config;
  private final Cache<String, AtomicRateLimiter> limiters;

  LocalLimiterStore(Policy policy, int maxKeys) {
    this.policy = policy;
    RateLimiterConfig.Builder base =
        RateLimiterConfig.custom()
            .limitForPeriod(policy.limit())
            .limitRefreshPeriod(Duration.ofMillis(policy.periodMs()));
    this.config = base.timeoutDuration(Duration.ofMillis(policy.maxWaitMs())).build();
    // An idle key has a full quota again after one period: forgetting it then changes nothing.
    this.limiters =
        Caffeine.newBuilder()
            .maximumSize(maxKeys)
            .expireAfterAccess(Math.max(policy.periodMs(), 1_000), TimeUnit.MILLISECONDS)
            .build();
  }

  @Override
  public Future<RateDecision> acquire(Policy ignored, String key, int permits) {
    return Future.succeededFuture(decide(key, permits));
  }

  RateDecision decide(String key, int permits) {
    // A key re-created after expiry gets the policy's own configuration, never a default.
    AtomicRateLimiter limiter =
        limiters.get(key, k -> new AtomicRateLimiter(policy.name(), config));
    if (policy.maxWaitMs() == 0) {
      // With a zero timeout this never parks the thread.
      boolean granted = limiter.acquirePermission(permits);
      return decision(limiter, granted, 0, permits);
    }
    long nanos = limiter.reservePermission(permits);
    return decision(limiter, nanos >= 0, Math.max(nanos, 0), permits);
  }

  long size() {
    limiters.cleanUp();
    return limiters.estimatedSize();
  }

  private RateDecision decision(
      AtomicRateLimiter limiter, boolean granted, long waitNanos, int permits) {
    AtomicRateLimiter.AtomicRateLimiterMetrics metrics = limiter.getDetailedMetrics();
    long remaining = Math.max(0, metrics.getAvailablePermissions());
    long untilNextCycle = TimeUnit.NANOSECONDS.toMillis(metrics.getNanosToWait());
    if (granted) {
      return new RateDecision(
          true, remaining, TimeUnit.NANOSECONDS.toMillis(waitNanos), resetMs(untilNextCycle));
    }
    // Refused: the permits come back one period at a time; count the periods this batch needs.
    long missing = Math.max(0, permits - remaining);
    long periods = Math.max(0, (missing - 1) / policy.limit());
    long retry =
        (untilNextCycle > 0 ? untilNextCycle : policy.periodMs()) + periods * policy.periodMs();
    return new RateDecision(false, remaining, retry, resetMs(untilNextCycle));
  }

  private long resetMs(long untilNextCycle) {
    return untilNextCycle > 0 ? untilNextCycle : policy.periodMs();
  }
}
