package dev.triggergate.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggergate.GatewayVerticle;
import dev.triggergate.RawHttp;
import dev.triggergate.TestGateway;
import dev.triggergate.config.ConfigLoader;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin API on a port of its own ({@code admin.port}): served there alone and behind its token,
 * answered on the main port as any unknown path, guarded at the edge as the main port is, and
 * started and drained with the gateway.
 */
class AdminPortTest {
  private static final String TOKEN = "admin-token-0123456789";
  private static final String ADMIN = "admin: {enabled: true, token: " + TOKEN + ", port: 0}\n";
  private static final String BATCH =
      "{\"token\":\"t\",\"trigger_id\":%d,\"data\":[{\"email\":\"anna@example.com\"}]}";

  private static TestGateway gateway;
  private static WebClient admin;

  @BeforeAll
  static void start() {
    gateway =
        TestGateway.start(
            "head_timeout_ms: 500", ADMIN + "engine: {memory: {triggers: [{id: 8}]}}\n");
    admin = client(gateway.vertx, gateway.adminPort());
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  void theAdminApiAnswersOnItsOwnPortBehindItsTokenAndItsChangesReachTheMainPort() {
    HttpResponse<Buffer> none = admin.get("/admin/triggers").send().await();
    HttpResponse<Buffer> wrong =
        admin.get("/admin/triggers").bearerTokenAuthentication(TOKEN + "x").send().await();
    HttpResponse<Buffer> listed = withToken(admin.get("/admin/triggers")).send().await();
    HttpResponse<Buffer> added =
        withToken(admin.put("/admin/triggers/12")).sendBuffer(Buffer.buffer("{}")).await();

    assertThat(gateway.adminPort()).isPositive().isNotEqualTo(gateway.port());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.bodyAsJsonObject().getInteger("error")).isEqualTo(401);
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(wrong.bodyAsJsonObject().getInteger("error")).isEqualTo(403);
    assertThat(listed.statusCode()).isEqualTo(200);
    assertThat(listed.bodyAsJsonObject().getJsonArray("triggers")).hasSize(1);
    assertThat(added.statusCode()).isEqualTo(200);
    // The same engine behind both ports: the trigger added on one is launched through the other.
    assertThat(gateway.postJson(BATCH.formatted(12)).statusCode()).isEqualTo(200);
    assertThat(withToken(admin.delete("/admin/triggers/12")).send().await().statusCode())
        .isEqualTo(204);
    assertThat(gateway.postJson(BATCH.formatted(12)).statusCode()).isEqualTo(404);
  }

