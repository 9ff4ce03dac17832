package dev.triggergate.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.config.GatewayConfig.Policy;
import dev.triggergate.config.GatewayConfig.PolicyBackend;
import dev.triggergate.config.GatewayConfig.PolicyKey;
import dev.triggergate.config.GatewayConfig.PolicyUnit;
import dev.triggergate.config.GatewayConfig.StoreFailure;
import org.junit.jupiter.api.Test;

/** The local backend's memory stays bounded, and a re-created key keeps its policy. */
class LocalLimiterStoreTest {
  private static Policy policy(int limit) {
    return new Policy(
        "p",
        PolicyKey.TOKEN,
        PolicyUnit.REQUESTS,
        limit,
        60_000,
        0,
        PolicyBackend.LOCAL,
        StoreFailure.LOCAL);
  }

  @Test
  void aMillionDistinctKeysKeepTheStoreAtItsCap() {
    LocalLimiterStore store = new LocalLimiterStore(policy(5), 10_000);

    for (int i = 0; i < 1_000_000; i++) {
      assertThat(store.decide("token-" + i, 1).allowed()).isTrue();
    }

    assertThat(store.size()).isLessThanOrEqualTo(10_000);
  }

  @Test
  void aKeyEvictedAndCreatedAgainGetsItsPolicyNotADefault() {
    LocalLimiterStore store = new LocalLimiterStore(policy(2), 1);
    store.decide("a", 1);
    store.decide("b", 1);
    store.size();

    RateDecision first = store.decide("a", 2);
    RateDecision third = store.decide("a", 1);

    assertThat(first.allowed()).isTrue();
    assertThat(first.remaining()).isZero();
    assertThat(third.allowed()).isFalse();
    assertThat(third.waitMs()).isBetween(1L, 60_000L);
  }
}
