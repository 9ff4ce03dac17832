package dev.triggergate.engine.upstream;

import static dev.triggergate.engine.upstream.ScriptedUpstream.answer;
import static dev.triggergate.engine.upstream.ScriptedUpstream.http;
import static dev.triggergate.engine.upstream.ScriptedUpstream.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RawHttp;
import dev.triggergate.RawHttp.Response;
import dev.triggergate.TestGateway;
import dev.triggergate.engine.upstream.ScriptedUpstream.Dribble;
import dev.triggergate.engine.upstream.ScriptedUpstream.HalfClose;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The upstream engine against an upstream that sends exactly the bytes a broken one would, and a
 * client on a raw socket: every answer is one the client can frame, a malformed one is a 502 at
 * once, and a connection the gateway cannot trust is never used again.
 */
class UpstreamFramingTest {
  private static final String BATCH =
      "{\"token\":\"tok-demo-1\",\"trigger_id\":8,\"data\":[{\"email\":\"anna@example.com\"}]}";
  private static final String ENVELOPE = StubUpstream.OK_ENVELOPE;
  private static final String JSON = "200 OK\r\nContent-Type: application/json\r\n";
  private static final String MALFORMED = "the upstream answered with something that is not HTTP";

  @RegisterExtension static final UpstreamFixture upstreams = new UpstreamFixture();

