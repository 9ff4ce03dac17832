package dev.triggergate.engine.upstream;

import static dev.triggergate.http.Envelopes.errorCode;
import static dev.triggergate.http.Envelopes.errorDebug;
import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import dev.triggergate.engine.upstream.StubUpstream.Received;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The upstream engine against real stub servers: what reaches Altcraft, what comes back, and how
 * each way an upstream fails is answered, without ever sending a batch twice.
 */
class UpstreamEngineTest {
  private static final String BATCH =
      "{\"token\":\"tok-demo-1\",\"trigger_id\":8,\"data\":[{\"email\":\"anna@example.com\"}]}";

  @RegisterExtension static final UpstreamFixture upstreams = new UpstreamFixture();

  @Test
  void forwardsTheClientsBytesAndEndToEndHeadersOnly() {
    StubUpstream stub = upstreams.stub();
    TestGateway gateway = upstreams.gateway("", stub.url() + "/altcraft/");
    String uri = TestGateway.PATH + "?format=json&campaign=spring%20sale";
    Buffer body =
        Buffer.buffer(
            " {\"token\": \"tok-demo-1\", \"trigger_id\": 8,\n \"data\":"
                + " [{\"email\": \"anna@example.com\"}], \"unknown_field\": [1, 2]}");
    String request =
        "POST "
            + uri
            + " HTTP/1.1\r\n"
            + "Host: gw.example:8443\r\n"
            + "Content-Type: application/json\r\n"
            + "Content-Length: "
            + body.length()
            + "\r\n"
            + "Authorization: Bearer tok-demo-1\r\n"
            + "Request-ID: req-42\r\n"
            + "User-Agent: client/1.0\r\n"
            + "X-Forwarded-For: 203.0.113.7\r\n"
            + "X-Custom: kept\r\n"
            + "Connection: keep-alive, X-Hop\r\n"
            + "X-Hop: secret\r\n"
            + "Keep-Alive: timeout=5\r\n"
            + "TE: trailers\r\n"
            + "Proxy-Authorization: Basic c2VjcmV0\r\n"
            + "\r\n";

    String answer =
        rawExchange(gateway, Buffer.buffer(request).appendBuffer(body), StubUpstream.OK_ENVELOPE);

    assertThat(answer).startsWith("HTTP/1.1 200 OK").contains("X-Request-ID: req-42");
    assertThat(answer).endsWith(StubUpstream.OK_ENVELOPE);
    assertThat(stub.received()).hasSize(1);
    Received received = stub.received().get(0);
    assertThat(received.method()).isEqualTo("POST");
    assertThat(received.uri()).isEqualTo("/altcraft" + uri);
    assertThat(received.body().getBytes()).isEqualTo(body.getBytes());
    MultiMap headers = received.headers();
    assertThat(headers.get("Content-Type")).isEqualTo("application/json");
    assertThat(headers.get("Content-Length")).isEqualTo(Integer.toString(body.length()));
    assertThat(headers.get("Authorization")).isEqualTo("Bearer tok-demo-1");
    assertThat(headers.get("Request-ID")).isEqualTo("req-42");
    assertThat(headers.get("User-Agent")).isEqualTo("client/1.0");
    assertThat(headers.get("X-Custom")).isEqualTo("kept");
    assertThat(headers.get("Host")).isEqualTo("127.0.0.1:" + stub.port());
    assertThat(headers.get("X-Forwarded-For")).isEqualTo("203.0.113.7, 127.0.0.1");
    assertThat(headers.get("X-Forwarded-Proto")).isEqualTo("http");
    assertThat(headers.get("X-Forwarded-Host")).isEqualTo("gw.example:8443");
    assertThat(headers.names())
        .map(String::toLowerCase)
        .doesNotContain(
            "x-hop", "keep-alive", "te", "proxy-authorization", "x-request-id", "expect");
    assertThat(headers.getAll("Connection")).noneMatch(value -> value.contains("X-Hop"));
  }

