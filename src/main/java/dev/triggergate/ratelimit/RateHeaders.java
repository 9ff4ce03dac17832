package dev.triggergate.ratelimit;

import dev.triggergate.config.GatewayConfig.Policy;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rate-limit response fields: {@code Retry-After} (RFC 9110 §10.2.3) and the IETF httpapi
 * draft's {@code RateLimit-Policy} and {@code RateLimit} structured fields.
 */
final class RateHeaders {
  static final String RATE_LIMIT = "RateLimit";
  static final String RATE_LIMIT_POLICY = "RateLimit-Policy";
  static final String RETRY_AFTER = "Retry-After";

  private RateHeaders() {}

  /** {@code "name";q=limit;w=window-seconds} */
  static String policy(Policy policy) {
    return "\"" + policy.name() + "\";q=" + policy.limit() + ";w=" + seconds(policy.periodMs());
  }

  /** {@code "name";r=remaining;t=seconds-until-reset} */
  static String state(Policy policy, RateDecision decision) {
    return "\""
        + policy.name()
        + "\";r="
        + decision.remaining()
        + ";t="
        + seconds(decision.resetMs());
  }

  /** The fields of a refusal: never a {@code Retry-After} of 0, which would invite a hot loop. */
  static Map<String, String> refusal(Policy policy, RateDecision decision) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(RETRY_AFTER, Long.toString(Math.max(1, seconds(decision.waitMs()))));
    headers.put(RATE_LIMIT_POLICY, policy(policy));
    headers.put(RATE_LIMIT, state(policy, decision));
    return headers;
  }

  /** Whole seconds, rounded up. */
  static long seconds(long millis) {
    return (millis + 999) / 1000;
  }
}
