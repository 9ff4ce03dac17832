package dev.triggergate.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import dev.triggergate.http.Envelopes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rate policies of every key and unit, through the real pipeline, on the local backend. */
class RateLimitTest {
  private static String batch(String token, int trigger, int items) {
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < items; i++) {
      data.append(i == 0 ? "" : ",").append("{\"email\":\"u").append(i).append("@example.com\"}");
    }
    return "{\"token\":\"" + token + "\",\"trigger_id\":" + trigger + ",\"data\":[" + data + "]}";
  }

  private static TestGateway gateway(String policies) {
    return TestGateway.start("rate_limits:\n  policies:\n" + policies);
  }

  @Test
  void tokenPolicyCountsEachTokenApartAndRefusesWithHeaders() {
    try (TestGateway gateway =
        gateway("    - {name: per-token, key: token, limit: 2, period_ms: 60000}\n")) {
      HttpResponse<Buffer> first = gateway.postJson(batch("tok-a", 8, 1));
      HttpResponse<Buffer> second = gateway.postJson(batch("tok-a", 8, 1));
      HttpResponse<Buffer> refused = gateway.postJson(batch("tok-a", 8, 1));
      HttpResponse<Buffer> otherToken = gateway.postJson(batch("tok-b", 8, 1));

      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.getHeader("RateLimit")).matches("\"per-token\";r=1;t=\\d+");
      assertThat(second.getHeader("RateLimit")).matches("\"per-token\";r=0;t=\\d+");
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.bodyAsJsonObject().getMap())
          .containsEntry("error", 429)
          .containsEntry("error_text", "Too many requests")
          .containsEntry("error_debug", "rate limit \"per-token\" exceeded");
      assertThat(refused.getHeader("RateLimit-Policy")).isEqualTo("\"per-token\";q=2;w=60");
      assertThat(refused.getHeader("RateLimit")).matches("\"per-token\";r=0;t=\\d+");
      assertThat(Long.parseLong(refused.getHeader("Retry-After"))).isBetween(1L, 60L);
      assertThat(otherToken.statusCode()).isEqualTo(200);
      assertThat(gateway.journal().total()).isEqualTo(3);
    }
  }

  /** Policies apply in the order configured: one that refuses spares those after it. */
  @Test
  void triggerAndTokenTriggerPoliciesKeyByWhatTheySay() {
    try (TestGateway gateway =
        gateway(
            "    - {name: per-pair, key: token_trigger, limit: 1, period_ms: 60000}\n"
                + "    - {name: per-trigger, key: trigger, limit: 2, period_ms: 60000}\n")) {
      assertThat(gateway.postJson(batch("a", 8, 1)).statusCode()).isEqualTo(200);
      HttpResponse<Buffer> samePair = gateway.postJson(batch("a", 8, 1));
      assertThat(gateway.postJson(batch("b", 8, 1)).statusCode()).isEqualTo(200);
      HttpResponse<Buffer> triggerSpent = gateway.postJson(batch("c", 8, 1));
      assertThat(gateway.postJson(batch("a", 96, 1)).statusCode()).isEqualTo(200);

      assertThat(samePair.statusCode()).isEqualTo(429);
      assertThat(samePair.bodyAsJsonObject().getString("error_debug")).contains("\"per-pair\"");
      assertThat(triggerSpent.statusCode()).isEqualTo(429);
      assertThat(triggerSpent.bodyAsJsonObject().getString("error_debug"))
          .contains("\"per-trigger\"");
    }
  }

  @Test
  void clientIpAndGlobalPoliciesRefuseBeforeTheBodyIsRead() {
    try (TestGateway gateway =
        gateway("    - {name: per-client, key: client_ip, limit: 1, period_ms: 60000}\n")) {
      assertThat(gateway.postJson(batch("a", 8, 1)).statusCode()).isEqualTo(200);

      // A malformed body would be a 400 if it were read: the 429 proves it was not.
      HttpResponse<Buffer> refused = gateway.postJson("{not json");

      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.getHeader("RateLimit-Policy")).isEqualTo("\"per-client\";q=1;w=60");
    }
    try (TestGateway gateway =
        gateway("    - {name: everything, key: global, limit: 1, period_ms: 60000}\n")) {
      assertThat(gateway.postJson(batch("a", 8, 1)).statusCode()).isEqualTo(200);
      assertThat(gateway.postJson("{not json").statusCode()).isEqualTo(429);
    }
  }

  @Test
  void profilesPolicySpendsOnePermitPerItemAndRefusesTheImpossibleBatch() {
    try (TestGateway gateway =
        gateway(
            "    - {name: profiles, key: token, unit: profiles, limit: 5, period_ms: 60000}\n")) {
      HttpResponse<Buffer> three = gateway.postJson(batch("t", 8, 3));
      HttpResponse<Buffer> threeMore = gateway.postJson(batch("t", 8, 3));
      HttpResponse<Buffer> two = gateway.postJson(batch("t", 8, 2));
      HttpResponse<Buffer> impossible = gateway.postJson(batch("other", 8, 6));

      assertThat(three.statusCode()).isEqualTo(200);
      assertThat(threeMore.statusCode()).isEqualTo(429);
      assertThat(two.statusCode()).isEqualTo(200);
      assertThat(impossible.statusCode()).isEqualTo(429);
      assertThat(impossible.bodyAsJsonObject().getString("error_debug"))
          .isEqualTo(
              "batch of 6 profiles exceeds rate limit \"profiles\" of 5 per 60 s: it can never"
                  + " pass; split it");
      assertThat(gateway.journal().total()).isEqualTo(5);
    }
  }

  @Test
  void maxWaitQueuesOnATimerInsteadOfRefusing() {
    String policy = "{name: paced, key: global, limit: 1, period_ms: 300%s}\n";
    try (TestGateway refusing = gateway("    - " + policy.formatted(""));
        TestGateway waiting = gateway("    - " + policy.formatted(", max_wait_ms: 5000"))) {
      List<Integer> refusingStatuses = new ArrayList<>();
      List<Integer> waitingStatuses = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        refusingStatuses.add(refusing.postJson(batch("t", 8, 1)).statusCode());
        waitingStatuses.add(waiting.postJson(batch("t", 8, 1)).statusCode());
      }

      assertThat(refusingStatuses).contains(429);
      assertThat(waitingStatuses).containsOnly(200);
      assertThat(waiting.journal().total()).isEqualTo(3);
    }
  }

  @Test
  void refusalIsXmlWhenXmlIsAsked() {
    try (TestGateway gateway =
        gateway("    - {name: one, key: global, limit: 1, period_ms: 60000}\n")) {
      gateway.postJson(batch("t", 8, 1));

      HttpResponse<Buffer> refused =
          gateway.post(
              TestGateway.PATH + "?format=xml",
              "application/json",
              Buffer.buffer(batch("t", 8, 1)));

      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.getHeader("Content-Type")).startsWith("application/xml");
      assertThat(Envelopes.errorCode(refused)).isEqualTo(429);
      assertThat(Envelopes.errorDebug(refused)).isEqualTo("rate limit \"one\" exceeded");
      assertThat(refused.getHeader("Retry-After")).isNotNull();
    }
  }

  @Test
  void always200AnswersRefusalsWith200AndTheEnvelope() {
    try (TestGateway gateway =
        TestGateway.start(
            "errors: {http_status: always_200}\n"
                + "rate_limits:\n  policies:\n"
                + "    - {name: one, key: global, limit: 1, period_ms: 60000}\n")) {
      gateway.postJson(batch("t", 8, 1));

      HttpResponse<Buffer> refused = gateway.postJson(batch("t", 8, 1));

      assertThat(refused.statusCode()).isEqualTo(200);
      assertThat(refused.bodyAsJsonObject().getInteger("error")).isEqualTo(429);
      assertThat(refused.getHeader("Retry-After")).isNotNull();
    }
  }

  @Test
  void exactlyTheLimitPassesUnderConcurrency() {
    try (TestGateway gateway =
        gateway("    - {name: exact, key: token, limit: 37, period_ms: 600000}\n")) {
      assertThat(Concurrently.countAccepted(gateway, List.of(gateway), 300, batch("t", 8, 1)))
          .isEqualTo(37);
      assertThat(gateway.journal().total()).isEqualTo(37);
      assertThat(gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString())
          .contains("gateway_ratelimit_refusals_total{policy=\"exact\"} 263.0");
    }
  }

  /** Fires requests at once from many connections and counts the 200s. */
  static final class Concurrently {
    private Concurrently() {}

    static int countAccepted(
        TestGateway client, List<TestGateway> targets, int requests, String body) {
      List<Future<Integer>> statuses = new ArrayList<>();
      for (int i = 0; i < requests; i++) {
        TestGateway target = targets.get(i % targets.size());
        statuses.add(
            client
                .client
                .post(target.port(), "127.0.0.1", TestGateway.PATH)
                .putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer(body))
                .map(HttpResponse::statusCode));
      }
      Future.all(statuses).await();
      int accepted = 0;
      for (Future<Integer> status : statuses) {
        assertThat(status.result()).isIn(200, 429);
        accepted += status.result() == 200 ? 1 : 0;
      }
      return accepted;
    }
  }
}