  @Test
  void forwardsXmlAsReceivedWithTheGatewaysRequestId() {
    StubUpstream stub = upstreams.stub();
    TestGateway gateway = upstreams.gateway("", stub.url());
    Buffer xml = TestGateway.read("examples/requests/email.xml");

    HttpResponse<Buffer> response = gateway.post("application/xml; charset=utf-8", xml);

    assertThat(response.statusCode()).isEqualTo(200);
    Received received = stub.received().get(0);
    assertThat(received.body().getBytes()).isEqualTo(xml.getBytes());
    assertThat(received.headers().get("Content-Type")).isEqualTo("application/xml; charset=utf-8");
    assertThat(received.headers().get("X-Request-ID"))
        .hasSize(32)
        .isEqualTo(response.getHeader("X-Request-ID"));
  }

  @ParameterizedTest
  @ValueSource(ints = {200, 400, 403, 404, 429, 500, 503})
  void relaysTheUpstreamsStatusHeadersAndBody(int status) {
    StubUpstream stub = upstreams.stub();
    String envelope =
        "{\"error\":" + status + ",\"error_text\":\"from upstream\",\"error_debug\":\"x\"}";
    stub.answer(
        status,
        HttpHeaders.headers()
            .add("Content-Type", "application/json; charset=utf-8")
            .add("X-Altcraft-Node", "node-1")
            .add("Set-Cookie", "a=1")
            .add("Set-Cookie", "b=2")
            .add("Connection", "X-Upstream-Hop")
            .add("X-Upstream-Hop", "1")
            .add("Keep-Alive", "timeout=3"),
        envelope);
    TestGateway gateway = upstreams.gateway("", stub.url());

    HttpResponse<Buffer> response = gateway.postJson(BATCH);

    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.bodyAsString()).isEqualTo(envelope);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/json; charset=utf-8");
    assertThat(response.getHeader("X-Altcraft-Node")).isEqualTo("node-1");
    assertThat(response.headers().getAll("Set-Cookie")).containsExactly("a=1", "b=2");
    assertThat(response.headers().names())
        .map(String::toLowerCase)
        .doesNotContain("x-upstream-hop", "keep-alive");
    assertThat(stub.received()).hasSize(1);
  }

  @Test
  void upstreamRateLimitFieldsStandBesideTheGatewaysOwn() {
    StubUpstream stub = upstreams.stub();
    stub.answer(
        200,
        HttpHeaders.headers()
            .add("RateLimit", "\"altcraft\";r=0;t=30")
            .add("RateLimit-Policy", "\"altcraft\";q=100;w=60"),
        StubUpstream.OK_ENVELOPE);
    TestGateway gateway =
        upstreams.gateway(
            "rate_limits:\n  policies:\n"
                + "    - {name: per-token, key: token, limit: 1000, period_ms: 60000}\n",
            stub.url());

    HttpResponse<Buffer> response = gateway.postJson(BATCH);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("RateLimit"))
        .isEqualTo("\"per-token\";r=999;t=60, \"altcraft\";r=0;t=30");
    assertThat(response.getHeader("RateLimit-Policy")).isEqualTo("\"altcraft\";q=100;w=60");
  }

  @Test
  void streamsAnAnswerLargerThanTheBuffer() {
    StubUpstream stub = upstreams.stub();
    byte[] big = new byte[1 << 20];
    Arrays.fill(big, (byte) 'x');
    stub.answer(
        (request, in) -> {
          request.response().setChunked(true);
          for (int offset = 0; offset < big.length; offset += 64 << 10) {
            request
                .response()
                .write(Buffer.buffer(Arrays.copyOfRange(big, offset, offset + (64 << 10))));
          }
          request.response().end();
        });
    TestGateway gateway = upstreams.gateway("    buffer_answer_bytes: 1024\n", stub.url());

    HttpResponse<Buffer> response = gateway.postJson(BATCH);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body().getBytes()).isEqualTo(big);
  }

  @Test
  void aBreakOffWhileStreamingClosesTheClientsConnectionInsteadOfEndingTheAnswer() {
    StubUpstream stub = upstreams.stub();
    stub.answer(
        (request, in) ->
            request
                .response()
                .setChunked(true)
                .write(Buffer.buffer(new byte[64 << 10]))
                .onComplete(written -> request.connection().close()));
    TestGateway gateway = upstreams.gateway("    buffer_answer_bytes: 1024\n", stub.url());

    Future<HttpResponse<Buffer>> response =
        gateway
            .client
            .post(TestGateway.PATH)
            .putHeader("Content-Type", "application/json")
            .sendBuffer(Buffer.buffer(BATCH));

    Throwable failure = response.transform(done -> Future.succeededFuture(done.cause())).await();
    assertThat(failure).isInstanceOf(HttpClosedException.class);
    assertThat(stub.received()).hasSize(1);
    assertThat(status(gateway, "/health")).isEqualTo(200);
  }

  @Test
  void unreachableUpstreamIs502InTheRequestedFormat() {
    TestGateway gateway = upstreams.gateway("", "http://127.0.0.1:" + StubUpstream.deadPort());

    HttpResponse<Buffer> json = gateway.postJson(BATCH);
    HttpResponse<Buffer> xml =
        gateway.post(TestGateway.PATH + "?format=xml", "application/json", Buffer.buffer(BATCH));

    assertThat(json.statusCode()).isEqualTo(502);
    assertThat(errorCode(json)).isEqualTo(502);
    assertThat(errorDebug(json)).isEqualTo("the upstream could not be reached");
    assertThat(xml.statusCode()).isEqualTo(502);
    assertThat(xml.getHeader("Content-Type")).startsWith("application/xml");
    assertThat(errorCode(xml)).isEqualTo(502);
  }

  @Test
  void slowUpstreamIs504AndItsLateAnswerNeverCausesASecondSend() {
    StubUpstream stub = upstreams.stub();
    Future<Void> lateAnswer = stub.answerLate(1_000);
    TestGateway gateway = upstreams.gateway("    response_timeout_ms: 200\n", stub.url());

    HttpResponse<Buffer> response = gateway.postJson(BATCH);

    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(errorDebug(response)).isEqualTo("the upstream did not answer within 200 ms");
    lateAnswer.await();
    assertThat(stub.received()).hasSize(1);
    assertThat(gateway.postJson(BATCH).statusCode()).isEqualTo(504);
    assertThat(stub.received()).hasSize(2);
  }

  @Test
  void upstreamBreakingOffMidAnswerIs502AndIsNotRetried() {
    StubUpstream breaking = upstreams.stub();
    breaking.answer(
        (request, in) ->
            request
                .response()
                .putHeader("Content-Length", "1000")
                .write("{\"error\":0,")
                .onComplete(written -> request.connection().close()));
    StubUpstream healthy = upstreams.stub();
    TestGateway gateway = upstreams.gateway("", breaking.url(), healthy.url());

    HttpResponse<Buffer> response = gateway.postJson(BATCH);

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(errorDebug(response))
        .isEqualTo("the upstream closed the connection before its answer was complete");
    assertThat(breaking.received()).hasSize(1);
    assertThat(healthy.received()).isEmpty();
  }

  @Test
  void upstreamClosingBeforeAnsweringIs502() {
    StubUpstream stub = upstreams.stub();
    stub.answer((request, in) -> request.connection().close());
    TestGateway gateway = upstreams.gateway("", stub.url());

    HttpResponse<Buffer> response = gateway.postJson(BATCH);

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(errorDebug(response))
        .isEqualTo("the upstream closed the connection before its answer was complete");
    assertThat(stub.received()).hasSize(1);
  }

  @Test
  void anAnswerThatIsNotHttpIs502() {
    StubUpstream garbage =
        upstreams.keep(StubUpstream.raw(upstreams.stubs(), "SSH-2.0-OpenSSH_9.2\r\n\r\n"));
    TestGateway gateway = upstreams.gateway("", garbage.url());

    HttpResponse<Buffer> response = gateway.postJson(BATCH);

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(errorDebug(response))
        .isEqualTo("the upstream answered with something that is not HTTP");
    assertThat(gateway.request(HttpMethod.GET, "/health").send().await().statusCode())
        .isEqualTo(200);
  }

  @Test
  void breakerOpensAfterRepeatedFailuresAndClosesAfterRecovery() {
    StubUpstream stub = upstreams.stub();
    stub.answer(503, HttpHeaders.headers(), "{\"error\":503}");
    TestGateway gateway =
        upstreams.gateway(
            "    breaker: {window: 4, min_calls: 4, failure_rate_percent: 50, open_ms: 300,"
                + " half_open_calls: 1}\n",
            stub.url());

    for (int i = 0; i < 4; i++) {
      assertThat(gateway.postJson(BATCH).statusCode()).isEqualTo(503);
    }
    HttpResponse<Buffer> refused = gateway.postJson(BATCH);

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.getHeader("Retry-After")).isEqualTo("1");
    assertThat(errorDebug(refused)).startsWith("no upstream host is taking requests");
    assertThat(stub.received()).hasSize(4);
    assertThat(status(gateway, "/ready")).isEqualTo(503);

    stub.answer(200, HttpHeaders.headers(), StubUpstream.OK_ENVELOPE);
    gateway.vertx.timer(400).await();

    assertThat(status(gateway, "/ready")).isEqualTo(200);
    for (int i = 0; i < 5; i++) {
      assertThat(gateway.postJson(BATCH).statusCode()).isEqualTo(200);
    }
    assertThat(stub.received()).hasSize(9);
    assertThat(metrics(gateway))
        .contains("gateway_upstream_usable{host=\"" + stub.url() + "\"} 1.0");
  }

  @Test
  void withOneOfTwoHostsDownEveryRequestSucceedsAndTheDeadOneIsRetriedLater() {
    StubUpstream live = upstreams.stub();
    int deadPort = StubUpstream.deadPort();
    TestGateway gateway =
        upstreams.gateway(
            "    breaker: {connect_failures: 2, open_ms: 300}\n",
            live.url(),
            "http://127.0.0.1:" + deadPort);

    for (int i = 0; i < 12; i++) {
      assertThat(gateway.postJson(BATCH).statusCode()).isEqualTo(200);
    }
    assertThat(live.received()).hasSize(12);
    String metrics = metrics(gateway);
    assertThat(metrics)
        .contains(
            "gateway_upstream_requests_seconds_count{host=\"http://127.0.0.1:"
                + deadPort
                + "\",outcome=\"connect_refused\"} 2")
        .contains("gateway_upstream_usable{host=\"http://127.0.0.1:" + deadPort + "\"} 0.0");

    StubUpstream revived =
        upstreams.keep(
            StubUpstream.start(
                upstreams.stubs(), new HttpServerOptions().setHost("127.0.0.1").setPort(deadPort)));
    gateway.vertx.timer(400).await();
    for (int i = 0; i < 6; i++) {
      assertThat(gateway.postJson(BATCH).statusCode()).isEqualTo(200);
    }

    assertThat(revived.received()).isNotEmpty();
    assertThat(live.received().size() + revived.received().size()).isEqualTo(18);
  }

  @Test
  void notReadyAndRefusingWithRetryAfterWhileNoHostIsUsable() {
    TestGateway gateway =
        upstreams.gateway(
            "    breaker: {connect_failures: 1, open_ms: 60000}\n",
            "http://127.0.0.1:" + StubUpstream.deadPort());
    assertThat(status(gateway, "/ready")).isEqualTo(200);

    assertThat(gateway.postJson(BATCH).statusCode()).isEqualTo(502);
    HttpResponse<Buffer> refused = gateway.postJson(BATCH);

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(Integer.parseInt(refused.getHeader("Retry-After"))).isBetween(58, 60);
    assertThat(status(gateway, "/ready")).isEqualTo(503);
  }

  @Test
  void httpsUpstreamIsTrustedThroughTheConfiguredTrustStoreOnly() {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    StubUpstream stub =
        upstreams.keep(
            StubUpstream.start(
                upstreams.stubs(),
                new HttpServerOptions()
                    .setHost("localhost")
                    .setPort(0)
                    .setSsl(true)
                    .setKeyCertOptions(certificate.keyCertOptions())));
    String url = "https://localhost:" + stub.port();

    // The first handshake builds the TLS context: give it time on a busy machine.
    TestGateway trusting =
        upstreams.gateway(
            "    connect_timeout_ms: 15000\n    exchange_timeout_ms: 40000\n    trust_store: "
                + certificate.certificatePath()
                + "\n",
            url);
    TestGateway distrusting =
        upstreams.gateway("    connect_timeout_ms: 15000\n    exchange_timeout_ms: 40000\n", url);

    assertThat(trusting.postJson(BATCH).statusCode()).isEqualTo(200);
    assertThat(distrusting.postJson(BATCH).statusCode()).isEqualTo(502);
    assertThat(stub.received()).hasSize(1);
  }

  @Test
  void http2UpstreamGetsTheBatchOverHttp2() {
    StubUpstream stub = upstreams.stub();
    TestGateway gateway = upstreams.gateway("    http2: true\n", stub.url());

    for (int i = 0; i < 3; i++) {
      assertThat(gateway.postJson(BATCH).statusCode()).isEqualTo(200);
    }

    assertThat(stub.received()).extracting(Received::version).containsOnly(HttpVersion.HTTP_2);
  }

  @Test
  void keepAliveConnectionsCarryOneBatchAfterAnother() {
    StubUpstream stub = upstreams.stub();
    TestGateway gateway = upstreams.gateway("", stub.url());

    for (int i = 0; i < 5; i++) {
      assertThat(gateway.postJson(BATCH).statusCode()).isEqualTo(200);
    }

    assertThat(stub.received()).hasSize(5);
    assertThat(stub.received())
        .extracting(Received::connection)
        .containsOnly(stub.received().get(0).connection());
  }

  @Test
  void aConnectionTheUpstreamMeansToCloseIsNeverUsedAgain() {
    StubUpstream stub = upstreams.stub();
    stub.answer(
        (request, body) ->
            request.response().putHeader("Connection", "close").end(StubUpstream.OK_ENVELOPE));
    TestGateway gateway = upstreams.gateway("", stub.url());

    for (int i = 0; i < 3; i++) {
      HttpResponse<Buffer> response = gateway.postJson(BATCH);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.bodyAsString()).isEqualTo(StubUpstream.OK_ENVELOPE);
    }

    assertThat(stub.received()).extracting(Received::connection).doesNotHaveDuplicates();
  }

  @Test
  void aChunkedAnswerIsRelayedWhole() {
    StubUpstream stub = upstreams.stub();
    stub.answer(
        (request, body) -> {
          request.response().setChunked(true).write("{\"error\":0,");
          request.response().end("\"error_text\":\"Successful operation\",\"result\":[]}");
        });
    TestGateway gateway = upstreams.gateway("", stub.url());

    HttpResponse<Buffer> response = gateway.postJson(BATCH);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsString())
        .isEqualTo("{\"error\":0,\"error_text\":\"Successful operation\",\"result\":[]}");
    assertThat(response.getHeader("Transfer-Encoding")).isNull();
  }

  @Test
  void whenEveryPooledConnectionStaysBusyARequestGets503AndTheHostStaysInRotation() {
    StubUpstream stub = upstreams.stub();
    stub.answerLate(800);
    TestGateway gateway =
        upstreams.gateway("    pool_size: 1\n    pool_wait_timeout_ms: 100\n", stub.url());

    // Three connections on two event loops: two share a loop, and with it its one connection.
    List<HttpResponse<Buffer>> responses =
        Future.all(
                List.of(
                    gateway.client.post(TestGateway.PATH).sendBuffer(Buffer.buffer(BATCH)),
                    gateway.client.post(TestGateway.PATH).sendBuffer(Buffer.buffer(BATCH)),
                    gateway.client.post(TestGateway.PATH).sendBuffer(Buffer.buffer(BATCH))))
            .await()
            .list();

    List<HttpResponse<Buffer>> busy =
        responses.stream().filter(response -> response.statusCode() == 503).toList();
    long answered = responses.stream().filter(response -> response.statusCode() == 200).count();
    assertThat(busy).isNotEmpty();
    assertThat(answered + busy.size()).isEqualTo(3);
    assertThat(stub.received()).hasSize((int) answered);
    for (HttpResponse<Buffer> response : busy) {
      assertThat(response.getHeader("Retry-After")).isEqualTo("1");
      assertThat(errorDebug(response))
          .isEqualTo("every connection to the upstream stayed busy for 100 ms");
    }
    assertThat(metrics(gateway)).contains("outcome=\"pool_wait\"");
    assertThat(status(gateway, "/ready")).isEqualTo(200);
  }

  @Test
  void aConnectionRestingLongerThanTheIdleTimeoutIsClosed() {
    StubUpstream stub = upstreams.stub();
    TestGateway gateway = upstreams.gateway("    pool_idle_timeout_ms: 200\n", stub.url());
    Future<Void> closed = stub.nextConnectionClose();

    assertThat(gateway.postJson(BATCH).statusCode()).isEqualTo(200);
    closed.timeout(5, TimeUnit.SECONDS).await();
    assertThat(gateway.postJson(BATCH).statusCode()).isEqualTo(200);

    assertThat(stub.closedConnections()).isEqualTo(1);
    assertThat(stub.received()).extracting(Received::connection).doesNotHaveDuplicates();
  }

  @ParameterizedTest
  @ValueSource(ints = {100, 300_000})
  void anAnswerThatEndsWhenTheUpstreamClosesIsRelayedWhole(int size) {
    String body = "x".repeat(size);
    StubUpstream stub =
        upstreams.keep(
            StubUpstream.raw(
                upstreams.stubs(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body));
    TestGateway gateway = upstreams.gateway("    buffer_answer_bytes: 1024\n", stub.url());

    for (int i = 0; i < 2; i++) {
      HttpResponse<Buffer> response = gateway.postJson(BATCH);

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.getHeader("Content-Type")).isEqualTo("text/plain");
      assertThat(response.bodyAsString()).isEqualTo(body);
    }
  }

  @Test
  void refusedBatchesNeverReachTheUpstream() {
    StubUpstream stub = upstreams.stub();
    TestGateway gateway = upstreams.gateway("", stub.url());

    assertThat(gateway.postJson("{\"token\":\"t\",\"trigger_id\":8,\"data\":[]}").statusCode())
        .isEqualTo(400);
    assertThat(gateway.postJson("{\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}]}").statusCode())
        .isEqualTo(401);

    assertThat(stub.received()).isEmpty();
  }

  private static int status(TestGateway gateway, String path) {
    return gateway.request(HttpMethod.GET, path).send().await().statusCode();
  }

  private static String metrics(TestGateway gateway) {
    return gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();
  }

  /** Sends raw bytes; returns what the gateway sent back, up to the end of {@code last}. */
  private static String rawExchange(TestGateway gateway, Buffer request, String last) {
    NetSocket socket = gateway.vertx.createNetClient().connect(gateway.port(), "127.0.0.1").await();
    Buffer answer = Buffer.buffer();
    Promise<Void> complete = Promise.promise();
    socket.handler(
        in -> {
          answer.appendBuffer(in);
          if (answer.toString().endsWith(last)) {
            complete.tryComplete();
          }
        });
    socket.write(request);
    complete.future().await();
    socket.close();
    return answer.toString();
  }
}
