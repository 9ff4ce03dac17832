package dev.triggergate.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import dev.triggergate.engine.memory.Journal;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every shared example request and invalid body, through the real pipeline and memory engine. */
class StartBatchExamplesTest {

  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    gateway = TestGateway.sample();
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  static Stream<Arguments> requests() {
    return Stream.of(
        Arguments.of("bearer_token.json", List.of(TestGateway.ANNA)),
        Arguments.of("content_and_custom_data.json", List.of(TestGateway.ANNA)),
        Arguments.of("custom.json", List.of(TestGateway.ANNA, TestGateway.BORIS)),
        Arguments.of("custom.xml", List.of(TestGateway.ANNA, TestGateway.BORIS)),
        Arguments.of("email.json", List.of(TestGateway.ANNA, TestGateway.BORIS)),
        Arguments.of("email.xml", List.of(TestGateway.ANNA, TestGateway.BORIS)),
        Arguments.of("email_phone.json", List.of(TestGateway.ANNA)),
        Arguments.of("phone.json", List.of(TestGateway.ANNA, TestGateway.BORIS)),
        Arguments.of("profile_id.json", List.of(TestGateway.ANNA, TestGateway.BORIS)),
        Arguments.of("push_sub.json", List.of(TestGateway.ANNA)),
        Arguments.of("with_attach.json", List.of(TestGateway.ANNA)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void exampleRequestLaunchesForItsProfiles(String file, List<String> expected) {
    boolean xml = file.endsWith(".xml");
    Buffer body = TestGateway.read("examples/requests/" + file);
    long before = gateway.journal().total();

    HttpRequest<Buffer> request =
        gateway
            .request(io.vertx.core.http.HttpMethod.POST, TestGateway.PATH)
            .putHeader("Content-Type", xml ? "application/xml" : "application/json")
            .putHeader("Request-ID", "example-" + file);
    if (file.equals("bearer_token.json")) {
      request.putHeader("Authorization", "Bearer tok-demo-1");
    }
    HttpResponse<Buffer> response = request.sendBuffer(body).await();

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("X-Request-ID")).isEqualTo("example-" + file);
    assertThat(Envelopes.profileIds(response)).containsExactlyElementsOf(expected);
    assertThat(Envelopes.errorCode(response)).isZero();
    if (xml) {
      assertThat(response.getHeader("Content-Type")).isEqualTo("application/xml; charset=utf-8");
    } else {
      assertThat(response.getHeader("Content-Type")).isEqualTo("application/json; charset=utf-8");
    }
    List<Journal.Launch> launches = gateway.journal().entries();
    assertThat(gateway.journal().total() - before).isEqualTo(expected.size());
    assertThat(launches.subList(launches.size() - expected.size(), launches.size()))
        .extracting(Journal.Launch::profileId, Journal.Launch::requestId)
        .containsExactlyElementsOf(
            expected.stream()
                .map(id -> org.assertj.core.groups.Tuple.tuple(id, "example-" + file))
                .toList());
  }

  @org.junit.jupiter.api.Test
  void successAndTooLargeEnvelopesMatchTheExampleResponses() {
    Buffer twoProfiles = TestGateway.read("examples/requests/profile_id.json");
    String xmlRequest =
        twoProfiles.toString().replace("\"matching\"", "\"format\": \"xml\", \"matching\"");

    HttpResponse<Buffer> json = gateway.post("application/json", twoProfiles);
    HttpResponse<Buffer> xml = gateway.post("application/json", Buffer.buffer(xmlRequest));
    HttpResponse<Buffer> tooLarge =
        gateway.post(
            TestGateway.PATH + "?format=xml",
            "application/json",
            Buffer.buffer(" ".repeat(10 * 1024 * 1024 + 1)));

    assertThat(json.bodyAsJsonObject())
        .isEqualTo(TestGateway.read("examples/responses/success.json").toJsonObject());
    assertThat(xml.bodyAsString())
        .isEqualTo(TestGateway.read("examples/responses/success.xml").toString().trim());
    assertThat(tooLarge.bodyAsString())
        .isEqualTo(TestGateway.read("examples/responses/too_large.xml").toString().trim());
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("body_is_array.json", 400, "body must be a JSON object, got an array"),
        Arguments.of(
            "custom_without_field_name.json", 400, "/: missing required property \"field_name\""),
        Arguments.of("data_not_array.json", 400, "/data: must be array, got object"),
        Arguments.of("doctype_entity.xml", 400, "XML DOCTYPE declarations are not allowed"),
        Arguments.of("empty_data.json", 400, "/data: must have at least 1 item(s), has 0"),
        Arguments.of("item_missing_key.json", 400, "/data/1: missing required property \"email\""),
        Arguments.of("missing_token.json", 401, "no token"),
        Arguments.of("trigger_id_string.json", 400, "/trigger_id: must be integer, got string"),
        Arguments.of("truncated.json", 400, "malformed JSON: Unexpected end-of-input"),
        Arguments.of("unknown_matching.json", 400, "/matching: must be one of [\"email\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void invalidExampleGetsItsEnvelopeAndLaunchesNothing(String file, int code, String debug) {
    long before = gateway.journal().total();
    String type = file.endsWith(".xml") ? "application/xml" : "application/json";

    HttpResponse<Buffer> response =
        gateway.post(type, TestGateway.read("examples/invalid/" + file));

    assertThat(response.statusCode()).isEqualTo(code);
    JsonObject envelope = response.bodyAsJsonObject();
    assertThat(envelope.getInteger("error")).isEqualTo(code);
    assertThat(envelope.getString("error_text"))
        .isEqualTo(code == 401 ? "API token required" : "Invalid request");
    assertThat(envelope.getString("error_debug")).startsWith(debug);
    assertThat(gateway.journal().total()).isEqualTo(before);
  }
}
