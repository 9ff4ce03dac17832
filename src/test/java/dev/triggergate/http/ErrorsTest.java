package dev.triggergate.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.client.HttpResponse;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each error row of SPEC §5 this gateway answers itself, as JSON and as XML. */
class ErrorsTest {
  private static final String VALID =
      "{\"token\":\"tok-demo-1\",\"trigger_id\":%d,\"data\":[{\"email\":\"anna@example.com\"}]}";

  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(TestGateway.SAMPLE_ENGINE + "limits: {max_items: 3}\n");
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  static Stream<Arguments> refusals() {
    String valid = VALID.formatted(8);
    return Stream.of(
        Arguments.of("text/plain", valid, 400, "unsupported content type \"text/plain\""),
        Arguments.of(
            "application/json; charset=windows-1251",
            valid,
            400,
            "unsupported charset \"windows-1251\""),
        Arguments.of("application/xml", "<xml><token>t</token", 400, "malformed XML"),
        Arguments.of("application/xml", "<xml>text</xml>", 400, "XML root element holds text"),
        Arguments.of(
            "application/xml",
            "<xml><token>t</token><trigger_id>x8</trigger_id><data><email>a@b</email></data></xml>",
            400,
            "/trigger_id: must be integer, got string"),
        Arguments.of("application/json", "", 400, "malformed JSON"),
        Arguments.of("application/json", "{\"token\":\"t\"} trailing", 400, "malformed JSON"),
        Arguments.of("application/json", "\"just a string\"", 400, "body must be a JSON object"),
        Arguments.of(
            "application/json",
            "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"},{\"email\":\"b@b\"},"
                + "{\"email\":\"c@b\"},{\"email\":\"d@b\"}]}",
            400,
            "too many items in data: 4 (at most 3)"),
        Arguments.of(
            "application/json",
            "{\"token\":\"\",\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}]}",
            400,
            "/token: "),
        Arguments.of(
            "application/json",
            "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"phone\":\"12\"}],\"matching\":\"phone\"}",
            400,
            "/data/0/phone: does not match pattern"),
        Arguments.of(
            "application/json",
            "{\"token\":\"t\",\"trigger_id\":8,\"matching\":\"email_phone\",\"data\":[{}]}",
            400,
            "/data/0: needs at least one of \"email\", \"phone\""),
        Arguments.of(
            "application/json",
            "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}],"
                + "\"attach\":[{\"name\":\"x\",\"data\":\"not a data uri\"}]}",
            400,
            "/attach/0/data: does not match pattern"),
        Arguments.of(
            "application/json",
            "{\"token\":\"t\",\"trigger_id\":9223372036854775808,\"data\":[{\"email\":\"a@b\"}]}",
            400,
            "/trigger_id: 9223372036854775808 is greater than"),
        Arguments.of("application/json", "{\"data\":[]}", 401, "no token"),
        Arguments.of(
            "application/json", VALID.formatted(12345), 404, "trigger 12345 does not exist"),
        Arguments.of("application/json", VALID.formatted(7), 404, "trigger 7 is not active"),
        Arguments.of(
            "application/json", VALID.formatted(9), 403, "this token may not launch trigger 9"));
  }

  @ParameterizedTest(name = "{2} {3}")
  @MethodSource("refusals")
  void refusalCarriesEnvelopeAndLaunchesNothing(
      String contentType, String body, int code, String debug) {
    long before = gateway.journal().total();

    HttpResponse<Buffer> response = gateway.post(contentType, Buffer.buffer(body));

    assertThat(response.statusCode()).isEqualTo(code);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/json; charset=utf-8");
    JsonObject envelope = response.bodyAsJsonObject();
    assertThat(envelope.getInteger("error")).isEqualTo(code);
    assertThat(envelope.getString("error_text")).isNotBlank();
    assertThat(envelope.getString("error_debug")).contains(debug);
    assertThat(gateway.journal().total()).isEqualTo(before);
  }