  @Test
  void anAnswerWithTransferEncodingAndContentLengthIsReadChunkedAndRelayedWithItsOwnLength() {
    String chunked =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            + "Content-Length: 5\r\n\r\n"
            + Integer.toHexString(ENVELOPE.length())
            + "\r\n"
            + ENVELOPE
            + "\r\n0\r\n\r\n";
    ScriptedUpstream upstream =
        scripted(List.of(answer(send(chunked)), answer(http(JSON, "{\"second\":true}"))));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    try (RawHttp client = RawHttp.open(gateway.port())) {
      Response first =
          client
              .send(RawHttp.jsonPost(TestGateway.PATH, "", BATCH))
              .readResponses(1, RawHttp.BOUND)
              .first();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.header("Content-Length")).isEqualTo(Integer.toString(ENVELOPE.length()));
      assertThat(first.header("Transfer-Encoding")).isNull();
      assertThat(first.bodyText()).isEqualTo(ENVELOPE);

      RawHttp.Exchange both =
          client
              .send(RawHttp.jsonPost(TestGateway.PATH, "", BATCH))
              .readResponses(2, RawHttp.BOUND);
      assertThat(both.whole()).isTrue();
      assertThat(both.responses()).hasSize(2);
      assertThat(both.responses().get(1).status()).isEqualTo(200);
      assertThat(both.responses().get(1).bodyText()).isEqualTo("{\"second\":true}");
    }
    // Both went over the one upstream connection, which stayed in step.
    assertThat(upstream.received())
        .extracting(ScriptedUpstream.Received::connection)
        .containsExactly(0, 0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\u0000b", "a\u007fb", "a\rb"})
  void aControlCharacterInAnAnswerHeaderIs502AtOnce(String value) {
    ScriptedUpstream upstream =
        scripted(List.of(answer(http(JSON + "X-Note: " + value + "\r\n", ENVELOPE))));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    Response answer = exchange(gateway);

    assertThat(answer.status()).isEqualTo(502);
    assertThat(errorDebug(answer)).isEqualTo(MALFORMED);
    assertThat(metrics(gateway)).contains("outcome=\"malformed\"} 1");
  }

  @Test
  void aBareCarriageReturnInAChunkSizeIs502() {
    ScriptedUpstream upstream =
        scripted(
            List.of(
                answer(
                    send(
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r0\r\n"
                            + "x".repeat(16)
                            + "\r\n0\r\n\r\n"))));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    Response answer = exchange(gateway);

    assertThat(answer.status()).isEqualTo(502);
    assertThat(errorDebug(answer)).isEqualTo(MALFORMED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip, chunked", "chunked, gzip", "gzip"})
  void aTransferCodingTheGatewayCannotUndoIs502(String codings) {
    ScriptedUpstream upstream =
        scripted(
            List.of(
                answer(
                    send(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: "
                            + codings
                            + "\r\n\r\n5\r\n\u001f\u008b\u0008\u0000\u0000\r\n0\r\n\r\n"))));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    Response answer = exchange(gateway);

    assertThat(answer.status()).isEqualTo(502);
    assertThat(errorDebug(answer))
        .isEqualTo("the upstream answered in a form the gateway cannot relay faithfully");
  }

  @Test
  void interimAnswersAreSkippedAndTheFinalOneIsRelayed() {
    ScriptedUpstream upstream =
        scripted(
            List.of(
                answer(
                    send("HTTP/1.1 100 Continue\r\n\r\n"),
                    send("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"),
                    http(JSON, ENVELOPE))));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    Response answer = exchange(gateway);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.bodyText()).isEqualTo(ENVELOPE);
    assertThat(answer.header("Link")).isNull();
  }

  @Test
  void anUpgradeNobodyAskedForIs502AndItsConnectionIsDropped() {
    ScriptedUpstream upstream =
        scripted(
            List.of(
                answer(
                    send(
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            + "Connection: Upgrade\r\n\r\n"))),
            List.of(answer(http(JSON, ENVELOPE))));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    Response upgraded = exchange(gateway);
    Response next = exchange(gateway);

    assertThat(upgraded.status()).isEqualTo(502);
    assertThat(errorDebug(upgraded))
        .isEqualTo("the upstream answered in a form the gateway cannot relay faithfully");
    assertThat(next.status()).isEqualTo(200);
    assertThat(upstream.received())
        .extracting(ScriptedUpstream.Received::connection)
        .containsExactly(0, 1);
  }

  @Test
  void aConnectionTheUpstreamHalfClosedAfterItsAnswerIsNotUsedAgain() {
    ScriptedUpstream upstream =
        scripted(
            List.of(answer(http(JSON, ENVELOPE), new HalfClose())),
            List.of(answer(http(JSON, "{\"second\":true}"))));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    Response first = exchange(gateway);
    // The FIN follows the answer: a request sent before it arrives would meet a closing socket.
    upstream.closed(0).await();
    Response second = exchange(gateway);

    assertThat(first.status()).isEqualTo(200);
    assertThat(first.bodyText()).isEqualTo(ENVELOPE);
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.bodyText()).isEqualTo("{\"second\":true}");
    assertThat(upstream.received())
        .extracting(ScriptedUpstream.Received::connection)
        .containsExactly(0, 1);
  }

  @Test
  void anUpstreamHalfClosingBeforeItsAnswerIs502() {
    ScriptedUpstream upstream = scripted(List.of(answer(new HalfClose())));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    Response answer = exchange(gateway);

    assertThat(answer.status()).isEqualTo(502);
    assertThat(errorDebug(answer))
        .isEqualTo("the upstream closed the connection before its answer was complete");
    assertThat(metrics(gateway)).contains("outcome=\"reset_before_head\"} 1");
  }

  @Test
  void anUpstreamDribblingItsBodyIs504AtTheExchangeDeadline() {
    ScriptedUpstream upstream =
        scripted(
            List.of(
                answer(
                    send("HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n"),
                    new Dribble("x".repeat(200), 100))));
    TestGateway gateway =
        upstreams.gateway(
            "    response_timeout_ms: 1000\n    read_idle_timeout_ms: 2000\n"
                + "    exchange_timeout_ms: 1000\n",
            upstream.url());

    Response answer = exchange(gateway);

    assertThat(answer.status()).isEqualTo(504);
    assertThat(errorDebug(answer))
        .isEqualTo("the upstream's answer was not complete within 1000 ms");
    assertThat(metrics(gateway)).contains("outcome=\"exchange_timeout\"} 1");
  }

  @Test
  void anUpstreamGoingSilentMidAnswerIs504AtTheIdleDeadline() {
    ScriptedUpstream upstream =
        scripted(
            List.of(
                answer(
                    send("HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n{\"error\":0,"),
                    new ScriptedUpstream.Pause(60_000))));
    TestGateway gateway = upstreams.gateway("    read_idle_timeout_ms: 300\n", upstream.url());

    Response answer = exchange(gateway);

    assertThat(answer.status()).isEqualTo(504);
    assertThat(errorDebug(answer)).isEqualTo("the upstream went silent for 300 ms in its answer");
  }

  @Test
  void aLargeAnswerReachesAClientThatStallsLongerThanTheIdleTimeout() throws Exception {
    byte[] big = new byte[32 << 20];
    new Random(11).nextBytes(big);
    StubUpstream stub = upstreams.stub();
    stub.answer((request, in) -> request.response().end(Buffer.buffer(big)));
    TestGateway gateway =
        upstreams.gateway(
            "    read_idle_timeout_ms: 500\n    response_timeout_ms: 5000\n", stub.url());
    HttpClient client = gateway.vertx.createHttpClient();
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    long[] received = {0};
    Promise<Void> done = Promise.promise();

    int[] status = {0};
    // The handlers go on in the callback, on the event loop: set later, the first part is lost.
    client
        .request(HttpMethod.POST, gateway.port(), "127.0.0.1", TestGateway.PATH)
        .compose(
            request ->
                request
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .send(Buffer.buffer(BATCH)))
        .onFailure(done::tryFail)
        .onSuccess(
            response -> {
              status[0] = response.statusCode();
              response.handler(
                  part -> {
                    boolean firstStall =
                        received[0] < (64 << 10) && received[0] + part.length() >= (64 << 10);
                    received[0] += part.length();
                    digest.update(part.getBytes());
                    if (firstStall) {
                      // Five idle timeouts without reading: the gateway must wait for its
                      // client, not give the answer up.
                      response.pause();
                      gateway.vertx.setTimer(2_500, fired -> response.resume());
                    }
                  });
              response.endHandler(end -> done.tryComplete());
              response.exceptionHandler(done::tryFail);
            });
    done.future().await();

    assertThat(status[0]).isEqualTo(200);
    assertThat(received[0]).isEqualTo(big.length);
    assertThat(HexFormat.of().formatHex(digest.digest()))
        .isEqualTo(HexFormat.of().formatHex(sha256(big)));
    client.close().await();
  }

  @Test
  void aFullPoolMakesARequestWaitForTheBusyConnection() {
    StubUpstream stub = upstreams.stub();
    stub.answerLate(300);
    TestGateway gateway =
        upstreams.gatewayOnOneLoop(
            "    pool_size: 1\n    pool_wait_timeout_ms: 5000\n", stub.url());

    List<Integer> statuses =
        UpstreamFixture.postAtOnce(gateway, BATCH, 2).stream()
            .map(answer -> answer.statusCode())
            .toList();

    assertThat(statuses).containsExactly(200, 200);
    assertThat(stub.received())
        .extracting(StubUpstream.Received::connection)
        .containsOnly(stub.received().get(0).connection());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
            + "{\"first\":1}",
        "HTTP/1.1 204 No Content\r\n\r\n"
      })
  void bytesBehindAnAnswerNeverBecomeTheAnswerOfTheRequestWaitingForTheConnection(String first) {
    String smuggled = "{\"smuggled\":true}";
    ScriptedUpstream upstream =
        scripted(
            List.of(
                answer(
                    new ScriptedUpstream.Pause(300),
                    send(
                        first
                            + "HTTP/1.1 200 OK\r\n"
                            + "Content-Length: "
                            + smuggled.length()
                            + "\r\n\r\n"
                            + smuggled)),
                answer(http(JSON, "{\"second-on-0\":true}"))),
            List.of(answer(http(JSON, "{\"fresh\":true}"))));
    TestGateway gateway =
        upstreams.gatewayOnOneLoop(
            "    pool_size: 1\n    pool_wait_timeout_ms: 5000\n", upstream.url());

    // The second request waits for the one connection, busy with the first.
    List<String> bodies =
        UpstreamFixture.postAtOnce(gateway, BATCH, 2).stream()
            .map(answer -> answer.bodyAsString())
            .toList();

    assertThat(bodies).doesNotContain(smuggled);
    assertThat(bodies).contains("{\"fresh\":true}");
  }

