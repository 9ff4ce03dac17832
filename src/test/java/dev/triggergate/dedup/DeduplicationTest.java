package dev.triggergate.dedup;

import static dev.triggergate.http.Envelopes.errorCode;
import static dev.triggergate.http.Envelopes.errorDebug;
import static dev.triggergate.http.Envelopes.isXml;
import static dev.triggergate.http.Envelopes.profileIds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Altcraft's request de-duplication (SPEC §7) on the memory engine: a repeated request id gets the
 * first answer again and launches nothing, as the journal shows.
 */
class DeduplicationTest {
  private static final String ANNA_BATCH =
      "{\"token\":\"tok-a\",\"trigger_id\":8,\"data\":[{\"email\":\"anna@example.com\"}]}";
  private static final String BORIS_BATCH =
      "{\"token\":\"tok-a\",\"trigger_id\":8,\"data\":[{\"email\":\"boris@example.com\"}]}";
  private static final AtomicInteger IDS = new AtomicInteger();

  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    gateway = TestGateway.sample();
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  void repeatGetsTheFirstAnswerAndLaunchesNothing() {
    String id = freshId();
    long before = gateway.journal().total();

    HttpResponse<Buffer> first = post("Request-ID", id, ANNA_BATCH);
    // Altcraft answers a repeat with the first answer, whatever the repeat's body says.
    HttpResponse<Buffer> repeat = post("Request-ID", id, BORIS_BATCH);

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.getHeader(Deduplication.DUPLICATE_REQUEST)).isNull();
    assertThat(repeat.statusCode()).isEqualTo(200);
    assertThat(profileIds(repeat)).containsExactly(TestGateway.ANNA);
    assertThat(repeat.getHeader(Deduplication.DUPLICATE_REQUEST)).isEqualTo("true");
    assertThat(repeat.getHeader(Deduplication.DUPLICATE_KEY)).isEqualTo(id);
    assertThat(repeat.getHeader("X-Request-ID")).isEqualTo(id);
    assertThat(gateway.journal().total() - before).isEqualTo(1);
  }

  @Test
  void xRequestIdCountsTooAndTheRepeatIsAnsweredInTheFormatItAsks() {
    String id = freshId();
    long before = gateway.journal().total();

    HttpResponse<Buffer> first = post("X-Request-ID", id, ANNA_BATCH);
    HttpResponse<Buffer> repeat =
        gateway
            .client
            .post(TestGateway.PATH + "?format=xml")
            .putHeader("Content-Type", "application/json")
            .putHeader("Request-ID", id)
            .sendBuffer(Buffer.buffer(ANNA_BATCH))
            .await();

    assertThat(isXml(first)).isFalse();
    assertThat(isXml(repeat)).isTrue();
    assertThat(profileIds(repeat)).containsExactly(TestGateway.ANNA);
    assertThat(repeat.getHeader(Deduplication.DUPLICATE_KEY)).isEqualTo(id);
    assertThat(gateway.journal().total() - before).isEqualTo(1);
  }

  @Test
  void theSameIdUnderAnotherTokenIsAnotherRequest() {
    String id = freshId();
    long before = gateway.journal().total();

    post("Request-ID", id, ANNA_BATCH);
    HttpResponse<Buffer> other = post("Request-ID", id, ANNA_BATCH.replace("tok-a", "tok-b"));

    assertThat(other.getHeader(Deduplication.DUPLICATE_REQUEST)).isNull();
    assertThat(gateway.journal().total() - before).isEqualTo(2);
  }

  @Test
  void idsTheGatewayMadeUpAreNeverRepeats() {
    long before = gateway.journal().total();

    HttpResponse<Buffer> first = gateway.postJson(ANNA_BATCH);
    HttpResponse<Buffer> second = gateway.postJson(ANNA_BATCH);

    assertThat(first.getHeader("X-Request-ID")).isNotEqualTo(second.getHeader("X-Request-ID"));
    assertThat(second.getHeader(Deduplication.DUPLICATE_REQUEST)).isNull();
    assertThat(gateway.journal().total() - before).isEqualTo(2);
  }

  @Test
  void aRefusedRequestLeavesItsIdFree() {
    String invalid = freshId();
    String inactive = freshId();
    long before = gateway.journal().total();

    HttpResponse<Buffer> malformed = post("Request-ID", invalid, "{\"token\":\"tok-a\"");
    HttpResponse<Buffer> retried = post("Request-ID", invalid, ANNA_BATCH);
    HttpResponse<Buffer> notActive =
        post("Request-ID", inactive, ANNA_BATCH.replace("\"trigger_id\":8", "\"trigger_id\":7"));
    HttpResponse<Buffer> corrected = post("Request-ID", inactive, ANNA_BATCH);

    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(notActive.statusCode()).isEqualTo(404);
    assertThat(List.of(retried, corrected))
        .allSatisfy(
            response -> {
              assertThat(response.statusCode()).isEqualTo(200);
              assertThat(response.getHeader(Deduplication.DUPLICATE_REQUEST)).isNull();
            });
    assertThat(gateway.journal().total() - before).isEqualTo(2);
  }

  @Test
  void concurrentRepeatsLaunchOnce() {
    String id = freshId();
    long before = gateway.journal().total();
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      sent.add(request("Request-ID", id).sendBuffer(Buffer.buffer(ANNA_BATCH)));
    }

    List<HttpResponse<Buffer>> answers = Future.all(sent).await().list();

    assertThat(answers)
        .allSatisfy(
            answer -> {
              assertThat(answer.statusCode()).isEqualTo(200);
              assertThat(profileIds(answer)).containsExactly(TestGateway.ANNA);
            });
    assertThat(answers)
        .filteredOn(answer -> answer.getHeader(Deduplication.DUPLICATE_REQUEST) == null)
        .hasSize(1);
    assertThat(gateway.journal().total() - before).isEqualTo(1);
  }

  @Test
  void repeatsAreCounted() {
    String id = freshId();
    post("Request-ID", id, ANNA_BATCH);
    double before = replayed();

    post("Request-ID", id, ANNA_BATCH);
    post("Request-ID", id, ANNA_BATCH);

    assertThat(replayed() - before).isEqualTo(2.0);
  }

  @Test
  void disabledItLaunchesEveryRepeat() {
    try (TestGateway plain =
        TestGateway.start(TestGateway.SAMPLE_ENGINE + "dedup: {enabled: false}\n")) {
      String id = freshId();
      for (int i = 0; i < 2; i++) {
        HttpResponse<Buffer> answer =
            plain
                .client
                .post(TestGateway.PATH)
                .putHeader("Request-ID", id)
                .sendBuffer(Buffer.buffer(ANNA_BATCH))
                .await();
        assertThat(errorCode(answer)).isZero();
        assertThat(answer.getHeader(Deduplication.DUPLICATE_REQUEST)).isNull();
      }
      assertThat(plain.journal().total()).isEqualTo(2);
    }
  }

  @Test
  void aLaunchTooLargeToKeepStillLaunchesOnceAndItsRepeatsGet409() {
    // 1 MiB for every answer kept: one answer may take an eighth, about 1,200 profile ids.
    try (TestGateway small = TestGateway.start("dedup: {max_bytes: 1048576}\n")) {
      StringBuilder items = new StringBuilder();
      for (int i = 0; i < 2_000; i++) {
        items.append(i == 0 ? "" : ",").append("{\"email\":\"user").append(i).append("@x.org\"}");
      }
      String body = "{\"token\":\"tok-a\",\"trigger_id\":8,\"data\":[" + items + "]}";
      String id = freshId();

      HttpResponse<Buffer> first = send(small, id, body);
      HttpResponse<Buffer> repeat = send(small, id, body);

      assertThat(profileIds(first)).hasSize(2_000);
      assertThat(repeat.statusCode()).isEqualTo(409);
      assertThat(errorCode(repeat)).isEqualTo(409);
      assertThat(errorDebug(repeat))
          .isEqualTo(
              "request id "
                  + id
                  + " was answered before; that answer was too large to keep, and nothing was"
                  + " launched again");
      assertThat(repeat.getHeader(Deduplication.DUPLICATE_KEY)).isEqualTo(id);
      assertThat(small.journal().total()).isEqualTo(2_000);
    }
  }

  private static HttpResponse<Buffer> send(TestGateway target, String id, String body) {
    return target
        .client
        .post(TestGateway.PATH)
        .putHeader("Request-ID", id)
        .sendBuffer(Buffer.buffer(body))
        .await();
  }

  private static double replayed() {
    String metrics = gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();
    return metrics
        .lines()
        .filter(line -> line.startsWith("gateway_dedup_repeats_total{answer=\"replayed\"}"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElseThrow();
  }

  private static HttpResponse<Buffer> post(String header, String id, String body) {
    return request(header, id).sendBuffer(Buffer.buffer(body)).await();
  }

  private static HttpRequest<Buffer> request(String header, String id) {
    return gateway
        .client
        .post(TestGateway.PATH)
        .putHeader("Content-Type", "application/json")
        .putHeader(header, id);
  }

  private static String freshId() {
    return "dedup-test-" + IDS.incrementAndGet();
  }
}
