package dev.triggergate.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RawHttp;
import dev.triggergate.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Injected latency through the real gateway: thousands of answers wait out their delay at once on
 * two event loops (timers, no threads held), and each waits exactly the configured delay.
 */
class DelayedAnswersTest {
  private static final String BATCH =
      "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"anna@example.com\"}]}";
  private static final int CLIENTS = 2_000;

  @Test
  void twoThousandDelayedAnswersWaitAtOnceAndAllArrive() {
    Vertx clients = Vertx.vertx();
    try (TestGateway gateway =
        TestGateway.start(
            "engine:\n  memory:\n    latency: {distribution: fixed, fixed_ms: 8000}\n")) {
      WebClient client =
          WebClient.create(
              clients,
              new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(gateway.port()),
              new PoolOptions().setHttp1MaxSize(CLIENTS));
      List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        answers.add(
            client
                .post(TestGateway.PATH)
                .putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer(BATCH)));
      }
      Future<?> all = Future.all(answers);

      // Every one of them is waiting at the same moment: more than any pool of threads holds.
      boolean allWaiting = false;
      while (!allWaiting && !all.isComplete()) {
        allWaiting = metrics(gateway).contains("gateway_delayed_answers " + CLIENTS + ".0");
      }
      all.await();

      assertThat(allWaiting).isTrue();
      assertThat(answers)
          .allSatisfy(answer -> assertThat(answer.result().statusCode()).isEqualTo(200));
      String metrics = metrics(gateway);
      assertThat(metrics).contains("gateway_injected_delay_seconds_count " + CLIENTS + "\n");
      assertThat(metrics).contains("gateway_injected_delay_seconds_sum " + 8 * CLIENTS + ".0");
      assertThat(metrics).contains("gateway_delayed_answers 0.0");
      assertThat(metrics).contains("gateway_launches_total " + CLIENTS + ".0");
    } finally {
      clients.close().await();
    }
  }

  @Test
  void aClientLeavingDuringTheDelayGivesItsSlotBackAtOnce() {
    try (TestGateway gateway =
        TestGateway.start(
            "limits: {max_in_flight: 1}\n"
                + "engine:\n  memory:\n    latency: {distribution: fixed, fixed_ms: 600000}\n")) {
      try (RawHttp client = RawHttp.open(gateway.port())) {
        client.send(RawHttp.jsonPost(TestGateway.PATH, "", BATCH));
        awaitMetric(gateway, "gateway_delayed_answers 1.0");
      }
      // The wait is given up with the client, not ten minutes later.
      awaitMetric(gateway, "gateway_delayed_answers 0.0");
      try (RawHttp next = RawHttp.open(gateway.port())) {
        next.send(RawHttp.jsonPost(TestGateway.PATH, "", BATCH));
        // Let in (the one slot is free again) and waiting out its own delay, not refused.
        awaitMetric(gateway, "gateway_delayed_answers 1.0");
      }
    }
  }

  private static void awaitMetric(TestGateway gateway, String line) {
    long deadline = System.nanoTime() + RawHttp.BOUND.toNanos();
    while (!metrics(gateway).contains(line)) {
      assertThat(System.nanoTime()).as("waiting for " + line).isLessThan(deadline);
    }
  }

  private static String metrics(TestGateway gateway) {
    return gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();
  }
}
