package dev.triggergate.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RawHttp;
import dev.triggergate.TestGateway;
import dev.triggergate.api.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/** Checks on what the edge answers to raw connections: the envelope, and that it still serves. */
final class EdgeAnswers {
  /** A valid batch for the default engine (auto_profiles on, every trigger active). */
  static final String BATCH =
      "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}]}";

  private EdgeAnswers() {}

  /**
   * Asserts the response is Altcraft's JSON error envelope with one of the given statuses: the JSON
   * content type, and {@code error} equal to the HTTP status with its text and a debug text.
   */
  static void assertEnvelope(RawHttp.Response response, int... statuses) {
    Set<Integer> allowed = Arrays.stream(statuses).boxed().collect(Collectors.toSet());
    assertThat(response.status()).as("status of %s", response).isIn(allowed);
    assertThat(response.header("Content-Type"))
        .as("Content-Type of %s", response)
        .isEqualToIgnoringCase("application/json; charset=utf-8");
    JsonObject envelope;
    try {
      envelope = new JsonObject(response.bodyText());
    } catch (RuntimeException e) {
      throw new AssertionError("not a JSON envelope: " + response, e);
    }
    assertThat(envelope.getValue("error")).as("error of %s", response).isEqualTo(response.status());
    Set<String> texts =
        Arrays.stream(ErrorCode.values())
            .filter(code -> code.code() == response.status())
            .map(ErrorCode::text)
            .collect(Collectors.toSet());
    assertThat(envelope.getValue("error_text")).as("error_text of %s", response).isIn(texts);
    assertThat(envelope.getValue("error_debug"))
        .as("error_debug of %s", response)
        .isInstanceOf(String.class)
        .asString()
        .isNotBlank();
  }

  /** Asserts the response is Altcraft's success envelope. */
  static void assertSuccess(RawHttp.Response response) {
    assertThat(response.status()).as("status of %s", response).isEqualTo(200);
    assertThat(response.header("Content-Type"))
        .as("Content-Type of %s", response)
        .isEqualToIgnoringCase("application/json; charset=utf-8");
    assertThat(new JsonObject(response.bodyText()).getInteger("error"))
        .as("error of %s", response)
        .isZero();
  }

  /** The same gateway still answers a normal batch with 200 (and the launch lands). */
  static void assertServesNormalBatch(TestGateway gateway) {
    HttpResponse<Buffer> response =
        gateway
            .client
            .post(TestGateway.PATH)
            .putHeader("Content-Type", "application/json")
            .timeout(RawHttp.BOUND.toMillis())
            .sendBuffer(Buffer.buffer(BATCH))
            .await();
    assertThat(response.statusCode())
        .as("a normal batch: %s", response.bodyAsString())
        .isEqualTo(200);
    JsonObject envelope = response.bodyAsJsonObject();
    assertThat(envelope.getInteger("error")).isZero();
    assertThat(envelope.getJsonArray("result")).hasSize(1);
  }
}