  @Test
  void aConnectionWhoseAnswerCameFromHttp10IsNotReused() {
    ScriptedUpstream upstream =
        scripted(
            List.of(
                answer(
                    send(
                        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
                            + "Content-Type: application/json\r\nContent-Length: 11\r\n\r\n"
                            + "{\"first\":1}")),
                answer(http(JSON, "{\"second\":true}"))),
            List.of(answer(http(JSON, "{\"fresh\":true}"))));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    assertThat(exchange(gateway).bodyText()).isEqualTo("{\"first\":1}");
    assertThat(exchange(gateway).bodyText()).isEqualTo("{\"fresh\":true}");
    assertThat(upstream.received())
        .extracting(ScriptedUpstream.Received::connection)
        .containsExactly(0, 1);
  }

  @Test
  void aStreamedAnswerToAnHttp10ClientEndsAtCloseAndDoesNotPromiseKeepAlive() {
    String body = "x".repeat(4096);
    ScriptedUpstream upstream =
        scripted(List.of(answer(http("200 OK\r\nContent-Type: text/plain\r\n", body))));
    TestGateway gateway = upstreams.gateway("    buffer_answer_bytes: 1024\n", upstream.url());

    try (RawHttp client = RawHttp.open(gateway.port())) {
      RawHttp.Exchange got =
          client
              .send(
                  "POST "
                      + TestGateway.PATH
                      + " HTTP/1.0\r\nHost: gw\r\nConnection: keep-alive\r\n"
                      + "Content-Type: application/json\r\nContent-Length: "
                      + BATCH.length()
                      + "\r\n\r\n"
                      + BATCH)
              .readUntilClosed();

      assertThat(got.closedByServer()).isTrue();
      assertThat(got.first().bodyText()).isEqualTo(body);
      assertThat(got.first().header("Transfer-Encoding")).isNull();
      assertThat(got.first().header("Connection")).isEqualToIgnoringCase("close");
    }
  }

