package dev.triggergate.dedup;

import dev.triggergate.engine.LaunchResult;
import dev.triggergate.engine.LaunchResult.Launched;
import dev.triggergate.engine.LaunchResult.Relayed;
import dev.triggergate.ops.IntervalReport;
import dev.triggergate.redis.RedisConnection;
import dev.triggergate.redis.RedisScript;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code redis} store: ids and answers in Redis, so a repeat is recognised by whichever
 * instance it reaches.
 *
 * <p>The local store stays in front: an id is claimed there first, so repeats reaching this
 * instance wait in memory, and every answer is kept there too, so they are recognised here even
 * while Redis cannot answer.
 *
 * <p>In Redis a claim is one atomic script: it returns what the key holds, or marks the id held by
 * this request for {@code holdMs}, renewed while the request runs. A repeat that finds the id held
 * elsewhere looks again on a timer until the answer is there or the hold is gone; the hold expires
 * by itself, so an instance that died mid-request frees its ids. The answer is written only over
 * this request's own hold (or nothing), never over another request's. Keys are a SHA-256 of token
 * and id: no token reaches Redis.
 */
public final class RedisDedupStore implements DedupStore {
  private static final Logger LOG = LoggerFactory.getLogger(RedisDedupStore.class);

  private static final RedisScript CLAIM =
      RedisScript.of(
          """
      local earlier = redis.call('GET', KEYS[1])
      if earlier then return earlier end
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      return false
      """);
  private static final RedisScript KEEP =
      RedisScript.of(
          """
      local now = redis.call('GET', KEYS[1])
      if now and now ~= ARGV[1] then return 0 end
      redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
      return 1
      """);
  private static final RedisScript RENEW =
      RedisScript.of(
          """
      if redis.call('GET', KEYS[1]) == ARGV[1] then
        return redis.call('PEXPIRE', KEYS[1], ARGV[2])
      end
      return 0
      """);
  private static final RedisScript RELEASE =
      RedisScript.of(
          """
      if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
      return 0
      """);

  /** Starts the value of a held id; an answer is a JSON object. */
  private static final String HELD = "held:";

  private static final long FIRST_LOOK_MS = 10;
  private static final long MAX_LOOK_MS = 200;

  private final Vertx vertx;
  private final RedisConnection redis;
  private final DedupStore local;
  private final long ttlMs;
  private final long holdMs;
  private final Counter fallbacks;
  private final Counter waits;
  private final IntervalReport report = new IntervalReport(10_000);

  /**
   * @param local the store in front of Redis
   * @param ttlMs how long an answer is given again
   * @param holdMs how long an id stays held without its request renewing the hold
   */
  public RedisDedupStore(
      Vertx vertx,
      RedisConnection redis,
      DedupStore local,
      long ttlMs,
      long holdMs,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.redis = redis;
    this.local = local;
    this.ttlMs = ttlMs;
    this.holdMs = holdMs;
    this.fallbacks =
        Counter.builder("gateway_dedup_store_fallbacks")
            .description("Claims decided by this instance alone because Redis could not answer")
            .register(registry);
    this.waits = LocalDedupStore.waits(registry);
    List.of(CLAIM, KEEP, RENEW, RELEASE).forEach(redis::prepare);
  }

  @Override
  public Future<Claim> claim(String key) {
    return local
        .claim(key)
        .compose(
            claim ->
                claim instanceof Claim.First here
                    ? claimInRedis(new SharedHold(redisKey(key), here), FIRST_LOOK_MS)
                    : Future.succeededFuture(claim));
  }

  /** This instance holds the id; now ask Redis, which knows the other instances' requests. */
  private Future<Claim> claimInRedis(SharedHold hold, long lookMs) {
    return redis
        .eval(CLAIM, hold.redisKey, hold.token, Long.toString(holdMs))
        .transform(
            reply -> {
              if (reply.failed()) {
                // The script may still run: the hold settles Redis with its token either way.
                return fallback(hold, reply.cause());
              }
              if (reply.result() == null) {
                hold.renewWhileRunning();
                return Future.succeededFuture(hold);
              }
              return earlier(hold, reply.result().toString(), lookMs);
            });
  }

