package dev.triggergate.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.triggergate.GatewayVerticle;
import dev.triggergate.TestGateway;
import dev.triggergate.config.ConfigException;
import dev.triggergate.config.ConfigLoader;
import dev.triggergate.config.GatewayConfig;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/** The edge token allow-list of SPEC §6a, through a real gateway and real connections. */
class AllowListTest {
  private static final String GOOD = "tok-good";
  private static final String UNKNOWN = "tok-unknown-5f0c9e";
  private static final String AUTH = "auth: {allowed_tokens: [" + GOOD + ", tok-other]}\n";
  private static final JsonObject DENIED =
      new JsonObject()
          .put("error", 403)
          .put("error_text", "Access denied")
          .put("error_debug", "token not allowed");

  private static TestGateway gateway;

  @TempDir Path dir;

  /** Where a request carries its token (SPEC §2), and the counter's tag for it. */
  enum Place {
    BODY("body"),
    HEADER("header"),
    QUERY("query");

    final String tag;

    Place(String tag) {
      this.tag = tag;
    }
  }

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(AUTH);
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @ParameterizedTest
  @EnumSource(Place.class)
  void anAllowedTokenReachesTheEngine(Place place) {
    long before = gateway.journal().total();

    HttpResponse<Buffer> response = send(gateway, place, GOOD, null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().getInteger("error")).isEqualTo(0);
    assertThat(response.bodyAsJsonObject().getString("error_text"))
        .isEqualTo("Successful operation");
    assertThat(response.bodyAsJsonObject().getJsonArray("result")).hasSize(1);
    assertThat(gateway.journal().total()).isEqualTo(before + 1);
  }

