package dev.triggergate.dedup;

import dev.triggergate.engine.LaunchResult;
import dev.triggergate.engine.LaunchResult.Launched;
import dev.triggergate.engine.LaunchResult.Relayed;
import dev.triggergate.ops.IntervalReport;
import dev.triggergate.redis.RedisConnection;
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
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code redis} store: ids and answers in Redis, so a repeat is recognised by whichever
 * instance it reaches.
 *
 * <p>A claim is one atomic script: it returns what the key holds, or marks the id held by this
 * request for {@code holdMs}. A repeat that finds the id held elsewhere looks again on a timer
 * until the answer is there or the hold is gone; the hold expires by itself, so an instance that
 * died mid-request frees its ids. Keys are a SHA-256 of token and id: no token reaches Redis.
 *
 * <p>While Redis cannot answer, the local store stands in, so repeats are still recognised within
 * this instance; every such claim is counted and logged once per interval.
 */
public final class RedisDedupStore implements DedupStore {
  private static final Logger LOG = LoggerFactory.getLogger(RedisDedupStore.class);

  // EVAL rather than EVALSHA: both scripts are a few lines, sent only for requests naming an id.
  private static final String CLAIM =
      """
      local earlier = redis.call('GET', KEYS[1])
      if earlier then return earlier end
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      return false
      """;
  private static final String RELEASE =
      """
      if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
      return 0
      """;

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
  private final IntervalReport report = new IntervalReport(10_000);

  /**
   * @param local the store that stands in while Redis cannot answer
   * @param ttlMs how long an answer is given again
   * @param holdMs how long an id stays held by a request still being answered
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
            .description("Claims the local store answered because Redis could not")
            .register(registry);
  }

  @Override
  public Future<Claim> claim(String key) {
    return claimIn(redisKey(key), key);
  }

  private Future<Claim> claimIn(String redisKey, String key) {
    if (!redis.health().shouldTry()) {
      return fallback(key, null);
    }
    String hold = HELD + UUID.randomUUID();
    Request script =
        Request.cmd(Command.EVAL).arg(CLAIM).arg(1).arg(redisKey).arg(hold).arg(holdMs);
    return send(script)
        .transform(
            reply -> {
              if (reply.failed()) {
                return fallback(key, reply.cause());
              }
              if (reply.result() == null) {
                return Future.succeededFuture(new RedisHold(redisKey, hold));
              }
              return earlier(redisKey, key, reply.result().toString(), FIRST_LOOK_MS);
            });
  }

  /** What a claim found: an answer, or an id held elsewhere, to look at again shortly. */
  private Future<Claim> earlier(String redisKey, String key, String value, long lookMs) {
    if (!value.startsWith(HELD)) {
      return Future.succeededFuture(new Claim.Repeat(decode(value)));
    }
    return vertx
        .timer(lookMs)
        .compose(fired -> send(Request.cmd(Command.GET).arg(redisKey)))
        .transform(
            reply -> {
              if (reply.failed()) {
                return fallback(key, reply.cause());
              }
              if (reply.result() == null) {
                // Released, or its holder is gone: the id is free again.
                return claimIn(redisKey, key);
              }
              return earlier(
                  redisKey, key, reply.result().toString(), Math.min(MAX_LOOK_MS, lookMs * 2));
            });
  }

  private Future<Response> send(Request request) {
    return redis
        .client()
        .send(request)
        .timeout(redis.timeoutMs(), TimeUnit.MILLISECONDS)
        .andThen(
            done -> {
              if (done.succeeded()) {
                redis.health().succeeded();
              } else {
                redis.health().failed();
              }
            });
  }

  private Future<Claim> fallback(String key, Throwable cause) {
    fallbacks.increment();
    long count = report.count();
    if (count > 0) {
      LOG.warn(
          "de-duplication: Redis could not answer ({}); {} claim(s) went to this instance's store",
          cause == null ? "backing off" : cause.getMessage(),
          count);
    }
    return local.claim(key);
  }

  @Override
  public boolean isReady() {
    return redis.isReady();
  }

  /** This request's hold on an id in Redis. */
  private final class RedisHold implements Claim.First {
    private final String redisKey;
    private final String hold;

    RedisHold(String redisKey, String hold) {
      this.redisKey = redisKey;
      this.hold = hold;
    }

    @Override
    public void keep(LaunchResult answer) {
      Request set = Request.cmd(Command.SET).arg(redisKey).arg(encode(answer)).arg("PX").arg(ttlMs);
      send(set).onFailure(error -> stored("keep", error));
    }

    @Override
    public void release() {
      send(Request.cmd(Command.EVAL).arg(RELEASE).arg(1).arg(redisKey).arg(hold))
          .onFailure(error -> stored("release", error));
    }

    private void stored(String what, Throwable error) {
      // The hold expires by itself: repeats wait at most holdMs, then launch again.
      LOG.warn("de-duplication: Redis could not {} an id ({})", what, error.getMessage());
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
