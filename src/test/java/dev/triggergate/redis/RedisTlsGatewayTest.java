package dev.triggergate.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RedisTlsServer;
import dev.triggergate.TestGateway;
import dev.triggergate.dedup.Deduplication;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gateways sharing a Redis that speaks only TLS and wants an ACL user's password, with a
 * certificate made here: they share a limit and recognise each other's request ids; a wrong
 * password or an untrusted certificate leaves Redis out (not ready, deny answers 503) instead of
 * half working.
 */
class RedisTlsGatewayTest {
  /** A token per test: the tests share one Redis, and its counts outlive each of them. */
  private static final AtomicInteger TOKENS = new AtomicInteger();

  private final String body =
      "{\"token\":\"tok-"
          + TOKENS.incrementAndGet()
          + "\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}]}";

  private static RedisTlsServer redis;

  @BeforeAll
  static void start() {
    redis = RedisTlsServer.start("default-secret", "gateway:gateway-secret");
  }

  @AfterAll
  static void stop() {
    redis.close();
  }

  private static TestGateway gateway(String credentials, String trust) {
    return TestGateway.start(
        "redis: {endpoints: ['"
            + redis.address()
            + "'], "
            + credentials
            + trust
            + " command_timeout_ms: 2000}\n"
            + "rate_limits:\n"
            + "  policies:\n"
            + "    - {name: shared, key: token, limit: 5, period_ms: 600000, backend: redis,"
            + " on_store_failure: deny}\n"
            + "dedup: {store: redis}\n");
  }

  private static String trusted() {
    return "trust_store: '" + redis.certificatePath() + "',";
  }

  @Test
  void twoGatewaysShareALimitAndRequestIdsOverTlsAsAnAclUser() {
    String user = "user: gateway, password: gateway-secret,";
    try (TestGateway first = gateway(user, trusted());
        TestGateway second = gateway(user, trusted())) {
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        statuses.add((i % 2 == 0 ? first : second).postJson(body).statusCode());
      }

      assertThat(statuses).containsExactly(200, 200, 200, 200, 200, 429, 429, 429);
      assertThat(first.journal().total() + second.journal().total()).isEqualTo(5);
      assertThat(first.ready()).isEqualTo(200);
      assertThat(second.ready()).isEqualTo(200);
    }
  }

  @Test
  void aRepeatReachingAnotherGatewayOverTlsGetsTheFirstAnswer() {
    String user = "password: default-secret,";
    try (TestGateway first = gateway(user, trusted());
        TestGateway second = gateway(user, trusted())) {
      HttpResponse<Buffer> original = first.postJson(body, "tls-2");
      HttpResponse<Buffer> repeat = second.postJson(body, "tls-2");

      assertThat(original.statusCode()).isEqualTo(200);
      assertThat(repeat.getHeader(Deduplication.DUPLICATE_REQUEST)).isEqualTo("true");
      assertThat(repeat.bodyAsString()).isEqualTo(original.bodyAsString());
      assertThat(first.journal().total() + second.journal().total()).isEqualTo(1);
    }
  }

  @Test
  void aWrongPasswordLeavesRedisOutAndDenyAnswers503() {
    try (TestGateway gateway = gateway("user: gateway, password: not-it,", trusted())) {
      assertRedisOut(gateway);
    }
  }

  @Test
  void anUntrustedCertificateLeavesRedisOutAndDenyAnswers503() {
    // No trust store: the JVM's CAs, which never signed the test's certificate.
    try (TestGateway gateway = gateway("user: gateway, password: gateway-secret,", "")) {
      assertRedisOut(gateway);
    }
  }

  private void assertRedisOut(TestGateway gateway) {
    HttpResponse<Buffer> refused = gateway.postJson(body);
    gateway.awaitReady(503);

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.bodyAsJsonObject().getString("error_debug"))
        .isEqualTo("rate limit store unavailable for policy \"shared\"");
    assertThat(gateway.ready()).isEqualTo(503);
    assertThat(gateway.journal().total()).isZero();
  }
}
