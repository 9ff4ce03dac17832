package dev.triggergate.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.triggergate.TestGateway;
import dev.triggergate.config.ConfigLoader;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The admin API through the real gateway: its token, run-time changes that the next batch obeys,
 * journal queries, and agreement with its OpenAPI file (every operation, every answer's schema).
 */
class AdminApiTest {
  private static final String TOKEN = "admin-token-0123456789";
  private static final String BATCH =
      "{\"token\":\"t\",\"trigger_id\":%d,\"data\":[{\"email\":\"%s@example.com\"}]}";

  private static TestGateway gateway;
  private static JsonObject openapi;

  @BeforeAll
  static void start() throws Exception {
    gateway =
        TestGateway.start(
            "admin: {enabled: true, token: "
                + TOKEN
                + "}\n"
                + "engine: {memory: {triggers: [{id: 8}, {id: 9}]}}\n");
    try (InputStream in = AdminApi.class.getResourceAsStream("/admin-openapi.yaml")) {
      Object tree = new ObjectMapper(new YAMLFactory()).readValue(in, Map.class);
      openapi = JsonObject.mapFrom(tree);
    }
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @BeforeEach
  void quiet() {
    assertThat(admin(HttpMethod.PUT, "/latency", "{}").statusCode()).isEqualTo(200);
    assertThat(admin(HttpMethod.PUT, "/faults", "{}").statusCode()).isEqualTo(200);
    assertThat(admin(HttpMethod.DELETE, "/journal", null).statusCode()).isEqualTo(204);
  }

  @Test
  void noTokenIs401AWrongOneIs403AndTheRightOneServes() {
    HttpResponse<Buffer> none = gateway.request(HttpMethod.GET, "/admin/latency").send().await();
    HttpResponse<Buffer> wrong =
        gateway
            .request(HttpMethod.GET, "/admin/latency")
            .putHeader("Authorization", "Bearer " + TOKEN + "x")
            .send()
            .await();
    HttpResponse<Buffer> right = admin(HttpMethod.GET, "/latency", null);

    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.bodyAsJsonObject().getInteger("error")).isEqualTo(401);
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(wrong.bodyAsJsonObject().getInteger("error")).isEqualTo(403);
    assertThat(right.statusCode()).isEqualTo(200);
    // The start_batch token is not the admin token, nor is the query string a place for it.
    assertThat(
            gateway
                .request(HttpMethod.GET, "/admin/latency?token=" + TOKEN)
                .send()
                .await()
                .statusCode())
        .isEqualTo(401);
  }

  @Test
  void aLatencyPutAtRunTimeDelaysTheNextBatch() {
    HttpResponse<Buffer> put =
        admin(HttpMethod.PUT, "/latency", "{\"distribution\": \"fixed\", \"fixed_ms\": 150}");

    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(put.bodyAsJsonObject().getString("distribution")).isEqualTo("fixed");
    assertThat(admin(HttpMethod.GET, "/latency", null).bodyAsJsonObject().getLong("fixed_ms"))
        .isEqualTo(150);
    String before = metric("gateway_injected_delay_seconds_sum");
    assertThat(gateway.postJson(BATCH.formatted(8, "delayed")).statusCode()).isEqualTo(200);
    assertThat(Double.parseDouble(metric("gateway_injected_delay_seconds_sum")))
        .isEqualTo(Double.parseDouble(before) + 0.15);
  }

  @Test
  void faultsPutAtRunTimeBefallTheNextBatchAndGoAwayWhenCleared() {
    admin(
        HttpMethod.PUT,
        "/faults",
        "{\"rules\": [{\"kind\": \"error\", \"status\": 503, \"probability\": 1, \"trigger_id\": 9}]}");

    assertThat(gateway.postJson(BATCH.formatted(9, "a")).statusCode()).isEqualTo(503);
    assertThat(gateway.postJson(BATCH.formatted(8, "a")).statusCode()).isEqualTo(200);
    admin(HttpMethod.PUT, "/faults", "{\"rules\": []}");
    assertThat(gateway.postJson(BATCH.formatted(9, "a")).statusCode()).isEqualTo(200);
  }

  @Test
  void aBadChangeIs400NamingTheKeyAndChangesNothing() {
    HttpResponse<Buffer> bad =
        admin(
            HttpMethod.PUT,
            "/latency",
            "{\"distribution\": \"uniform\", \"min_ms\": 50, \"max_ms\": 10}");
    HttpResponse<Buffer> unknown = admin(HttpMethod.PUT, "/faults", "{\"rulez\": []}");
    HttpResponse<Buffer> notJson = admin(HttpMethod.PUT, "/faults", "rules: []");
    HttpResponse<Buffer> trailing =
        admin(HttpMethod.PUT, "/latency", "{\"distribution\": \"fixed\"} and more");
    HttpResponse<Buffer> oddStatus =
        admin(HttpMethod.PUT, "/faults", "{\"rules\": [{\"kind\": \"reset\", \"status\": 404}]}");
    HttpResponse<Buffer> tooLarge =
        admin(HttpMethod.PUT, "/faults", "{\"rules\": [], \"seed\": 1" + " ".repeat(70_000) + "}");

    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsJsonObject().getString("error_debug"))
        .isEqualTo("latency.max_ms: at least min_ms (50), got 10");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.bodyAsJsonObject().getString("error_debug")).contains("faults.rulez");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(trailing.statusCode()).isEqualTo(400);
    assertThat(oddStatus.statusCode()).isEqualTo(400);
    assertThat(tooLarge.statusCode()).isEqualTo(400);
    assertThat(tooLarge.bodyAsJsonObject().getString("error_debug"))
        .isEqualTo("http: request body too large");
    assertThat(admin(HttpMethod.GET, "/latency", null).bodyAsJsonObject().getString("distribution"))
        .isEqualTo("none");
  }

  @Test
  void triggersAreListedAddedChangedAndRemovedAndTheNextBatchObeys() {
    assertThat(gateway.postJson(BATCH.formatted(12, "x")).statusCode()).isEqualTo(404);

    HttpResponse<Buffer> added = admin(HttpMethod.PUT, "/triggers/12", "{}");
    int launched = gateway.postJson(BATCH.formatted(12, "x")).statusCode();
    admin(HttpMethod.PUT, "/triggers/12", "{\"active\": false}");
    int inactive = gateway.postJson(BATCH.formatted(12, "x")).statusCode();
    admin(HttpMethod.PUT, "/triggers/12", "{\"tokens\": [\"only-this\"]}");
    int otherToken = gateway.postJson(BATCH.formatted(12, "x")).statusCode();
    JsonObject listed = admin(HttpMethod.GET, "/triggers", null).bodyAsJsonObject();
    int removed = admin(HttpMethod.DELETE, "/triggers/12", null).statusCode();
    int removedAgain = admin(HttpMethod.DELETE, "/triggers/12", null).statusCode();

    assertThat(added.bodyAsJsonObject().getBoolean("active")).isTrue();
    assertThat(launched).isEqualTo(200);
    assertThat(inactive).isEqualTo(404);
    assertThat(otherToken).isEqualTo(403);
    assertThat(listed.getJsonArray("triggers").stream().map(t -> ((JsonObject) t).getLong("id")))
        .containsExactly(8L, 9L, 12L);
    assertThat(removed).isEqualTo(204);
    assertThat(removedAgain).isEqualTo(404);
    assertThat(gateway.postJson(BATCH.formatted(12, "x")).statusCode()).isEqualTo(404);
    assertThat(admin(HttpMethod.PUT, "/triggers/0", "{}").statusCode()).isEqualTo(400);
    assertThat(admin(HttpMethod.PUT, "/triggers/13", "{\"id\": 14}").statusCode()).isEqualTo(400);
  }

  @Test
  void aClientTokenInAFaultRuleNeverReachesTheLog() {
    Logger log = (Logger) LoggerFactory.getLogger(AdminApi.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    log.addAppender(lines);
    try {
      admin(
          HttpMethod.PUT,
          "/faults",
          "{\"rules\": [{\"kind\": \"slow\", \"probability\": 0.1, \"token\": \"tok-secret-42\"}]}");
    } finally {
      log.detachAppender(lines);
    }

    assertThat(lines.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .isNotEmpty()
        .noneMatch(line -> line.contains("tok-secret-42"))
        .anyMatch(line -> line.contains("sha256:"));
  }

  @Test
  void theJournalIsQueriedByTriggerProfileRequestIdAndTimeCountedAndReset() {
    long start = System.currentTimeMillis();
    post(8, "anna", "req-1");
    post(9, "boris", "req-2");
    post(9, "clara", "req-3");

    JsonObject all = admin(HttpMethod.GET, "/journal", null).bodyAsJsonObject();
    JsonObject nine = admin(HttpMethod.GET, "/journal?trigger_id=9", null).bodyAsJsonObject();
    JsonObject one = admin(HttpMethod.GET, "/journal?request_id=req-2", null).bodyAsJsonObject();
    JsonObject latest = admin(HttpMethod.GET, "/journal?limit=1", null).bodyAsJsonObject();
    JsonObject later =
        admin(HttpMethod.GET, "/journal?since_ms=" + (System.currentTimeMillis() + 60_000), null)
            .bodyAsJsonObject();
    JsonObject counts = admin(HttpMethod.GET, "/journal/counts", null).bodyAsJsonObject();

    assertThat(all.getLong("total")).isEqualTo(3);
    assertThat(all.getJsonArray("entries")).hasSize(3);
    assertThat(all.getJsonArray("entries").getJsonObject(0).getLong("time_ms"))
        .isGreaterThanOrEqualTo(start);
    assertThat(nine.getJsonArray("entries")).hasSize(2);
    assertThat(one.getJsonArray("entries").getJsonObject(0).getLong("trigger_id")).isEqualTo(9);
    String profile = one.getJsonArray("entries").getJsonObject(0).getString("profile_id");
    assertThat(
            admin(HttpMethod.GET, "/journal?profile_id=" + profile, null)
                .bodyAsJsonObject()
                .getJsonArray("entries"))
        .hasSize(1);
    // Newest first.
    assertThat(latest.getJsonArray("entries").getJsonObject(0).getString("request_id"))
        .isEqualTo("req-3");
    assertThat(later.getJsonArray("entries")).isEmpty();
    assertThat(counts.getJsonObject("per_trigger").getMap())
        .containsEntry("8", 1)
        .containsEntry("9", 2);
    assertThat(admin(HttpMethod.GET, "/journal?limit=0", null).statusCode()).isEqualTo(400);

    assertThat(admin(HttpMethod.DELETE, "/journal", null).statusCode()).isEqualTo(204);
    assertThat(admin(HttpMethod.GET, "/journal", null).bodyAsJsonObject().getLong("total"))
        .isZero();
  }

  @Test
  void everyOperationInTheOpenApiFileIsServedAndEveryServedOneIsInIt() {
    Set<String> documented = new HashSet<>();
    JsonObject paths = openapi.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : operations(paths.getJsonObject(path))) {
        documented.add(method.toUpperCase(Locale.ROOT) + " " + path);
      }
    }
    Set<String> served = new HashSet<>();
    AdminApi.OPERATIONS.forEach(op -> served.add(op.getKey().name() + " " + op.getValue()));

    assertThat(served).isEqualTo(documented);
  }

  @Test
  void everyAnswerMatchesItsSchemaInTheOpenApiFile() {
    post(8, "dora", "req-9");
    admin(
        HttpMethod.PUT,
        "/faults",
        "{\"seed\": 4, \"rules\": [{\"kind\": \"slow\", \"probability\": 0, \"token\": \"x\"}]}");
    admin(HttpMethod.PUT, "/latency", "{\"distribution\": \"lognormal\", \"median_ms\": 1}");

    JsonObject paths = openapi.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : operations(paths.getJsonObject(path))) {
        JsonObject operation = paths.getJsonObject(path).getJsonObject(method);
        HttpMethod verb = HttpMethod.valueOf(method.toUpperCase(Locale.ROOT));
        if (verb == HttpMethod.DELETE
            || path.equals("/admin/profiles")
            || (verb == HttpMethod.PUT && path.contains("{"))) {
          // No GET answer to send back: each has its own request below.
          continue;
        }
        String body = null;
        if (verb == HttpMethod.PUT) {
          // What GET answers is a valid change: the two agree on the spelling.
          body = admin(HttpMethod.GET, path.substring("/admin".length()), null).bodyAsString();
          assertValid(requestSchema(operation), new JsonObject(body), method + " " + path);
        }
        HttpResponse<Buffer> answer = admin(verb, path.substring("/admin".length()), body);
        assertThat(answer.statusCode()).as(method + " " + path).isEqualTo(200);
        assertValid(
            responseSchema(operation, "200"), answer.bodyAsJsonObject(), method + " " + path);
      }
    }
    HttpResponse<Buffer> putTrigger =
        admin(HttpMethod.PUT, "/triggers/77", "{\"active\": false, \"tokens\": [\"t-1\"]}");
    assertValid(
        requestSchema(paths.getJsonObject("/admin/triggers/{id}").getJsonObject("put")),
        new JsonObject("{\"active\": false, \"tokens\": [\"t-1\"]}"),
        "PUT /admin/triggers/{id} body");
    assertValid(
        responseSchema(paths.getJsonObject("/admin/triggers/{id}").getJsonObject("put"), "200"),
        putTrigger.bodyAsJsonObject(),
        "PUT /admin/triggers/{id}");
    assertThat(admin(HttpMethod.DELETE, "/triggers/77", null).statusCode()).isEqualTo(204);
    HttpResponse<Buffer> uploaded =
        admin(HttpMethod.PUT, "/profiles", "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaaa\"}");
    assertValid(
        responseSchema(paths.getJsonObject("/admin/profiles").getJsonObject("put"), "200"),
        uploaded.bodyAsJsonObject(),
        "PUT /admin/profiles");
    HttpResponse<Buffer> refused = gateway.request(HttpMethod.GET, "/admin/faults").send().await();
    assertValid(
        responseSchema(paths.getJsonObject("/admin/faults").getJsonObject("get"), "401"),
        refused.bodyAsJsonObject(),
        "401");
  }

  @Test
  void offUnlessEnabledAndOnlyWithALongTokenOnTheMemoryEngine() {
    try (TestGateway plain = TestGateway.start("")) {
      assertThat(
              plain
                  .request(HttpMethod.GET, "/admin/latency")
                  .putHeader("Authorization", "Bearer " + TOKEN)
                  .send()
                  .await()
                  .statusCode())
          .isEqualTo(404);
    }
    assertThatThrownBy(() -> ConfigLoader.parse("admin: {enabled: true, token: short}"))
        .hasMessageStartingWith("admin.token: at least 16 characters");
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "admin: {enabled: true, token: "
                        + TOKEN
                        + "}\n"
                        + "engine: {type: upstream, upstream: {urls: [http://a:1]}}"))
        .hasMessageStartingWith("admin.enabled: true only with engine.type memory");
  }

  private static void post(long trigger, String who, String requestId) {
    assertThat(
            gateway
                .client
                .post(TestGateway.PATH)
                .putHeader("Content-Type", "application/json")
                .putHeader("Request-ID", requestId)
                .sendBuffer(Buffer.buffer(BATCH.formatted(trigger, who)))
                .await()
                .statusCode())
        .isEqualTo(200);
  }

  private static HttpResponse<Buffer> admin(HttpMethod method, String path, String json) {
    HttpRequest<Buffer> request =
        gateway.request(method, "/admin" + path).putHeader("Authorization", "Bearer " + TOKEN);
    if (json == null) {
      return request.send().await();
    }
    return request
        .putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(json))
        .await();
  }

  private static String metric(String name) {
    String metrics = gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();
    return metrics
        .lines()
        .filter(line -> line.startsWith(name + " "))
        .findFirst()
        .orElseThrow()
        .substring(name.length() + 1);
  }

  /** The HTTP methods of a path item, leaving out its other keys (its parameters). */
  private static List<String> operations(JsonObject pathItem) {
    return pathItem.fieldNames().stream()
        .filter(key -> Set.of("get", "put", "post", "delete", "patch").contains(key))
        .toList();
  }

  private static JsonObject requestSchema(JsonObject operation) {
    return operation
        .getJsonObject("requestBody")
        .getJsonObject("content")
        .getJsonObject("application/json")
        .getJsonObject("schema");
  }

  private static JsonObject responseSchema(JsonObject operation, String status) {
    JsonObject response = operation.getJsonObject("responses").getJsonObject(status);
    if (response.containsKey("$ref")) {
      String name = response.getString("$ref").substring("#/components/responses/".length());
      response = openapi.getJsonObject("components").getJsonObject("responses").getJsonObject(name);
    }
    return response
        .getJsonObject("content")
        .getJsonObject("application/json")
        .getJsonObject("schema");
  }

  /** Validates against a schema of the file, resolving its references within the whole file. */
  private static void assertValid(JsonObject schema, JsonObject value, String what) {
    JsonObject document = openapi.copy();
    for (Iterator<Map.Entry<String, Object>> it = schema.iterator(); it.hasNext(); ) {
      Map.Entry<String, Object> keyword = it.next();
      document.put(keyword.getKey(), keyword.getValue());
    }
    OutputUnit result =
        Validator.create(
                JsonSchema.of(document),
                new JsonSchemaOptions()
                    .setDraft(Draft.DRAFT202012)
                    .setBaseUri("https://trigger-gateway.dev/admin/"))
            .validate(value);
    assertThat(result.getValid()).as(what + ": " + value + " " + result.getErrors()).isTrue();
  }
}