  @ParameterizedTest
  @EnumSource(Place.class)
  void anUnknownTokenIsDeniedAndCounted(Place place) {
    long before = gateway.journal().total();
    Map<Place, Double> refused = new EnumMap<>(Place.class);
    for (Place each : Place.values()) {
      refused.put(each, refusals(gateway, each));
    }

    HttpResponse<Buffer> response = send(gateway, place, UNKNOWN, null);

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.bodyAsJsonObject()).isEqualTo(DENIED);
    assertThat(gateway.journal().total()).isEqualTo(before);
    for (Place each : Place.values()) {
      double expected = refused.get(each) + (each == place ? 1 : 0);
      assertThat(refusals(gateway, each)).as(each.tag).isEqualTo(expected);
    }
  }

  @Test
  void anUnknownHeaderTokenIsDeniedEvenWhenTheBodyNamesAnAllowedOne() {
    long before = gateway.journal().total();
    double header = refusals(gateway, Place.HEADER);

    HttpResponse<Buffer> response =
        gateway
            .client
            .post(TestGateway.PATH)
            .putHeader("Authorization", "Bearer " + UNKNOWN)
            .sendBuffer(Buffer.buffer(batch(GOOD)))
            .await();

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.bodyAsJsonObject()).isEqualTo(DENIED);
    assertThat(gateway.journal().total()).isEqualTo(before);
    assertThat(refusals(gateway, Place.HEADER)).isEqualTo(header + 1);
  }

  @Test
  void anUnknownBodyTokenIsDeniedEvenWhenTheHeaderCarriesAnAllowedOne() {
    long before = gateway.journal().total();
    double body = refusals(gateway, Place.BODY);

    HttpResponse<Buffer> response =
        gateway
            .client
            .post(TestGateway.PATH + "?token=" + GOOD)
            .putHeader("Authorization", "Bearer " + GOOD)
            .sendBuffer(Buffer.buffer(batch(UNKNOWN)))
            .await();

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.bodyAsJsonObject()).isEqualTo(DENIED);
    assertThat(gateway.journal().total()).isEqualTo(before);
    assertThat(refusals(gateway, Place.BODY)).isEqualTo(body + 1);
  }

  @Test
  void aBodyTokenRefusalIsAnsweredInTheFormatTheBodyAsked() {
    String body =
        "{\"token\":\""
            + UNKNOWN
            + "\",\"format\":\"xml\",\"trigger_id\":8,"
            + "\"data\":[{\"email\":\"a@example.com\"}]}";

    HttpResponse<Buffer> response = gateway.postJson(body);

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.getHeader("Content-Type")).startsWith("application/xml");
    assertThat(response.bodyAsString())
        .contains("<error>403</error>", "<error_text>Access denied</error_text>")
        .doesNotContain(UNKNOWN);
  }

  @ParameterizedTest
  @EnumSource(
      value = Place.class,
      names = {"HEADER", "QUERY"})
  void aHeadTokenIsRefusedBeforeTheBodyIsRead(Place place) {
    long before = gateway.journal().total();
    NetSocket socket = gateway.vertx.createNetClient().connect(gateway.port(), "127.0.0.1").await();
    Buffer answer = Buffer.buffer();
    Promise<Void> closed = Promise.promise();
    socket.handler(answer::appendBuffer);
    socket.closeHandler(v -> closed.complete());
    String target =
        place == Place.QUERY ? TestGateway.PATH + "?token=" + UNKNOWN : TestGateway.PATH;
    String authorization = place == Place.HEADER ? "Authorization: Bearer " + UNKNOWN + "\r\n" : "";

    // A million bytes announced, none sent: only a refusal made on the head can answer this.
    socket
        .write(
            "POST "
                + target
                + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + authorization
                + "Content-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")
        .await();
    // Were the head let through, the gateway would wait for the body: fail fast rather than hang.
    closed.future().timeout(10, TimeUnit.SECONDS).await();

    String text = answer.toString();
    assertThat(text).startsWith("HTTP/1.1 403 Forbidden\r\n").doesNotContain("100 Continue");
    assertThat(text.toLowerCase()).contains("\r\nconnection: close\r\n");
    assertThat(new JsonObject(text.substring(text.indexOf("\r\n\r\n") + 4))).isEqualTo(DENIED);
    assertThat(gateway.journal().total()).isEqualTo(before);
  }

  @Test
  void refusalsAreExportedWithoutTheToken() {
    send(gateway, Place.QUERY, UNKNOWN, null);

    String metrics = gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();

    assertThat(metrics.lines())
        .anyMatch(line -> line.startsWith("gateway_auth_refusals_total{where=\"query\"} "))
        .anyMatch(line -> line.startsWith("gateway_auth_refusals_total{where=\"header\"} "))
        .anyMatch(line -> line.startsWith("gateway_auth_refusals_total{where=\"body\"} "));
    assertThat(metrics).doesNotContain(UNKNOWN);
  }

  @Test
  void theHashesFileAdmitsTheTokensWhoseDigestsItHolds() throws IOException {
    Path file = dir.resolve("tokens.sha256");
    Files.writeString(
        file, "# edge clients\n\n" + TokenAllowListTest.sha256hex("tok-from-file") + "\n");

    try (TestGateway hashed =
        TestGateway.start("auth: {allowed_tokens_file: \"" + file + "\"}\n")) {
      HttpResponse<Buffer> allowed = send(hashed, Place.HEADER, "tok-from-file", null);
      HttpResponse<Buffer> refused = send(hashed, Place.HEADER, GOOD, null);

      assertThat(allowed.statusCode()).isEqualTo(200);
      assertThat(allowed.bodyAsJsonObject().getJsonArray("result")).hasSize(1);
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(refused.bodyAsJsonObject()).isEqualTo(DENIED);
      assertThat(hashed.journal().total()).isEqualTo(1);
    }
  }

  @Test
  void aMalformedHashesFileStopsStartUp() throws IOException {
    Path file = dir.resolve("tokens.sha256");
    Files.writeString(
        file, TokenAllowListTest.sha256hex("tok-a") + "\n# fine so far\nplain-token-by-mistake\n");
    GatewayConfig config =
        ConfigLoader.parse(
            "server: {host: 127.0.0.1, port: 0, event_loops: 1}\n"
                + "auth: {allowed_tokens_file: \""
                + file
                + "\"}\n");
    Vertx vertx = Vertx.vertx();
    try {
      assertThatThrownBy(() -> GatewayVerticle.deploy(vertx, config).await())
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("auth.allowed_tokens_file: line 3 of ")
          .message()
          .doesNotContain("plain-token-by-mistake");
      assertThat(vertx.deploymentIDs()).isEmpty();
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void tokensNeverReachTheLogsWhileRequestsAreLogged() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    root.addAppender(events);
    List<String> ids = new ArrayList<>();
    List<String> accessLines;
    try (TestGateway logged = TestGateway.logged("", AUTH)) {
      for (Place place : Place.values()) {
        String refusedId = "refused-" + place.tag;
        String allowedId = "allowed-" + place.tag;
        assertThat(send(logged, place, UNKNOWN, refusedId).statusCode()).isEqualTo(403);
        assertThat(send(logged, place, GOOD, allowedId).statusCode()).isEqualTo(200);
        ids.add(refusedId);
        ids.add(allowedId);
      }
      for (String id : ids) {
        String line = logged.awaitAccessLine("\"request_id\":\"" + id + "\"");
        int status = id.startsWith("refused") ? 403 : 200;
        assertThat(new JsonObject(line).getInteger("status")).as(id).isEqualTo(status);
        if (id.equals("refused-header") || id.equals("refused-query")) {
          // Refused on the head: not a byte of the body was read.
          assertThat(new JsonObject(line).getLong("bytes_in")).as(id).isZero();
        }
      }
      accessLines = logged.accessLines();
    } finally {
      root.detachAppender(events);
    }
    List<String> all = new ArrayList<>(accessLines);
    events.list.forEach(event -> all.add(event.getFormattedMessage()));
    assertThat(accessLines).hasSize(ids.size());
    assertThat(all).noneMatch(line -> line.contains(UNKNOWN));
    assertThat(all).noneMatch(line -> line.contains(GOOD));
  }

  private static String batch(String token) {
    String field = token == null ? "" : "\"token\":\"" + token + "\",";
    return "{" + field + "\"trigger_id\":8,\"data\":[{\"email\":\"anna@example.com\"}]}";
  }

  private static HttpResponse<Buffer> send(
      TestGateway target, Place place, String token, String requestId) {
    String uri = place == Place.QUERY ? TestGateway.PATH + "?token=" + token : TestGateway.PATH;
    HttpRequest<Buffer> request =
        target.client.post(uri).putHeader("Content-Type", "application/json");
    if (place == Place.HEADER) {
      request.putHeader("Authorization", "Bearer " + token);
    }
    if (requestId != null) {
      request.putHeader("X-Request-ID", requestId);
    }
    return request.sendBuffer(Buffer.buffer(batch(place == Place.BODY ? token : null))).await();
  }

  private static double refusals(TestGateway target, Place place) {
    return target
        .running
        .registry()
        .get("gateway_auth_refusals")
        .tag("where", place.tag)
        .counter()
        .count();
  }
}
