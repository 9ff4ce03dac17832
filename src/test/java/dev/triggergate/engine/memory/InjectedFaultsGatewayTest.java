package dev.triggergate.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RawHttp;
import dev.triggergate.TestGateway;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Each injected fault as a client on a raw socket meets it: the error envelopes, a reset, a close,
 * no answer, a slow answer, a partial one; launches and the journal agree with what was answered.
 */
class InjectedFaultsGatewayTest {
  private static final String BATCH =
      "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"},"
          + "{\"email\":\"b@example.com\"},{\"email\":\"c@example.com\"},{\"email\":\"d@example.com\"}]}";

  @Test
  void anErrorFaultIsAltcraftsEnvelopeWithRetryAfterAndLaunchesNothing() {
    try (TestGateway gateway = withFault("kind: error, status: 429, retry_after_s: 7")) {
      RawHttp.Response answer = exchange(gateway, "");

      assertThat(answer.status()).isEqualTo(429);
      assertThat(answer.header("Retry-After")).isEqualTo("7");
      assertThat(new JsonObject(answer.bodyText()).getInteger("error")).isEqualTo(429);
      assertThat(metrics(gateway))
          .contains("gateway_injected_faults_total{kind=\"error\"} 1.0")
          .contains("gateway_launches_total 0.0");
    }
    try (TestGateway gateway = withFault("kind: error, status: 500")) {
      RawHttp.Response answer = exchange(gateway, "");

      assertThat(answer.status()).isEqualTo(500);
      assertThat(answer.header("Retry-After")).isNull();
      assertThat(new JsonObject(answer.bodyText()).getInteger("error")).isEqualTo(500);
    }
  }

  @Test
  void aResetFaultResetsTheConnectionAfterLaunchingAndARetryGetsTheAnswer() {
    try (TestGateway gateway = withFault("kind: reset, trigger_id: 8")) {
      try (RawHttp client = RawHttp.open(gateway.port())) {
        RawHttp.Exchange got =
            client
                .send(RawHttp.jsonPost(TestGateway.PATH, "Request-ID: retry-1\r\n", BATCH))
                .readUntilClosed();

        assertThat(got.responses()).isEmpty();
        assertThat(got.reset()).isTrue();
      }
      // Launched all the same: the retry with the same id is Altcraft's earlier answer again.
      RawHttp.Response retry = exchange(gateway, "Request-ID: retry-1\r\n");

      assertThat(retry.status()).isEqualTo(200);
      assertThat(retry.header("Duplicate-Request")).isEqualTo("true");
      assertThat(new JsonObject(retry.bodyText()).getJsonArray("result")).hasSize(4);
      assertThat(metrics(gateway)).contains("gateway_launches_total 4.0");
    }
  }

  @Test
  void aCloseFaultClosesWithoutAnAnswer() {
    try (TestGateway gateway = withFault("kind: close");
        RawHttp client = RawHttp.open(gateway.port())) {
      RawHttp.Exchange got =
          client.send(RawHttp.jsonPost(TestGateway.PATH, "", BATCH)).readUntilClosed();

      assertThat(got.raw()).isEmpty();
      assertThat(got.closedByServer()).isTrue();
      assertThat(got.reset()).isFalse();
    }
  }

  @Test
  void aHangFaultAnswersNothingAndHoldsTheConnectionUntilTheClientLeaves() {
    try (TestGateway gateway = withFault("kind: hang")) {
      try (RawHttp client = RawHttp.open(gateway.port())) {
        RawHttp.Exchange got =
            client
                .send(RawHttp.jsonPost(TestGateway.PATH, "", BATCH))
                .readUntilClosed(Duration.ofSeconds(1), Duration.ofSeconds(1));

        assertThat(got.raw()).isEmpty();
        assertThat(got.closedByServer()).isFalse();
      }
      // Once the client has left, its connection is let go; the one left is this test's own.
      long deadline = System.nanoTime() + RawHttp.BOUND.toNanos();
      while (!metrics(gateway).contains("gateway_client_connections 1.0")) {
        assertThat(System.nanoTime()).as("the held connection let go").isLessThan(deadline);
      }
    }
  }

  @Test
  void aSlowFaultDribblesTheWholeAnswerOutInParts() {
    try (TestGateway gateway = withFault("kind: slow, slow_ms: 1000")) {
      NetSocket socket =
          gateway.vertx.createNetClient().connect(gateway.port(), "127.0.0.1").await();
      Buffer received = Buffer.buffer();
      int[] reads = {0};
      Promise<Void> whole = Promise.promise();
      socket.handler(
          part -> {
            reads[0]++;
            received.appendBuffer(part);
            if (received.toString().endsWith("]}")) {
              whole.tryComplete();
            }
          });
      socket.write(RawHttp.jsonPost(TestGateway.PATH, "", BATCH));
      whole.future().await();
      socket.close();

      String text = received.toString();
      String body = text.substring(text.indexOf("\r\n\r\n") + 4);
      assertThat(text).startsWith("HTTP/1.1 200");
      assertThat(new JsonObject(body).getJsonArray("result")).hasSize(4);
      // Twenty parts, 50 ms apart: they arrive as reads of their own, not as one.
      assertThat(reads[0]).isGreaterThan(10);
    }
  }

  @Test
  void aPartialFaultLaunchesAndAnswersOnlyItsShare() {
    try (TestGateway gateway = withFault("kind: partial, keep_share: 0.5")) {
      RawHttp.Response answer = exchange(gateway, "");

      assertThat(answer.status()).isEqualTo(200);
      assertThat(new JsonObject(answer.bodyText()).getJsonArray("result")).hasSize(2);
      assertThat(metrics(gateway)).contains("gateway_launches_total 2.0");
    }
  }

  @Test
  void aPartialShareIsCountedExactly() {
    StringBuilder items = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      items.append(i == 0 ? "" : ",").append("{\"email\":\"p").append(i).append("@example.com\"}");
    }
    try (TestGateway gateway = withFault("kind: partial, keep_share: 0.29")) {
      io.vertx.core.json.JsonArray result =
          gateway
              .postJson("{\"token\":\"t\",\"trigger_id\":8,\"data\":[" + items + "]}")
              .bodyAsJsonObject()
              .getJsonArray("result");

      assertThat(result).hasSize(29);
    }
  }

  @Test
  void aFaultScopedToAnotherTriggerOrTokenLeavesThisBatchAlone() {
    try (TestGateway gateway =
        TestGateway.start(
            "engine:\n  memory:\n    faults:\n      rules:\n"
                + "        - {kind: close, probability: 1, trigger_id: 9}\n"
                + "        - {kind: close, probability: 1, token: other}\n")) {
      assertThat(exchange(gateway, "").status()).isEqualTo(200);
    }
  }

  private static TestGateway withFault(String rule) {
    return TestGateway.start(
        "engine:\n  memory:\n    faults:\n      rules:\n        - {probability: 1, "
            + rule
            + "}\n");
  }

  private static RawHttp.Response exchange(TestGateway gateway, String headers) {
    try (RawHttp client = RawHttp.open(gateway.port())) {
      return client
          .send(RawHttp.jsonPost(TestGateway.PATH, headers, BATCH))
          .readResponses(1, RawHttp.BOUND)
          .first();
    }
  }

  private static String metrics(TestGateway gateway) {
    return gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();
  }
}
