package dev.triggergate.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RedisServer;
import dev.triggergate.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Redis backend against a real Redis process this test starts: one quota shared by every
 * instance, and each {@code on_store_failure} mode while Redis is dead or stalled.
 */
class RedisRateLimitTest {
  private static final String BODY =
      "{\"token\":\"tok\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}]}";

  private RedisServer redis;

  @BeforeEach
  void startRedis() {
    redis = RedisServer.start();
  }

  @AfterEach
  void stopRedis() {
    redis.close();
  }

  private TestGateway gateway(int limit, String onFailure) {
    return gateway(limit, onFailure, 200);
  }

  /** A generous timeout where the test is about counting, not about a slow Redis. */
  private TestGateway gateway(int limit, String onFailure, int timeoutMs) {
    return TestGateway.start(
        redis.section(timeoutMs)
            + "rate_limits:\n"
            + "  policies:\n"
            + "    - {name: shared, key: token, limit: "
            + limit
            + ", period_ms: 600000, backend: redis, on_store_failure: "
            + onFailure
            + "}\n");
  }

  @Test
  void exactlyTheLimitPassesUnderConcurrency() {
    try (TestGateway gateway = gateway(41, "deny", 10_000)) {
      int accepted = RateLimitTest.Concurrently.countAccepted(gateway, List.of(gateway), 300, BODY);

      assertThat(accepted).isEqualTo(41);
      assertThat(fallbacks(gateway)).isZero();
    }
  }

  @Test
  void twoGatewaysOnOneRedisShareOneQuota() {
    try (TestGateway first = gateway(25, "deny", 10_000);
        TestGateway second = gateway(25, "deny", 10_000)) {
      int viaFirst = RateLimitTest.Concurrently.countAccepted(first, List.of(first), 10, BODY);
      int viaBoth =
          RateLimitTest.Concurrently.countAccepted(first, List.of(first, second), 200, BODY);

      // Unshared, the second gateway alone would have let 25 more through.
      assertThat(viaFirst).isEqualTo(10);
      assertThat(viaBoth).isEqualTo(15);
      assertThat(first.journal().total() + second.journal().total()).isEqualTo(25);
    }
  }

  @Test
  void deadRedisWithLocalFallsBackToTheLocalLimiterAndResumesAfterRestart() {
    try (TestGateway gateway = gateway(3, "local")) {
      assertThat(gateway.postJson(BODY).statusCode()).isEqualTo(200);
      assertThat(gateway.ready()).isEqualTo(200);

      redis.kill();
      List<Integer> statuses = statuses(gateway, 5);

      // The local limiter starts its own count: three more pass, then it refuses.
      assertThat(statuses).containsExactly(200, 200, 200, 429, 429);
      assertThat(fallbacks(gateway)).isEqualTo(5);
      assertThat(gateway.ready()).isEqualTo(503);

      redis.restart();
      gateway.awaitReady(200);
      // The restarted Redis is empty: the shared quota starts again from the limit.
      assertThat(statuses(gateway, 4)).containsExactly(200, 200, 200, 429);
      assertThat(gateway.ready()).isEqualTo(200);
    }
  }

  @Test
  void deadRedisWithAllowLetsEverythingThroughAndCountsIt() {
    try (TestGateway gateway = gateway(1, "allow")) {
      redis.kill();

      assertThat(statuses(gateway, 4)).containsOnly(200);
      assertThat(fallbacks(gateway)).isEqualTo(4);
    }
  }

  @Test
  void deadRedisWithDenyRefusesWith503() {
    try (TestGateway gateway = gateway(100, "deny")) {
      redis.kill();

      HttpResponse<Buffer> refused = gateway.postJson(BODY);

      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.bodyAsJsonObject().getString("error_debug"))
          .isEqualTo("rate limit store unavailable for policy \"shared\"");
      assertThat(refused.getHeader("Retry-After")).isEqualTo("1");
      assertThat(gateway.journal().total()).isZero();
    }
  }

  @Test
  void aStalledCommandFailsItsOwnCheckAloneAndRedisStaysInUse() {
    try (TestGateway gateway = gateway(2, "deny")) {
      assertThat(gateway.postJson(BODY).statusCode()).isEqualTo(200);
      redis.freeze();
      HttpResponse<Buffer> stalled;
      try {
        stalled = gateway.postJson(BODY);
      } finally {
        redis.thaw();
      }

      // That one check applied deny; Redis was never taken out, so the next one counts there.
      assertThat(stalled.statusCode()).isEqualTo(503);
      assertThat(fallbacks(gateway)).isEqualTo(1);
      assertThat(gateway.ready()).isEqualTo(200);
      List<Integer> after = statuses(gateway, 2);
      assertThat(fallbacks(gateway)).isEqualTo(1);
      // The stalled script ran once Redis woke, so it spent the second permit: the shared count
      // says what Redis did, not what the gateway answered.
      assertThat(after).containsExactly(429, 429);
    }
  }

  private static List<Integer> statuses(TestGateway gateway, int count) {
    List<Integer> statuses = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      statuses.add(gateway.postJson(BODY).statusCode());
    }
    return statuses;
  }

  private static double fallbacks(TestGateway gateway) {
    return gateway.running.registry().find("gateway_ratelimit_store_fallbacks").counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count)
        .sum();
  }
}
