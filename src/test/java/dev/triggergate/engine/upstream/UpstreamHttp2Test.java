package dev.triggergate.engine.upstream;

import static dev.triggergate.engine.upstream.ScriptedUpstream.answer;
import static dev.triggergate.engine.upstream.ScriptedUpstream.http;
import static dev.triggergate.engine.upstream.ScriptedUpstream.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import dev.triggergate.engine.upstream.ScriptedUpstream.Close;
import dev.triggergate.engine.upstream.ScriptedUpstream.Pause;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTP/2 on either side of the upstream engine: clients whose streams share a connection, and an
 * HTTP/2 upstream through Vert.x's client, under the same deadlines and outcomes as HTTP/1.1.
 */
class UpstreamHttp2Test {
  private static final String BATCH =
      "{\"token\":\"tok-demo-1\",\"trigger_id\":8,\"data\":[{\"email\":\"anna@example.com\"}]}";
  private static final String JSON = "200 OK\r\nContent-Type: application/json\r\n";

  @RegisterExtension static final UpstreamFixture upstreams = new UpstreamFixture();

  @Test
  void aStreamedAnswerEndingInACloseWhileTheClientIsBehindIsRelayedWhole() {
    String piece = "a".repeat(2048);
    int pieces = 20;
    List<ScriptedUpstream.Step> steps = new ArrayList<>();
    steps.add(
        send(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n"
                + "Content-Length: "
                + (pieces * piece.length() + 10)
                + "\r\n\r\n"));
    for (int i = 0; i < pieces; i++) {
      steps.add(send(piece));
      steps.add(new Pause(25));
    }
    steps.add(send("b".repeat(10)));
    steps.add(new Close());
    ScriptedUpstream upstream = scripted(List.of(List.copyOf(steps)));
    TestGateway gateway = h2cGateway(upstream.url(), "    buffer_answer_bytes: 1024\n");
    // A 1 KiB window: the client is behind from the first bytes, so the gateway must pause
    // reading, and the upstream's close comes while its end is still queued.
    HttpClient client =
        h2cClient(gateway, new Http2Settings().setInitialWindowSize(1024), new PoolOptions());
    long[] received = {0};
    Promise<Void> done = Promise.promise();

    client
        .request(HttpMethod.POST, gateway.port(), "127.0.0.1", TestGateway.PATH)
        .compose(request -> post(request))
        .onFailure(done::tryFail)
        .onSuccess(
            response -> {
              response.handler(part -> received[0] += part.length());
              response.endHandler(end -> done.tryComplete());
              response.exceptionHandler(done::tryFail);
              response.pause();
              gateway.vertx.setTimer(2_000, fired -> response.resume());
            });
    done.future().await();

    assertThat(received[0]).isEqualTo(pieces * piece.length() + 10);
    assertThat(metrics(gateway)).contains("outcome=\"answered\"} 1");
    client.close().await();
  }

  @Test
  void aLineBreakInAnHttp2HeaderValueIsRefusedBeforeItCanBecomeAHeaderLineUpstream() {
    ScriptedUpstream upstream = scripted(List.of(answer(http(JSON, StubUpstream.OK_ENVELOPE))));
    TestGateway gateway = h2cGateway(upstream.url(), "");
    HttpClient client = h2cClient(gateway, new Http2Settings(), new PoolOptions());

    // Vert.x's client lets a folded value through; HTTP/2 carries the CR LF as it is.
    int status =
        client
            .request(HttpMethod.POST, gateway.port(), "127.0.0.1", TestGateway.PATH)
            .compose(
                request ->
                    post(request.putHeader("x-note", "a\r\n X-Injected: 1"))
                        .compose(response -> response.body().map(response.statusCode())))
            .await();

    assertThat(status).isEqualTo(400);
    assertThat(upstream.received()).isEmpty();
    client.close().await();
  }