  /** What the claim found: an answer, or an id held elsewhere, to look at again shortly. */
  private Future<Claim> earlier(SharedHold hold, String value, long lookMs) {
    if (!value.startsWith(HELD)) {
      LaunchResult answer = decode(value);
      hold.here.keep(answer);
      return Future.succeededFuture(new Claim.Repeat(answer));
    }
    if (lookMs == FIRST_LOOK_MS) {
      waits.increment();
    }
    long next = Math.min(MAX_LOOK_MS, lookMs * 2);
    return vertx
        .timer(lookMs)
        .compose(fired -> redis.send(Request.cmd(Command.GET).arg(hold.redisKey)))
        .transform(
            reply -> {
              if (reply.failed()) {
                return fallback(hold, reply.cause());
              }
              if (reply.result() == null) {
                // Released, or its holder is gone: the id is free again.
                return claimInRedis(hold, next);
              }
              return earlier(hold, reply.result().toString(), next);
            });
  }

  private Future<Claim> fallback(SharedHold hold, Throwable cause) {
    fallbacks.increment();
    long count = report.count();
    if (count > 0) {
      LOG.warn(
          "de-duplication: Redis could not answer ({}); {} claim(s) decided by this instance alone",
          RedisConnection.describe(cause),
          count);
    }
    return Future.succeededFuture(hold);
  }

  @Override
  public boolean isReady() {
    return redis.isReady();
  }

  /**
   * This request's hold on an id, here and in Redis. Its outcome is written to both; Redis is asked
   * even while it rests after failures ({@link RedisConnection#settle}), as the claim may have
   * reached it.
   */
  private final class SharedHold implements Claim.First {
    private final String redisKey;
    private final Claim.First here;
    private final String token;
    private long renewal = -1;

    SharedHold(String redisKey, Claim.First here) {
      this.redisKey = redisKey;
      this.here = here;
      ThreadLocalRandom random = ThreadLocalRandom.current();
      this.token = HELD + Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
    }

    /** A request may outlast {@code holdMs}: its hold is renewed until it ends. */
    void renewWhileRunning() {
      renewal =
          vertx.setPeriodic(
              Math.max(1, holdMs / 3),
              id ->
                  redis
                      .settle(RENEW, redisKey, token, Long.toString(holdMs))
                      .onFailure(error -> unsettled("renew", error)));
    }

    @Override
    public void keep(LaunchResult answer) {
      here.keep(answer);
      stopRenewing();
      redis
          .settle(KEEP, redisKey, token, encode(answer), Long.toString(ttlMs))
          .onFailure(error -> unsettled("keep the answer for", error));
    }

    @Override
    public void release() {
      here.release();
      stopRenewing();
      redis.settle(RELEASE, redisKey, token).onFailure(error -> unsettled("release", error));
    }

    private void stopRenewing() {
      if (renewal >= 0) {
        vertx.cancelTimer(renewal);
      }
    }

    private void unsettled(String what, Throwable error) {
      // The hold expires by itself; other instances then decide without this request's outcome.
      LOG.warn(
          "de-duplication: Redis could not {} an id ({})", what, RedisConnection.describe(error));
    }
  }

  private static String redisKey(String key) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return "tg:dd:"
          + HexFormat.of().formatHex(digest.digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  static String encode(LaunchResult answer) {
    JsonObject json = new JsonObject();
    if (answer instanceof Launched launched) {
      json.put("launched", new JsonArray(launched.profileIds()))
          .put("unmatched", launched.unmatched());
    } else if (answer instanceof Relayed relayed) {
      JsonArray headers = new JsonArray();
      for (Map.Entry<String, String> header : relayed.headers()) {
        headers.add(new JsonArray().add(header.getKey()).add(header.getValue()));
      }
      json.put("status", relayed.status())
          .put("headers", headers)
          .put("body", relayed.head().getBytes());
    } else {
      json.put("not_kept", true);
    }
    return json.encode();
  }

  static LaunchResult decode(String value) {
    JsonObject json = new JsonObject(value);
    if (json.containsKey("launched")) {
      List<String> ids = new ArrayList<>();
      json.getJsonArray("launched").forEach(id -> ids.add((String) id));
      return new Launched(ids, json.getInteger("unmatched"));
    }
    if (json.containsKey("status")) {
      MultiMap headers = HttpHeaders.headers();
      for (Object header : json.getJsonArray("headers")) {
        JsonArray pair = (JsonArray) header;
        headers.add(pair.getString(0), pair.getString(1));
      }
      return new Relayed(
          json.getInteger("status"), headers, Buffer.buffer(json.getBinary("body")), null);
    }
    return null;
  }
}
