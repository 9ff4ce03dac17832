package dev.triggergate.ops;

import dev.triggergate.config.GatewayConfig.Breaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;

/** The gateway's circuit breakers (upstream hosts, Redis), built one way from a breaker section. */
public final class CircuitBreakers {
  private CircuitBreakers() {}

  /**
   * A breaker over the last {@code window} calls that opens at {@code failure_rate_percent} once
   * {@code min_calls} were made, rests {@code open_ms}, then lets {@code half_open_calls} trials
   * decide. {@code connect_failures} is its owner's to count.
   */
  public static CircuitBreaker of(String name, Breaker limits) {
    return CircuitBreaker.of(
        name,
        CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(limits.window())
            .minimumNumberOfCalls(Math.min(limits.minCalls(), limits.window()))
            .failureRateThreshold(limits.failureRatePercent())
            .waitDurationInOpenState(Duration.ofMillis(limits.openMs()))
            .permittedNumberOfCallsInHalfOpenState(limits.halfOpenCalls())
            .writableStackTraceEnabled(false)
            .build());
  }
}
