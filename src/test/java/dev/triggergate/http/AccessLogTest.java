package dev.triggergate.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggergate.RawHttp;
import dev.triggergate.TestGateway;
import dev.triggergate.config.ConfigException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The access line of real requests, read back from the gateway's access log file. */
class AccessLogTest {
  private static final String BATCH =
      "{\"token\":\"tok-demo-1\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"},"
          + "{\"email\":\"b@example.com\"}]}";

  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    // URIs up to 16 KiB: longer than a line carries of one.
    gateway = TestGateway.logged("max_uri_bytes: 16384", "");
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  void aLaunchIsOneJsonLineWithEveryField() {
    Instant before = Instant.now().minusMillis(1);
    String id = "launch-" + System.nanoTime();
    exchange(RawHttp.jsonPost(TestGateway.PATH, "Request-ID: " + id + "\r\n", BATCH));

    JsonObject line = new JsonObject(gateway.awaitAccessLine("\"request_id\":\"" + id + "\""));
    assertThat(line.fieldNames())
        .containsExactly(
            "time",
            "request_id",
            "method",
            "path",
            "status",
            "error",
            "latency_ms",
            "bytes_in",
            "bytes_out",
            "client",
            "trigger_id",
            "items",
            "token_hash");
    assertThat(Instant.parse(line.getString("time"))).isBetween(before, Instant.now());
    assertThat(line.getString("method")).isEqualTo("POST");
    assertThat(line.getString("path")).isEqualTo(TestGateway.PATH);
    assertThat(line.getInteger("status")).isEqualTo(200);
    assertThat(line.getInteger("error")).isZero();
    assertThat(line.getDouble("latency_ms")).isPositive();
    assertThat(line.getLong("bytes_in")).isEqualTo(BATCH.length());
    assertThat(line.getLong("bytes_out")).isPositive();
    assertThat(line.getString("client")).isEqualTo("127.0.0.1");
    assertThat(line.getInteger("trigger_id")).isEqualTo(8);
    assertThat(line.getInteger("items")).isEqualTo(2);
    assertThat(line.getString("token_hash")).isEqualTo(AccessLog.tokenHash("tok-demo-1"));
  }

  @Test
  void aRepeatIsMarkedAsOne() {
    String id = "repeat-" + System.nanoTime();
    exchange(RawHttp.jsonPost(TestGateway.PATH, "Request-ID: " + id + "\r\n", BATCH));
    exchange(RawHttp.jsonPost(TestGateway.PATH, "Request-ID: " + id + "\r\n", BATCH));
    gateway.awaitAccessLine("\"duplicate\":true");
    assertThat(gateway.accessLines())
        .filteredOn(line -> line.contains("\"request_id\":\"" + id + "\""))
        .hasSize(2)
        .filteredOn(line -> line.contains("\"duplicate\":true"))
        .hasSize(1);
  }

  /** What the client chose (its request id, the path) is escaped, so the line stays one object. */
  @Test
  void quotesAndBackslashesFromTheClientStayInsideTheirStrings() {
    String id = "q\"uo\\te-" + System.nanoTime();
    String path = "/no\"such\\path";
    exchange(RawHttp.jsonPost(path, "Request-ID: " + id + "\r\n", BATCH));

    String raw = gateway.awaitAccessLine("\"path\":\"/no\\\"such\\\\path\"");
    JsonObject line = new JsonObject(raw);
    assertThat(line.getString("request_id")).isEqualTo(id);
    assertThat(line.getString("path")).isEqualTo(path);
    assertThat(line.getInteger("status")).isEqualTo(404);
    assertThat(line.getInteger("error")).isNotZero();
  }

  /** A URI within the server's caps may be longer than a line should carry: it is cut, said so. */
  @Test
  void aVeryLongPathIsLoggedCutAndMarked() {
    String id = "long-" + System.nanoTime();
    String path = "/" + "p".repeat(6_000);
    exchange(RawHttp.jsonPost(path, "Request-ID: " + id + "\r\n", BATCH));

    JsonObject line = new JsonObject(gateway.awaitAccessLine("\"request_id\":\"" + id + "\""));
    assertThat(line.getString("path")).isEqualTo(path.substring(0, AccessLog.FIELD_MAX_CHARS));
    assertThat(line.getBoolean("truncated")).isTrue();
    assertThat(line.getInteger("status")).isEqualTo(404);
  }

  /** vertx-web fails these before any route runs: they are requests all the same (SPEC §8). */
  @ParameterizedTest
  @ValueSource(strings = {"*", "x", "h:80"})
  void aTargetNoRouteSeesIsLoggedToo(String target) {
    String id = "unrouted-" + System.nanoTime();
    RawHttp.Response answer =
        exchange("GET " + target + " HTTP/1.1\r\nHost: x\r\nRequest-ID: " + id + "\r\n\r\n");

    assertThat(answer.status()).isBetween(400, 499);
    JsonObject line = new JsonObject(gateway.awaitAccessLine("\"request_id\":\"" + id + "\""));
    assertThat(line.getInteger("status")).isEqualTo(answer.status());
    assertThat(line.getInteger("error")).isEqualTo(answer.status());
  }

  @Test
  void aPathThatCannotBeWrittenStopsStartUpNamingTheKey(@TempDir Path dir) {
    String missing = dir.resolve("no-such-dir").resolve("access.log").toString();
    assertThatThrownBy(
            () -> TestGateway.start("access_log: {enabled: true, path: '" + missing + "'}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("access_log.path: cannot append to " + missing);
  }

  private static RawHttp.Response exchange(String request) {
    try (RawHttp connection = RawHttp.open(gateway.port())) {
      return connection.send(request).readResponses(1, Duration.ofSeconds(10)).first();
    }
  }
}
