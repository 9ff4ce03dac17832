package dev.triggergate.ratelimit;

import dev.triggergate.config.GatewayConfig.Policy;
import dev.triggergate.config.GatewayConfig.PolicyBackend;
import dev.triggergate.config.GatewayConfig.PolicyUnit;
import dev.triggergate.config.GatewayConfig.RateLimits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The configured rate policies, built once: their stores, and the two pipeline steps that apply
 * them (before the body is read, and after validation).
 */
public final class RateLimiting {
  private static final long PROBE_MS = RedisHealth.MIN_BACKOFF_MS;

  private final List<RateRule> beforeBody = new ArrayList<>();
  private final List<RateRule> afterBody = new ArrayList<>();
  private final Redis redis;
  private final RedisHealth health = new RedisHealth(RedisHealth.systemClock());
  private final Vertx vertx;
  private final long probeTimer;

  public RateLimiting(Vertx vertx, RateLimits config, MeterRegistry registry) {
    this.vertx = vertx;
    this.redis =
        config.redisUrl() == null
            ? null
            : Redis.createClient(
                vertx,
                new RedisOptions()
                    .setConnectionString(config.redisUrl())
                    .setMaxPoolSize(16)
                    .setMaxPoolWaiting(4096));
    for (Policy policy : config.policies()) {
      LocalLimiterStore local = new LocalLimiterStore(policy, config.localMaxKeys());
      LimiterStore store = local;
      if (policy.backend() == PolicyBackend.REDIS) {
        store =
            new ResilientStore(
                policy,
                new RedisLimiterStore(redis, config.redisTimeoutMs()),
                local,
                health,
                registry);
      }
      Counter refusals =
          Counter.builder("gateway_ratelimit_refusals")
              .description("Requests a rate policy refused")
              .tag("policy", policy.name())
              .register(registry);
      RateRule rule = new RateRule(policy, store, refusals);
      boolean headOnly = !policy.key().needsBody() && policy.unit() == PolicyUnit.REQUESTS;
      (headOnly ? beforeBody : afterBody).add(rule);
    }
    // Without traffic nothing would notice Redis coming back; a probe does, within its backoff.
    this.probeTimer =
        redis == null ? -1 : vertx.setPeriodic(PROBE_MS, id -> probe(config.redisTimeoutMs()));
  }

  private void probe(long timeoutMs) {
    if (!health.isUp() && health.shouldTry()) {
      redis
          .send(Request.cmd(Command.PING))
          .timeout(timeoutMs, TimeUnit.MILLISECONDS)
          .onSuccess(pong -> health.succeeded())
          .onFailure(error -> health.failed());
    }
  }

  /** The step before the body is read: policies keyed by nothing or the client's address. */
  public Handler<RoutingContext> beforeBody() {
    return beforeBody.isEmpty() ? RoutingContext::next : new RateCheck(vertx, beforeBody);
  }

  /** The step after validation: policies keyed by token or trigger, or counting profiles. */
  public Handler<RoutingContext> afterBody() {
    return afterBody.isEmpty() ? RoutingContext::next : new RateCheck(vertx, afterBody);
  }

  /** Whether Redis answers, where policies use it; drives {@code /ready}. */
  public boolean isReady() {
    return redis == null || health.isUp();
  }

  public Future<Void> close() {
    if (redis == null) {
      return Future.succeededFuture();
    }
    vertx.cancelTimer(probeTimer);
    return redis.close();
  }
}