  @Test
  void a204IsRelayedWithoutABodyLength() {
    ScriptedUpstream upstream = scripted(List.of(answer(send("HTTP/1.1 204 No Content\r\n\r\n"))));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    Response answer = exchange(gateway);

    assertThat(answer.status()).isEqualTo(204);
    assertThat(answer.header("Content-Length")).isNull();
    assertThat(answer.header("Transfer-Encoding")).isNull();
  }

  @Test
  void anAbsoluteFormTargetIsForwardedInOriginForm() {
    ScriptedUpstream upstream = scripted(List.of(answer(http(JSON, ENVELOPE))));
    TestGateway gateway = upstreams.gateway("", upstream.url());

    try (RawHttp client = RawHttp.open(gateway.port())) {
      Response answer =
          client
              .send(
                  "POST http://internal.example:8443"
                      + TestGateway.PATH
                      + "?x=1 HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
                      + "Content-Length: "
                      + BATCH.length()
                      + "\r\n\r\n"
                      + BATCH)
              .readResponses(1, RawHttp.BOUND)
              .first();

      assertThat(answer.status()).isEqualTo(200);
    }
    assertThat(upstream.received().get(0).head().lines().findFirst().orElseThrow())
        .isEqualTo("POST " + TestGateway.PATH + "?x=1 HTTP/1.1");
  }

  private ScriptedUpstream scripted(List<List<ScriptedUpstream.Step>>... perConnection) {
    return upstreams.keep(ScriptedUpstream.start(upstreams.stubs(), perConnection));
  }

  /** One request on a connection of its own; the answer, read with the usual bound. */
  private static Response exchange(TestGateway gateway) {
    try (RawHttp client = RawHttp.open(gateway.port())) {
      return client
          .send(RawHttp.jsonPost(TestGateway.PATH, "", BATCH))
          .readResponses(1, RawHttp.BOUND)
          .first();
    }
  }

  private static String errorDebug(Response answer) {
    return new JsonObject(answer.bodyText()).getString("error_debug");
  }

  private static String metrics(TestGateway gateway) {
    return gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();
  }

  private static byte[] sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return MessageDigest.getInstance("SHA-256").digest(bytes);
  }
}
