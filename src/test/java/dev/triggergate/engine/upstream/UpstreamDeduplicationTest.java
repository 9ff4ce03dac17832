package dev.triggergate.engine.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import dev.triggergate.dedup.Deduplication;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * De-duplication in front of Altcraft: a repeated request id never reaches the upstream again once
 * its batch was launched, and does reach it, with the same id, whenever it was not.
 */
class UpstreamDeduplicationTest {
  private static final String BATCH =
      "{\"token\":\"tok-demo-1\",\"trigger_id\":8,\"data\":[{\"email\":\"anna@example.com\"}]}";

  @RegisterExtension static final UpstreamFixture upstreams = new UpstreamFixture();

  @Test
  void aRepeatGetsTheUpstreamsFirstAnswerWithoutReachingIt() {
    StubUpstream stub = upstreams.stub();
    stub.answer(
        201,
        HttpHeaders.headers()
            .add("Content-Type", "application/json; charset=utf-8")
            .add("X-Altcraft-Node", "n1")
            .add("RateLimit", "\"altcraft\";r=99;t=60"),
        StubUpstream.OK_ENVELOPE);
    TestGateway gateway = upstreams.gateway("", stub.url());

    HttpResponse<Buffer> first = post(gateway, "r-1");
    HttpResponse<Buffer> repeat = post(gateway, "r-1");

    assertThat(stub.received()).hasSize(1);
    assertThat(first.getHeader("RateLimit")).isEqualTo("\"altcraft\";r=99;t=60");
    assertThat(repeat.statusCode()).isEqualTo(201);
    assertThat(repeat.bodyAsString()).isEqualTo(StubUpstream.OK_ENVELOPE);
    assertThat(repeat.getHeader("X-Altcraft-Node")).isEqualTo("n1");
    assertThat(repeat.getHeader("Content-Type")).isEqualTo("application/json; charset=utf-8");
    // A remembered budget is stale: the repeat does not claim to know it.
    assertThat(repeat.getHeader("RateLimit")).isNull();
    assertThat(repeat.getHeader(Deduplication.DUPLICATE_REQUEST)).isEqualTo("true");
    assertThat(repeat.getHeader(Deduplication.DUPLICATE_KEY)).isEqualTo("r-1");
  }

  @Test
  void onlyTheAnswerOfALaunchedBatchIsKept() {
    StubUpstream stub = upstreams.stub();
    stub.answer(503, HttpHeaders.headers().add("Retry-After", "1"), "busy");
    TestGateway gateway = upstreams.gateway("", stub.url());

    HttpResponse<Buffer> first = post(gateway, "r-2");
    stub.answer(429, HttpHeaders.headers(), "slow down");
    HttpResponse<Buffer> second = post(gateway, "r-2");
    stub.answer(400, HttpHeaders.headers(), "bad batch");
    HttpResponse<Buffer> third = post(gateway, "r-2");
    stub.answer((request, in) -> StubUpstream.ok(request));
    HttpResponse<Buffer> fourth = post(gateway, "r-2");
    HttpResponse<Buffer> fifth = post(gateway, "r-2");

    assertThat(
            List.of(
                first.statusCode(), second.statusCode(), third.statusCode(), fourth.statusCode()))
        .containsExactly(503, 429, 400, 200);
    assertThat(stub.received()).hasSize(4);
    assertThat(stub.received())
        .allSatisfy(received -> assertThat(received.headers().get("Request-ID")).isEqualTo("r-2"));
    assertThat(fifth.getHeader(Deduplication.DUPLICATE_REQUEST)).isEqualTo("true");
  }

