package dev.triggergate.ratelimit;

import dev.triggergate.config.GatewayConfig.Policy;
import dev.triggergate.redis.RedisConnection;
import dev.triggergate.redis.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;

/**
 * The {@code redis} backend: one atomic GCRA script per check, so every gateway sharing the Redis
 * shares the quota. Keys carry a hash tag (one slot in a Redis Cluster) and a TTL; the clock is
 * Redis's own.
 *
 * <p>This class only talks to Redis; {@link ResilientStore} decides what a failure means.
 */
final class RedisLimiterStore implements LimiterStore {
  private static final RedisScript SCRIPT = RedisScript.resource("/ratelimit/gcra.lua");

  private final RedisConnection redis;

  RedisLimiterStore(RedisConnection redis) {
    this.redis = redis;
  }

  @Override
  public Future<RateDecision> acquire(Policy policy, String key, int permits) {
    long periodUs = policy.periodMs() * 1_000;
    long intervalUs = Math.max(1, periodUs / policy.limit());
    return redis
        .eval(
            SCRIPT,
            "tg:rl:{" + policy.name() + ":" + key + "}",
            Long.toString(intervalUs),
            Long.toString(intervalUs * policy.limit()),
            Integer.toString(permits),
            Long.toString(policy.maxWaitMs() * 1_000))
        .map(RedisLimiterStore::decision);
  }

  private static RateDecision decision(Response reply) {
    return new RateDecision(
        reply.get(0).toLong() == 1,
        reply.get(1).toLong(),
        Math.max(0, reply.get(2).toLong()) / 1_000,
        Math.max(0, reply.get(3).toLong()) / 1_000);
  }
}
