package dev.triggergate.ratelimit;

import dev.triggergate.config.GatewayConfig.Policy;
import dev.triggergate.redis.RedisConnection;
import dev.triggergate.redis.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;

/**
 * The {@code redis} backend: one atomic script per check (ratelimit/window.lua, counting as the
 * local backend does), so every gateway sharing the Redis shares the quota. Keys carry a hash tag
 * (one slot in a Redis Cluster) and expire when idle as the local ones do; the clock is Redis's
 * own.
 *
 * <p>This class only talks to Redis; {@link ResilientStore} decides what a failure means.
 */
final class RedisLimiterStore implements LimiterStore {
  private static final RedisScript SCRIPT = RedisScript.resource("/ratelimit/window.lua");

  private final RedisConnection redis;

  RedisLimiterStore(RedisConnection redis) {
    this.redis = redis;
    redis.prepare(SCRIPT);
  }

  @Override
  public Future<RateDecision> acquire(Policy policy, String key, int permits) {
    return redis
        .eval(
            SCRIPT,
            "tg:rate:{" + policy.name() + ":" + key + "}",
            Long.toString(policy.periodMs() * 1_000),
            Integer.toString(policy.limit()),
            Integer.toString(permits),
            Long.toString(policy.maxWaitMs() * 1_000),
            Long.toString(LocalLimiterStore.idleMs(policy)))
        .map(RedisLimiterStore::decision);
  }

  private static RateDecision decision(Response reply) {
    return new RateDecision(
        reply.get(0).toLong() == 1,
        reply.get(1).toLong(),
        ceilMillis(reply.get(2).toLong()),
        ceilMillis(reply.get(3).toLong()));
  }

  private static long ceilMillis(long micros) {
    return (Math.max(0, micros) + 999) / 1_000;
  }
}
