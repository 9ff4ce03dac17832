package dev.triggergate.ratelimit;

import dev.triggergate.config.GatewayConfig.Policy;
import io.vertx.core.Future;

/**
 * Where a policy's counts live: this process ({@code local}) or Redis, shared by every instance.
 */
interface LimiterStore {
  /**
   * Takes {@code permits} from the key's quota, or refuses. Never blocks the calling thread.
   *
   * @param key the policy's key for this request (token, trigger, client address…)
   */
  Future<RateDecision> acquire(Policy policy, String key, int permits);
}
