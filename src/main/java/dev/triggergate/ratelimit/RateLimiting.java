package dev.triggergate.ratelimit;

import dev.triggergate.config.GatewayConfig.Policy;
import dev.triggergate.config.GatewayConfig.PolicyBackend;
import dev.triggergate.config.GatewayConfig.PolicyUnit;
import dev.triggergate.config.GatewayConfig.RateLimits;
import dev.triggergate.redis.RedisConnection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The configured rate policies, built once: their stores, and the two pipeline steps that apply
 * them (before the body is read, and after validation).
 */
public final class RateLimiting {
  private final List<RateRule> beforeBody = new ArrayList<>();
  private final List<RateRule> afterBody = new ArrayList<>();
  private final RedisConnection redis;
  private final Vertx vertx;

  /**
   * @param redis the gateway's Redis, or null when none is configured
   */
  public RateLimiting(
      Vertx vertx, RateLimits config, RedisConnection redis, MeterRegistry registry) {
    this.vertx = vertx;
    this.redis = redis;
    for (Policy policy : config.policies()) {
      LocalLimiterStore local = new LocalLimiterStore(policy, config.localMaxKeys());
      LimiterStore store = local;
      if (policy.backend() == PolicyBackend.REDIS) {
        store = new ResilientStore(policy, new RedisLimiterStore(redis), local, registry);
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
  }

  /** The step before the body is read: policies keyed by nothing or the client's address. */
  public Handler<RoutingContext> beforeBody() {
    return beforeBody.isEmpty() ? RoutingContext::next : new RateCheck(vertx, beforeBody);
  }

  /** The step after validation: policies keyed by token or trigger, or counting profiles. */
  public Handler<RoutingContext> afterBody() {
    return afterBody.isEmpty() ? RoutingContext::next : new RateCheck(vertx, afterBody);
  }

  /** Whether Redis answers, where one is configured; drives {@code /ready}. */
  public boolean isReady() {
    return redis == null || redis.isReady();
  }
}
