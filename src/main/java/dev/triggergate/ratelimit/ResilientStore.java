package dev.triggergate.ratelimit;

import dev.triggergate.config.GatewayConfig.Policy;
import dev.triggergate.ops.IntervalReport;
import dev.triggergate.redis.RedisConnection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Redis-backed policy that keeps answering while Redis is slow or down: a check whose command
 * failed (see {@link RedisConnection} for what fails, and when Redis rests) applies the policy's
 * {@code on_store_failure}: {@code local}, {@code allow} or {@code deny}. Every fallback is
 * counted; the log says so once per interval, never silently and never once per request.
 */
final class ResilientStore implements LimiterStore {
  private static final Logger LOG = LoggerFactory.getLogger(ResilientStore.class);

  private final Policy policy;
  private final LimiterStore redis;
  private final LocalLimiterStore local;
  private final Counter fallbacks;
  private final IntervalReport report = new IntervalReport(10_000);

  ResilientStore(
      Policy policy, LimiterStore redis, LocalLimiterStore local, MeterRegistry registry) {
    this.policy = policy;
    this.redis = redis;
    this.local = local;
    this.fallbacks =
        Counter.builder("gateway_ratelimit_store_fallbacks")
            .description("Rate checks answered without Redis because it failed or was resting")
            .tag("policy", policy.name())
            .tag("mode", policy.onStoreFailure().name().toLowerCase(java.util.Locale.ROOT))
            .register(registry);
  }

  @Override
  public Future<RateDecision> acquire(Policy ignored, String key, int permits) {
    return redis.acquire(policy, key, permits).recover(error -> fallback(key, permits, error));
  }

  private Future<RateDecision> fallback(String key, int permits, Throwable error) {
    fallbacks.increment();
    logOncePerInterval(error);
    return switch (policy.onStoreFailure()) {
      case LOCAL -> Future.succeededFuture(local.decide(key, permits));
      case ALLOW ->
          Future.succeededFuture(new RateDecision(true, policy.limit(), 0, policy.periodMs()));
      case DENY -> Future.failedFuture(new StoreUnavailable(policy));
    };
  }

  private void logOncePerInterval(Throwable error) {
    long count = report.count();
    if (count > 0) {
      LOG.warn(
          "rate policy \"{}\": Redis unavailable ({}); {} check(s) answered by on_store_failure={}",
          policy.name(),
          RedisConnection.describe(error),
          count,
          policy.onStoreFailure().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** Thrown by a {@code deny} policy while Redis cannot answer. */
  static final class StoreUnavailable extends RuntimeException {
    StoreUnavailable(Policy policy) {
      super(
          "rate limit store unavailable for policy \"" + policy.name() + "\"", null, false, false);
    }
  }
}