  @Test
  void altcraftsOwnDuplicateMarksAreNotRepeatedOnAReplay() {
    StubUpstream stub = upstreams.stub();
    stub.answer(
        200,
        HttpHeaders.headers()
            .add("Content-Type", "application/json; charset=utf-8")
            .add("Duplicate-Request", "true")
            .add("Duplicate-Key", "r-6"),
        StubUpstream.OK_ENVELOPE);
    TestGateway gateway = upstreams.gateway("", stub.url());

    post(gateway, "r-6");
    HttpResponse<Buffer> repeat = post(gateway, "r-6");

    assertThat(repeat.headers().getAll(Deduplication.DUPLICATE_REQUEST)).containsExactly("true");
    assertThat(repeat.headers().getAll(Deduplication.DUPLICATE_KEY)).containsExactly("r-6");
    assertThat(stub.received()).hasSize(1);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aRepeatArrivingWhileTheFirstIsAtTheUpstreamWaitsForItsAnswer() {
    StubUpstream stub = upstreams.stub();
    Promise<Void> arrived = Promise.promise();
    Promise<Void> release = Promise.promise();
    stub.answer(
        (request, in) -> {
          arrived.tryComplete();
          release.future().onSuccess(go -> StubUpstream.ok(request));
        });
    TestGateway gateway = upstreams.gateway("", stub.url());

    Future<HttpResponse<Buffer>> first = send(gateway, "r-3");
    arrived.future().await();
    Future<HttpResponse<Buffer>> repeat = send(gateway, "r-3");
    while (!metrics(gateway).contains("gateway_dedup_waits_total 1.0")) {
      gateway.vertx.timer(10).await();
    }
    release.complete();

    assertThat(first.await().getHeader(Deduplication.DUPLICATE_REQUEST)).isNull();
    assertThat(repeat.await().statusCode()).isEqualTo(200);
    assertThat(repeat.await().bodyAsString()).isEqualTo(StubUpstream.OK_ENVELOPE);
    assertThat(repeat.await().getHeader(Deduplication.DUPLICATE_REQUEST)).isEqualTo("true");
    assertThat(stub.received()).hasSize(1);
  }

  @Test
  void aRepeatOfAStreamedAnswerGoesToAltcraftWithTheSameId() {
    StubUpstream stub = upstreams.stub();
    stub.answer(200, HttpHeaders.headers(), "x".repeat(4096));
    TestGateway gateway = upstreams.gateway("    buffer_answer_bytes: 1024\n", stub.url());

    HttpResponse<Buffer> first = post(gateway, "r-4");
    HttpResponse<Buffer> repeat = post(gateway, "r-4");

    assertThat(first.bodyAsString()).hasSize(4096);
    assertThat(repeat.bodyAsString()).hasSize(4096);
    assertThat(repeat.getHeader(Deduplication.DUPLICATE_REQUEST)).isNull();
    assertThat(stub.received())
        .extracting(received -> received.headers().get("Request-ID"))
        .containsExactly("r-4", "r-4");
  }

  @Test
  void aTimedOutRequestMayBeRetriedWithTheSameId() {
    StubUpstream stub = upstreams.stub();
    Future<Void> late = stub.answerLate(600);
    TestGateway gateway = upstreams.gateway("    response_timeout_ms: 100\n", stub.url());

    HttpResponse<Buffer> timedOut = post(gateway, "r-5");
    late.await();
    stub.answer((request, in) -> StubUpstream.ok(request));
    HttpResponse<Buffer> retried = post(gateway, "r-5");

    assertThat(timedOut.statusCode()).isEqualTo(504);
    assertThat(retried.statusCode()).isEqualTo(200);
    assertThat(retried.getHeader(Deduplication.DUPLICATE_REQUEST)).isNull();
    // Altcraft sees the same Request-ID both times and recognises the retry itself.
    assertThat(stub.received())
        .extracting(received -> received.headers().get("Request-ID"))
        .containsExactly("r-5", "r-5");
  }

  private static HttpResponse<Buffer> post(TestGateway gateway, String requestId) {
    return send(gateway, requestId).await();
  }

  private static Future<HttpResponse<Buffer>> send(TestGateway gateway, String requestId) {
    return gateway
        .client
        .post(TestGateway.PATH)
        .putHeader("Content-Type", "application/json")
        .putHeader("Request-ID", requestId)
        .sendBuffer(Buffer.buffer(BATCH));
  }

  private static String metrics(TestGateway gateway) {
    return gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();
  }
}
