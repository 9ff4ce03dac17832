package dev.triggergate.ratelimit;

import dev.triggergate.config.GatewayConfig.Policy;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * The {@code redis} backend: one atomic GCRA script per check, so every gateway sharing the Redis
 * shares the quota. Keys carry a hash tag (one slot in a Redis Cluster) and a TTL; the clock is
 * Redis's own.
 *
 * <p>This class only talks to Redis; {@link ResilientStore} decides what a failure means.
 */
final class RedisLimiterStore implements LimiterStore {
  private static final String SCRIPT = loadScript();
  private static final String SHA = sha1(SCRIPT);

  private final Redis redis;
  private final long timeoutMs;

  RedisLimiterStore(Redis redis, long timeoutMs) {
    this.redis = redis;
    this.timeoutMs = timeoutMs;
  }

  @Override
  public Future<RateDecision> acquire(Policy policy, String key, int permits) {
    String redisKey = "tg:rl:{" + policy.name() + ":" + key + "}";
    return redis
        .send(script(Request.cmd(Command.EVALSHA).arg(SHA), redisKey, policy, permits))
        .recover(
            error -> {
              // First use on this Redis (or after a restart): load the script with EVAL.
              if (error.getMessage() != null && error.getMessage().startsWith("NOSCRIPT")) {
                return redis.send(
                    script(Request.cmd(Command.EVAL).arg(SCRIPT), redisKey, policy, permits));
              }
              return Future.failedFuture(error);
            })
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .map(RedisLimiterStore::decision);
  }

  /** The script's key and arguments (see gcra.lua), after EVALSHA's digest or EVAL's text. */
  private static Request script(Request command, String key, Policy policy, int permits) {
    long periodUs = policy.periodMs() * 1_000;
    long intervalUs = Math.max(1, periodUs / policy.limit());
    return command
        .arg(1)
        .arg(key)
        .arg(intervalUs)
        .arg(intervalUs * policy.limit())
        .arg(permits)
        .arg(policy.maxWaitMs() * 1_000);
  }

  private static RateDecision decision(Response reply) {
    return new RateDecision(
        reply.get(0).toLong() == 1,
        reply.get(1).toLong(),
        Math.max(0, reply.get(2).toLong()) / 1_000,
        Math.max(0, reply.get(3).toLong()) / 1_000);
  }

  private static String loadScript() {
    try (InputStream in = RedisLimiterStore.class.getResourceAsStream("/ratelimit/gcra.lua")) {
      if (in == null) {
        throw new IllegalStateException("ratelimit/gcra.lua is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha1(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-1", e);
    }
  }
}
