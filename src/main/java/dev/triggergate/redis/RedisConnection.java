package dev.triggergate.redis;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's one Redis ({@code rate_limits.redis_url}), shared by the rate limits and the
 * de-duplication store: a pooled client, whether Redis answers now, and a probe that notices it
 * coming back while no request asks.
 */
public final class RedisConnection {
  private static final long PROBE_MS = RedisHealth.MIN_BACKOFF_MS;

  private final Redis client;
  private final long timeoutMs;
  private final RedisHealth health = new RedisHealth(RedisHealth.systemClock());

  /**
   * @param timeoutMs a command slower than this counts as a failure
   */
  public RedisConnection(Vertx vertx, String url, long timeoutMs) {
    this.timeoutMs = timeoutMs;
    this.client =
        Redis.createClient(
            vertx,
            new RedisOptions().setConnectionString(url).setMaxPoolSize(16).setMaxPoolWaiting(4096));
    // Lives as long as Vert.x, like the client: both end when the process drains and closes it.
    vertx.setPeriodic(PROBE_MS, id -> probe());
  }

  public Redis client() {
    return client;
  }

  public RedisHealth health() {
    return health;
  }

  public long timeoutMs() {
    return timeoutMs;
  }

  /** Whether Redis answers; drives {@code /ready}. */
  public boolean isReady() {
    return health.isUp();
  }

  private void probe() {
    if (!health.isUp() && health.shouldTry()) {
      client
          .send(Request.cmd(Command.PING))
          .timeout(timeoutMs, TimeUnit.MILLISECONDS)
          .onSuccess(pong -> health.succeeded())
          .onFailure(error -> health.failed());
    }
  }
}