  @Test
  void errorIsXmlWhenTheBodyAsksForXml() {
    HttpResponse<Buffer> response =
        gateway.post(
            "application/xml",
            Buffer.buffer(
                "<xml><token>t</token><format>xml</format><trigger_id>8</trigger_id></xml>"));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/xml; charset=utf-8");
    assertThat(Envelopes.errorCode(response)).isEqualTo(400);
    assertThat(Envelopes.errorDebug(response)).isEqualTo("/: missing required property \"data\"");
    assertThat(Envelopes.xmlText(response, "error_text")).containsExactly("Invalid request");
  }

  @Test
  void errorIsXmlWhenTheQueryAsksForXmlEvenIfTheBodyIsUnreadable() {
    HttpResponse<Buffer> response =
        gateway.post(TestGateway.PATH + "?format=xml", "application/json", Buffer.buffer("{"));

    assertThat(response.getHeader("Content-Type")).isEqualTo("application/xml; charset=utf-8");
    assertThat(Envelopes.errorCode(response)).isEqualTo(400);
    assertThat(Envelopes.errorDebug(response)).startsWith("malformed JSON");
  }

  @Test
  void unknownQueryFormatIsRefused() {
    HttpResponse<Buffer> response =
        gateway.post(
            TestGateway.PATH + "?format=yaml",
            "application/json",
            Buffer.buffer(VALID.formatted(8)));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.bodyAsJsonObject().getString("error_debug"))
        .isEqualTo("format must be json or xml, got \"yaml\"");
  }

  @Test
  void twoContentTypeHeadersAreRefused() {
    HttpResponse<Buffer> response =
        gateway
            .request(HttpMethod.POST, TestGateway.PATH)
            .putHeader("Content-Type", java.util.List.of("application/json", "application/xml"))
            .sendBuffer(Buffer.buffer(VALID.formatted(8)))
            .await();

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.bodyAsJsonObject().getString("error_debug"))
        .isEqualTo("more than one Content-Type header");
  }

  @Test
  void otherMethodsGet405WithAllowHeader() {
    for (HttpMethod method : new HttpMethod[] {HttpMethod.GET, HttpMethod.PUT, HttpMethod.DELETE}) {
      HttpResponse<Buffer> response =
          gateway.request(method, TestGateway.PATH + "/").send().await();

      assertThat(response.statusCode()).isEqualTo(405);
      assertThat(response.getHeader("Allow")).isEqualTo("POST");
      assertThat(response.bodyAsJsonObject())
          .isEqualTo(
              new JsonObject()
                  .put("error", 405)
                  .put("error_text", "Method not allowed")
                  .put("error_debug", method.name() + " is not allowed here; use POST"));
    }
  }

  @Test
  void unknownPathGets404Envelope() {
    HttpResponse<Buffer> response =
        gateway.request(HttpMethod.GET, "/api/v1.1/nope").send().await();

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.bodyAsJsonObject().getString("error_text")).isEqualTo("Not found");
  }

  @Test
  void trailingSlashAndQueryTokenAreAccepted() {
    long before = gateway.journal().total();

    HttpResponse<Buffer> response =
        gateway.post(
            TestGateway.PATH + "/?token=tok-from-query&format=xml",
            "text/xml; charset=UTF-8",
            Buffer.buffer(
                "<request><trigger_id>8</trigger_id><data><email>anna@example.com</email></data>"
                    + "</request>"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Envelopes.profileIds(response)).containsExactly("6606e08f10bcdd88297057a7");
    assertThat(gateway.journal().total() - before).isEqualTo(1);
  }

  @Test
  void bodyTokenWinsOverHeaderAndHeaderOverQuery() {
    HttpResponse<Buffer> allowed =
        gateway
            .request(HttpMethod.POST, TestGateway.PATH + "?token=tok-query")
            .putHeader("Authorization", "Bearer tok-vip")
            .putHeader("Content-Type", "application/json")
            .sendBuffer(
                Buffer.buffer("{\"trigger_id\":9,\"data\":[{\"email\":\"anna@example.com\"}]}"))
            .await();
    HttpResponse<Buffer> refused =
        gateway
            .request(HttpMethod.POST, TestGateway.PATH + "?token=tok-vip")
            .putHeader("Authorization", "Bearer tok-vip")
            .putHeader("Content-Type", "application/json")
            .sendBuffer(Buffer.buffer(VALID.formatted(9)))
            .await();

    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(refused.statusCode()).isEqualTo(403);
  }

  @Test
  void requestIdIsKeptOrMadeAndHostileOnesReplaced() {
    HttpResponse<Buffer> kept =
        gateway
            .request(HttpMethod.POST, TestGateway.PATH)
            .putHeader("X-Request-ID", "client-id-1")
            .sendBuffer(Buffer.buffer(VALID.formatted(8)))
            .await();
    HttpResponse<Buffer> made = gateway.postJson(VALID.formatted(8));
    HttpResponse<Buffer> replaced =
        gateway
            .request(HttpMethod.POST, TestGateway.PATH)
            .putHeader("Request-ID", "x".repeat(500))
            .sendBuffer(Buffer.buffer(VALID.formatted(8)))
            .await();

    assertThat(kept.getHeader("X-Request-ID")).isEqualTo("client-id-1");
    assertThat(made.getHeader("X-Request-ID")).matches("[0-9a-f]{32}");
    assertThat(replaced.getHeader("X-Request-ID")).matches("[0-9a-f]{32}");
    assertThat(gateway.journal().entries().get(gateway.journal().entries().size() - 3).requestId())
        .isEqualTo("client-id-1");
  }

  @Test
  void always200KeepsTheEnvelopeButAnswers200() {
    try (TestGateway lenient =
        TestGateway.start(TestGateway.SAMPLE_ENGINE + "errors: {http_status: always_200}\n")) {
      HttpResponse<Buffer> response = lenient.postJson(VALID.formatted(12345));

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.bodyAsJsonObject().getInteger("error")).isEqualTo(404);
      assertThat(response.bodyAsJsonObject().getString("error_text"))
          .isEqualTo("Trigger not found");
    }
  }

  @Test
  void requestsOverTheInFlightCapGet503() {
    try (TestGateway capped =
        TestGateway.start(TestGateway.SAMPLE_ENGINE + "limits: {max_in_flight: 1}\n")) {
      String body = VALID.formatted(8);
      NetClient net = capped.vertx.createNetClient();
      NetSocket slow = net.connect(capped.port(), "127.0.0.1").await();
      Buffer answer = Buffer.buffer();
      slow.handler(answer::appendBuffer);
      // Headers and half the body: the request is in flight until the rest arrives.
      slow.write(
              "POST "
                  + TestGateway.PATH
                  + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length()
                  + "\r\n\r\n"
                  + body.substring(0, 20))
          .await();
      HttpResponse<Buffer> refused = awaitRefusal(capped, body);

      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.bodyAsJsonObject().getString("error_text"))
          .isEqualTo("Service unavailable");
      assertThat(refused.bodyAsJsonObject().getString("error_debug"))
          .isEqualTo("overloaded: 1 requests already in flight");

      io.vertx.core.Promise<Void> answered = io.vertx.core.Promise.promise();
      slow.handler(
          chunk -> {
            answer.appendBuffer(chunk);
            if (answer.toString().contains("Successful operation")) {
              answered.tryComplete();
            }
          });
      slow.write(body.substring(20)).await();
      answered.future().await();
      assertThat(answer.toString()).startsWith("HTTP/1.1 200");
      assertThat(capped.postJson(body).statusCode()).isEqualTo(200);
    }
  }

  /** The slow request may not have reached the pipeline yet: ask until it has. */
  private static HttpResponse<Buffer> awaitRefusal(TestGateway capped, String body) {
    for (int attempt = 0; attempt < 1000; attempt++) {
      HttpResponse<Buffer> response = capped.postJson(body);
      if (response.statusCode() == 503) {
        return response;
      }
    }
    throw new AssertionError("the in-flight cap never refused");
  }
}