  @Test
  void theMainPortAnswersAdminPathsAsAnyPathItDoesNotServe() {
    JsonObject unknown =
        gateway.request(HttpMethod.GET, "/nowhere").send().await().bodyAsJsonObject();
    for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.PUT, HttpMethod.DELETE)) {
      for (String path : List.of("/admin/latency", "/admin/triggers/8", "/admin/journal")) {
        HttpRequest<Buffer> request =
            gateway.request(method, path).bearerTokenAuthentication(TOKEN);
        HttpResponse<Buffer> answer =
            (method == HttpMethod.PUT ? request.sendBuffer(Buffer.buffer("{}")) : request.send())
                .await();

        assertThat(answer.statusCode()).as(method + " " + path).isEqualTo(404);
        assertThat(answer.bodyAsJsonObject())
            .as(method + " " + path)
            .isEqualTo(unknown.copy().put("error_debug", "no such path: " + path));
      }
    }
    // Nothing was changed through the main port.
    assertThat(
            withToken(admin.get("/admin/triggers"))
                .send()
                .await()
                .bodyAsJsonObject()
                .getJsonArray("triggers"))
        .hasSize(1);
  }

  @Test
  void theAdminPortServesTheAdminApiAndNothingElse() {
    long launchedBefore = gateway.journal().total();

    HttpResponse<Buffer> batch =
        withToken(admin.post(TestGateway.PATH))
            .putHeader("Content-Type", "application/json")
            .sendBuffer(Buffer.buffer(BATCH.formatted(8)))
            .await();

    assertThat(batch.statusCode()).isEqualTo(404);
    assertThat(batch.bodyAsJsonObject().getString("error_debug"))
        .isEqualTo("no such path: " + TestGateway.PATH);
    for (String path : List.of("/health", "/ready", "/metrics", "/")) {
      HttpResponse<Buffer> answer = withToken(admin.get(path)).send().await();
      assertThat(answer.statusCode()).as(path).isEqualTo(404);
      assertThat(answer.bodyAsJsonObject().getInteger("error")).as(path).isEqualTo(404);
    }
    assertThat(gateway.journal().total()).isEqualTo(launchedBefore);
    // While the main port serves them.
    assertThat(gateway.request(HttpMethod.GET, "/health").send().await().statusCode())
        .isEqualTo(200);
    assertThat(gateway.postJson(BATCH.formatted(8)).statusCode()).isEqualTo(200);
  }

  @Test
  void theAdminPortRefusesWhatTheMainPortRefusesAtTheEdge() {
    try (RawHttp smuggler = RawHttp.open(gateway.adminPort());
        RawHttp large = RawHttp.open(gateway.adminPort());
        RawHttp slow = RawHttp.open(gateway.adminPort())) {
      smuggler.send(
          "PUT /admin/latency HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "
              + TOKEN
              + "\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}");
      large.send(
          "GET /admin/latency HTTP/1.1\r\nHost: gw\r\nX-Filler: " + "a".repeat(9_000) + "\r\n\r\n");
      // A head 30 bytes long, a byte every 100 ms: the 500 ms head deadline cuts it.
      slow.trickle("GET /admin/latency HTTP/1.1\r\nHo", Duration.ofMillis(100));

      RawHttp.Exchange smuggled = smuggler.readUntilClosed();
      RawHttp.Exchange tooLarge = large.readUntilClosed();
      RawHttp.Exchange cut = slow.readUntilClosed(Duration.ofSeconds(8));

      assertEnvelopeThenClose(smuggled, 400);
      assertThat(smuggled.first().bodyText()).contains("Content-Length together with");
      assertEnvelopeThenClose(tooLarge, 431);
      assertEnvelopeThenClose(cut, 408);
      assertThat(cut.closedAfter()).isBetween(Duration.ofMillis(450), Duration.ofSeconds(8));
    }
  }

  @Test
  void aTakenAdminPortFailsTheStartAndLeavesNoListenerBehind() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, loopback());
        ServerSocket free = new ServerSocket(0, 1, loopback())) {
      int mainPort = free.getLocalPort();
      free.close();
      Vertx vertx = Vertx.vertx();
      try {
        Future<GatewayVerticle.Running> started =
            GatewayVerticle.deploy(
                vertx,
                ConfigLoader.parse(
                    "server: {host: 127.0.0.1, port: "
                        + mainPort
                        + ", event_loops: 2}\n"
                        + "access_log: {enabled: false}\n"
                        + "admin: {enabled: true, token: "
                        + TOKEN
                        + ", port: "
                        + taken.getLocalPort()
                        + "}\n"));

        assertThatThrownBy(started::await).hasMessageContaining("Address already in use");
        assertThat(vertx.deploymentIDs()).isEmpty();
        // The main listener that did open is closed with the failed deployment (its close hooks
        // may still be running when the failure is reported).
        awaitRefused(mainPort);
      } finally {
        vertx.close().await();
      }
    }
  }

  @Test
  void undeployingDrainsAnAdminRequestInFlightThenClosesTheAdminPort() {
    TestGateway draining =
        TestGateway.start(
            "event_loops: 1, shutdown_timeout_ms: 10000", ADMIN + "engine: {memory: {}}\n");
    int port = draining.adminPort();
    try (RawHttp upload = RawHttp.open(port)) {
      String first = "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa1\"}\n";
      String second = "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa2\"}\n";
      RawHttp.Exchange continued =
          upload
              .send(
                  "PUT /admin/profiles HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "
                      + TOKEN
                      + "\r\nExpect: 100-continue\r\nContent-Length: "
                      + (first.length() + second.length())
                      + "\r\n\r\n")
              .readResponses(1, RawHttp.BOUND);
      // Told to go on: the upload is being read when the drain begins.
      assertThat(continued.first().status()).as(continued.toString()).isEqualTo(100);
      upload.send(first);
      CompletableFuture<Void> undeployed =
          draining
              .vertx
              .undeploy(draining.running.deploymentId())
              .toCompletionStage()
              .toCompletableFuture();
      awaitRefused(port);

      RawHttp.Exchange answer = upload.send(second).readResponses(2, RawHttp.BOUND);

      assertThat(answer.responses()).as(answer.toString()).hasSize(2);
      assertThat(answer.responses().get(1).status()).isEqualTo(200);
      assertThat(new JsonObject(answer.responses().get(1).bodyText()).getInteger("profiles"))
          .isEqualTo(2);
      RawHttp.await(undeployed, RawHttp.BOUND);
      assertThatThrownBy(() -> new Socket(loopback(), port).close())
          .isInstanceOf(ConnectException.class);
    } finally {
      draining.close();
    }
  }

  @Test
  void theAdminPortSpeaksTlsWhenTheServerDoes() {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    try (TestGateway tls =
        TestGateway.start(
            "tls: {cert_chain: '%s', key: '%s'}"
                .formatted(certificate.certificatePath(), certificate.privateKeyPath()),
            ADMIN)) {
      WebClient secure =
          WebClient.create(
              tls.vertx,
              new WebClientOptions()
                  .setDefaultHost("127.0.0.1")
                  .setDefaultPort(tls.adminPort())
                  .setSsl(true)
                  .setTrustAll(true)
                  .setVerifyHost(false));

      HttpResponse<Buffer> overTls =
          secure.get("/admin/latency").bearerTokenAuthentication(TOKEN).send().await();

      assertThat(overTls.statusCode()).isEqualTo(200);
      try (RawHttp plain = RawHttp.open(tls.adminPort())) {
        RawHttp.Exchange refused =
            plain
                .send("GET /admin/latency HTTP/1.1\r\nHost: gw\r\n\r\n")
                .readUntilClosed(RawHttp.BOUND);
        assertThat(refused.responses())
            .as("no HTTP answer in the clear: %s", refused)
            .noneMatch(response -> response.status() > 0);
      }
    } finally {
      certificate.delete();
    }
  }

  /** Waits until nothing accepts connections on {@code port} (the drain closed it), boundedly. */
  private static void awaitRefused(int port) {
    long deadline = System.nanoTime() + RawHttp.BOUND.toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(loopback(), port), 1_000);
      } catch (ConnectException refused) {
        return;
      } catch (IOException resetWhileClosing) {
        // Accepted just before the listener closed, and cut: try again.
      }
    }
    throw new AssertionError("port " + port + " still accepts connections");
  }

  private static void assertEnvelopeThenClose(RawHttp.Exchange exchange, int status) {
    assertThat(exchange.closedByServer()).as("closed: %s", exchange).isTrue();
    assertThat(exchange.responses()).as("one answer: %s", exchange).hasSize(1);
    assertThat(exchange.first().status()).as("%s", exchange).isEqualTo(status);
    assertThat(new JsonObject(exchange.first().bodyText()).getInteger("error")).isEqualTo(status);
  }

  private static java.net.InetAddress loopback() {
    return java.net.InetAddress.getLoopbackAddress();
  }

  private static HttpRequest<Buffer> withToken(HttpRequest<Buffer> request) {
    return request.bearerTokenAuthentication(TOKEN);
  }

  private static WebClient client(Vertx vertx, int port) {
    return WebClient.create(
        vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
  }
}