  @Test
  void aStreamedAnswerBreakingOffLeavesTheClientsOtherStreamsAlone() {
    ScriptedUpstream breaking =
        scripted(
            List.of(
                answer(
                    send(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                            + "Content-Length: 100000\r\n\r\n"
                            + "a".repeat(4096)),
                    new Pause(500),
                    new Close())));
    ScriptedUpstream late =
        scripted(List.of(answer(new Pause(1_000), http(JSON, "{\"late\":true}"))));
    TestGateway gateway =
        upstreams.keep(
            TestGateway.start(
                "h2c: true, event_loops: 1",
                "engine:\n  type: upstream\n  upstream:\n    urls: ["
                    + breaking.url()
                    + ", "
                    + late.url()
                    + "]\n    buffer_answer_bytes: 1024\n"));
    HttpClient client =
        h2cClient(gateway, new Http2Settings(), new PoolOptions().setHttp2MaxSize(1));
    Promise<Void> first = Promise.promise();
    Promise<String> second = Promise.promise();

    client
        .request(HttpMethod.POST, gateway.port(), "127.0.0.1", TestGateway.PATH)
        .compose(request -> post(request))
        .onFailure(first::tryFail)
        .onSuccess(
            response -> {
              response.handler(part -> {});
              response.exceptionHandler(first::tryFail);
              response.endHandler(end -> first.tryComplete());
              // The second stream goes on the same connection, to the other host.
              client
                  .request(HttpMethod.POST, gateway.port(), "127.0.0.1", TestGateway.PATH)
                  .compose(request -> post(request))
                  .compose(HttpClientResponse::body)
                  .map(Buffer::toString)
                  .onComplete(second);
            });

    assertThat(second.future().await()).isEqualTo("{\"late\":true}");
    Throwable broken =
        first.future().transform(done -> Future.succeededFuture(done.cause())).await();
    assertThat(broken).isNotNull();
    client.close().await();
  }

  @Test
  void anHttp2UpstreamResettingTheStreamBeforeItsHeadIs502AtOnce() {
    StubUpstream stub = upstreams.stub();
    stub.answer((request, body) -> request.response().reset());
    TestGateway gateway =
        upstreams.gateway(
            "    http2: true\n    response_timeout_ms: 30000\n    exchange_timeout_ms: 30000\n",
            stub.url());

    var answer = gateway.postJson(BATCH);

    assertThat(answer.statusCode()).isEqualTo(502);
    assertThat(metrics(gateway)).contains("outcome=\"reset_before_head\"} 1");
  }

  @Test
  void aBusyHttp2UpstreamConnectionIsAPoolWaitNotAConnectFailure() {
    StubUpstream stub =
        upstreams.keep(
            StubUpstream.start(
                upstreams.stubs(),
                new HttpServerOptions()
                    .setHost("127.0.0.1")
                    .setPort(0)
                    .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(1))));
    stub.answerLate(1_500);
    TestGateway gateway =
        upstreams.gatewayOnOneLoop(
            "    http2: true\n    pool_size: 1\n    pool_wait_timeout_ms: 300\n"
                + "    connect_timeout_ms: 200\n",
            stub.url());

    List<Integer> statuses =
        UpstreamFixture.postAtOnce(gateway, BATCH, 2).stream()
            .map(answer -> answer.statusCode())
            .toList();

    assertThat(statuses).containsExactlyInAnyOrder(200, 503);
    assertThat(metrics(gateway))
        .contains("outcome=\"pool_wait\"} 1")
        .contains("outcome=\"connect_failed\"} 0");
  }

  private ScriptedUpstream scripted(List<List<ScriptedUpstream.Step>>... perConnection) {
    return upstreams.keep(ScriptedUpstream.start(upstreams.stubs(), perConnection));
  }

  private static TestGateway h2cGateway(String url, String upstreamYaml) {
    return upstreams.keep(
        TestGateway.start(
            "h2c: true",
            "engine:\n  type: upstream\n  upstream:\n    urls: [" + url + "]\n" + upstreamYaml));
  }

  private static HttpClient h2cClient(
      TestGateway gateway, Http2Settings settings, PoolOptions pool) {
    return gateway
        .vertx
        .httpClientBuilder()
        .with(
            new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false)
                .setInitialSettings(settings))
        .with(pool)
        .build();
  }

  private static Future<HttpClientResponse> post(io.vertx.core.http.HttpClientRequest request) {
    return request
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .send(Buffer.buffer(BATCH));
  }

  private static String metrics(TestGateway gateway) {
    return gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();
  }
}
