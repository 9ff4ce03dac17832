package dev.triggergate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggergate.engine.upstream.ScriptedUpstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The built fat jar, started as a user starts it, with a config file and an environment. */
class GatewayJarIT {
  private static final Pattern ADMIN_LISTENING = Pattern.compile("admin API on [^:]+:(\\d+)");

  @TempDir Path dir;
  private final List<GatewayProcess> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    started.forEach(GatewayProcess::close);
  }

  @Test
  void jarServesWithConfigFileAndEnvironmentOverride() throws Exception {
    Path conf = dir.resolve("gateway.yaml");
    Files.writeString(
        conf,
        """
        server: {host: 127.0.0.1, port: 8080}
        engine:
          memory:
            auto_profiles: true
            profiles_file: %s
            triggers: [{id: 8, active: true}]
        """
            .formatted(TestGateway.resource("examples/data/profiles.ndjson")));
    GatewayProcess gateway =
        start(conf, "TG_SERVER__PORT", "0", "TG_ENGINE__MEMORY__AUTO_PROFILES", "false");

    HttpResponse<String> ok =
        gateway.post(TestGateway.read("examples/requests/email.json").toString());
    HttpResponse<String> unknown =
        gateway.post("{\"token\":\"t\",\"trigger_id\":9,\"data\":[{\"email\":\"a@b\"}]}");
    HttpResponse<String> unmatched =
        gateway.post("{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"x@y\"}]}");

    assertThat(gateway.port).isNotEqualTo(8080);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body())
        .isEqualTo(
            "{\"error\":0,\"error_text\":\"Successful operation\",\"result\":["
                + "{\"profile_id\":\"6606e08f10bcdd88297057a7\"},"
                + "{\"profile_id\":\"66101437dc4594c2934da6da\"}]}");
    assertThat(unknown.statusCode()).isEqualTo(404);
    // auto_profiles was turned off by the environment: an unknown email matches nothing.
    assertThat(unmatched.body()).contains("\"result\":[]");
    String accessLine = gateway.awaitOutput("\"status\":200");
    assertThat(accessLine).contains("\"trigger_id\":8").contains("\"token_hash\":\"");
    assertThat(accessLine).doesNotContain("tok-demo-1");
  }

  @Test
  void jarInFrontOfAnotherRelaysItsAnswersAndShieldsItFromBadBatches() throws Exception {
    Path altcraftConf = dir.resolve("altcraft.yaml");
    Files.writeString(
        altcraftConf,
        """
        server: {host: 127.0.0.1, port: 0}
        engine:
          memory: {auto_profiles: false, profiles_file: %s, triggers: [{id: 8, active: true}]}
        """
            .formatted(TestGateway.resource("examples/data/profiles.ndjson")));
    GatewayProcess altcraft = start(altcraftConf);
    Path edgeConf = dir.resolve("edge.yaml");
    Files.writeString(edgeConf, "server: {host: 127.0.0.1, port: 0}\n");
    GatewayProcess edge =
        start(
            edgeConf,
            "TG_ENGINE__TYPE",
            "upstream",
            "TG_ENGINE__UPSTREAM__URLS",
            "http://127.0.0.1:" + altcraft.port);
    String batch = TestGateway.read("examples/requests/email.json").toString();

    HttpResponse<String> relayed = edge.post(batch);
    HttpResponse<String> refused = edge.post("{\"token\":\"t\",\"trigger_id\":8,\"data\":[]}");
    HttpResponse<String> unknownTrigger =
        edge.post("{\"token\":\"t\",\"trigger_id\":5,\"data\":[{\"email\":\"a@b\"}]}");

    assertThat(relayed.statusCode()).isEqualTo(200);
    assertThat(relayed.body()).isEqualTo(altcraft.post(batch).body());
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(unknownTrigger.statusCode()).isEqualTo(404);
    assertThat(unknownTrigger.body()).contains("trigger 5 does not exist");
    assertThat(edge.get("/ready").statusCode()).isEqualTo(200);
    // The upstream saw the two batches that passed the edge, then the direct one: never the 400.
    String forwarded = altcraft.awaitOutput("\"path\":\"" + TestGateway.PATH);
    assertThat(forwarded).contains("\"status\":200");
    assertThat(altcraft.awaitOutput("\"path\":\"" + TestGateway.PATH)).contains("\"status\":404");
    assertThat(altcraft.awaitOutput("\"path\":\"" + TestGateway.PATH)).contains("\"status\":200");

    // A client's retry is answered by the edge: Altcraft logs the first, then the next request.
    HttpResponse<String> first = edge.post(batch, "retry-1");
    HttpResponse<String> retry = edge.post(batch, "retry-1");
    altcraft.post(batch, "after-retry");

    assertThat(retry.headers().firstValue("Duplicate-Request")).hasValue("true");
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(edge.awaitOutput("\"duplicate\":true")).contains("\"request_id\":\"retry-1\"");
    assertThat(altcraft.awaitOutput("\"path\":\"" + TestGateway.PATH)).contains("retry-1");
    assertThat(altcraft.awaitOutput("\"path\":\"" + TestGateway.PATH)).contains("after-retry");
  }

  @Test
  void jarRelaysAnAnswerFramedTwoWaysAsOneWellFramedAnswer() throws Exception {
    String envelope = "{\"error\":0,\"error_text\":\"Successful operation\",\"result\":[]}";
    String framedTwice =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            + "Content-Length: 5\r\n\r\n"
            + Integer.toHexString(envelope.length())
            + "\r\n"
            + envelope
            + "\r\n0\r\n\r\n";
    Vertx vertx = Vertx.vertx();
    try (ScriptedUpstream upstream =
        ScriptedUpstream.start(
            vertx,
            List.of(
                ScriptedUpstream.answer(ScriptedUpstream.send(framedTwice)),
                ScriptedUpstream.answer(
                    ScriptedUpstream.http("200 OK\r\n", "{\"second\":true}"))))) {
      Path conf = dir.resolve("edge.yaml");
      Files.writeString(conf, "server: {host: 127.0.0.1, port: 0}\n");
      GatewayProcess edge =
          start(conf, "TG_ENGINE__TYPE", "upstream", "TG_ENGINE__UPSTREAM__URLS", upstream.url());
      String batch = TestGateway.read("examples/requests/email.json").toString();
      String request =
          "POST "
              + TestGateway.PATH
              + " HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\n"
              + "Content-Length: "
              + batch.getBytes(StandardCharsets.UTF_8).length
              + "\r\n\r\n"
              + batch;

      try (RawHttp client = RawHttp.open(edge.port)) {
        client.send(request).readResponses(1, RawHttp.BOUND);
        RawHttp.Exchange answers = client.send(request).readResponses(2, RawHttp.BOUND);

        // Two answers, each framed by its own length, nothing left over: the client stays in step.
        assertThat(answers.whole()).isTrue();
        assertThat(answers.responses()).hasSize(2);
        assertThat(answers.responses().get(0).header("Content-Length"))
            .isEqualTo(Integer.toString(envelope.length()));
        assertThat(answers.responses().get(0).bodyText()).isEqualTo(envelope);
        assertThat(answers.responses().get(1).bodyText()).isEqualTo("{\"second\":true}");
      }
      assertThat(upstream.received())
          .extracting(ScriptedUpstream.Received::connection)
          .containsExactly(0, 0);
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void invalidConfigurationStopsStartUpNamingTheKey() throws Exception {
    Path conf = dir.resolve("bad.yaml");
    Files.writeString(conf, "server: {port: 99999}\n");

    Process process =
        new ProcessBuilder("java", "-jar", GatewayProcess.JAR, "--conf", conf.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    process.destroyForcibly();
    assertThat(exited).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(output)
        .contains("invalid configuration: server.port: expected an integer from 0 to 65535");
  }

  @Test
  void sigtermDrainsTheRequestInFlightThenExits() throws Exception {
    Path conf = dir.resolve("gateway.yaml");
    Files.writeString(conf, "server: {host: 127.0.0.1, port: 0}\n");
    GatewayProcess gateway = start(conf);
    String body = "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}]}";

    try (Socket socket = new Socket("127.0.0.1", gateway.port)) {
      OutputStream out = socket.getOutputStream();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      out.write(
          ("POST "
                  + TestGateway.PATH
                  + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                  + body.length()
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // "100 Continue" comes from the body reader: the request is in the pipeline now.
      assertThat(in.readLine()).isEqualTo("HTTP/1.1 100 Continue");
      // SIGTERM through the handle: Process.destroy() would also close our end of its output.
      gateway.process.toHandle().destroy();
      gateway.awaitOutput("draining");
      out.write(body.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      StringBuilder answer = new StringBuilder();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        answer.append(line).append('\n');
      }

      assertThat(answer.toString().trim())
          .startsWith("HTTP/1.1 200")
          .contains("Successful operation");
    }
    assertThat(gateway.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(gateway.process.exitValue()).as("a clean drain exits 0").isZero();
  }

  @Test
  void sigtermWithFiftyAnswersHeldByInjectedLatencyAnswersEveryOneRefusesNewConnectionsExitsZero()
      throws Exception {
    Path conf = dir.resolve("gateway.yaml");
    Files.writeString(
        conf,
        "server: {host: 127.0.0.1, port: 0}\n"
            + "engine: {memory: {latency: {distribution: fixed, fixed_ms: 3000}}}\n");
    GatewayProcess gateway = start(conf);
    String body = "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}]}";
    Vertx clients = Vertx.vertx();
    try {
      WebClient client =
          WebClient.create(
              clients,
              new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(gateway.port),
              new PoolOptions().setHttp1MaxSize(50));
      List<Future<io.vertx.ext.web.client.HttpResponse<Buffer>>> answers = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        answers.add(
            client
                .post(TestGateway.PATH)
                .putHeader("Content-Type", "application/json")
                .putHeader("Request-ID", "held-" + i)
                .sendBuffer(Buffer.buffer(body)));
      }
      while (!gateway.get("/metrics").body().contains("gateway_delayed_answers 50.0")) {
        assertThat(Future.any(answers).isComplete()).as("answered before the signal").isFalse();
      }

      gateway.process.toHandle().destroy();
      gateway.awaitOutput("draining");
      // The listener closes: a new connection is refused while the fifty still wait.
      boolean refused = false;
      while (!refused) {
        try (Socket socket = new Socket("127.0.0.1", gateway.port)) {
          assertThat(Future.any(answers).isComplete()).as("answered before refusing").isFalse();
        } catch (java.net.ConnectException expected) {
          refused = true;
        }
      }
      Future.all(answers).await();

      assertThat(answers)
          .allSatisfy(answer -> assertThat(answer.result().statusCode()).isEqualTo(200));
    } finally {
      clients.close().await();
    }
    assertThat(gateway.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(gateway.process.exitValue()).as("a clean drain exits 0").isZero();
    // Every drained request is in the access log, written out before the drain was done.
    gateway.awaitOutput("- drained");
    List<String> output = gateway.output();
    for (int i = 0; i < 50; i++) {
      String id = "\"request_id\":\"held-" + i + "\"";
      assertThat(output)
          .as("the access line of held-%d", i)
          .anyMatch(line -> line.contains(id) && line.contains("\"status\":200"));
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void fortyConcurrentTenMebibyteBatchesOnA512MebibyteHeapAreAllAnswered() throws Exception {
    GatewayProcess gateway = startOnSmallHeap();
    byte[] body = batchOfEmails(10 * 1024 * 1024 - 100 * 1024);

    Map<Integer, Integer> statuses = sendConcurrently(gateway, body, 40);

    assertEveryAnswerWas200Or503(gateway, statuses, 40);
    assertThat(statuses.getOrDefault(200, 0)).as("some batches are served").isPositive();
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void fortyConcurrentUploadsOf95MebibytesOnA512MebibyteHeapAreAllAnswered() throws Exception {
    GatewayProcess gateway = startOnSmallHeap();
    byte[] body = batchWithFile(95 * 1024 * 1024);

    Map<Integer, Integer> statuses = sendConcurrently(gateway, body, 40);

    assertEveryAnswerWas200Or503(gateway, statuses, 40);
    assertThat(statuses.getOrDefault(200, 0)).as("some uploads are served").isPositive();
  }

  @Test
  void aThirtyMebibyteFileIsAcceptedOnA512MebibyteHeap() throws Exception {
    GatewayProcess gateway = startOnSmallHeap();

    Map<Integer, Integer> statuses = sendConcurrently(gateway, batchWithFile(30 * 1024 * 1024), 1);

    assertThat(statuses).containsExactly(Map.entry(200, 1));
  }

  /**
   * 48 MiB of profiles, 1.17 million of them, on a 256 MiB heap: their set takes about 150 MiB, so
   * the upload fits only if it is parsed as it streams in (read whole, it needed over 300 MiB). On
   * the admin port, which SIGTERM then drains and closes with the rest.
   */
  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aFortyEightMebibyteProfileUploadFitsA256MebibyteHeapAndSigtermClosesTheAdminPort()
      throws Exception {
    Path conf = dir.resolve("gateway.yaml");
    Files.writeString(
        conf,
        "server: {host: 127.0.0.1, port: 0}\n"
            + "admin: {enabled: true, token: admin-token-0123456789, port: 0}\n"
            + "engine: {memory: {auto_profiles: false}}\n");
    GatewayProcess gateway =
        start(List.of("-Xmx256m", "-Xlog:gc:file=" + dir.resolve("gc.log")), conf);
    // Printed right after the main port, so already seen once start() has had an answer there.
    Matcher admin =
        ADMIN_LISTENING.matcher(
            gateway.output().stream()
                .filter(line -> line.contains("admin API on"))
                .findFirst()
                .orElseThrow());
    assertThat(admin.find()).isTrue();
    int adminPort = Integer.parseInt(admin.group(1));
    Path upload = dir.resolve("profiles.ndjson");
    int count = 0;
    try (var out = Files.newBufferedWriter(upload, StandardCharsets.US_ASCII)) {
      for (long written = 0; written < 48L << 20; count++) {
        String line = String.format("{\"profile_id\": \"%024x\"}%n", count);
        out.write(line);
        written += line.length();
      }
    }

    HttpResponse<String> uploaded =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/admin/profiles"))
                .timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer admin-token-0123456789")
                .header("Content-Type", "application/x-ndjson")
                .PUT(HttpRequest.BodyPublishers.ofFile(upload))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    long peakMiB = peakHeapMiB(dir.resolve("gc.log"));
    System.out.println("profile upload: " + uploaded.body() + ", peak heap " + peakMiB + " MiB");

    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
    assertThat(uploaded.body()).isEqualTo("{\"profiles\":" + count + "}");
    assertThat(gateway.output()).noneMatch(line -> line.contains("OutOfMemoryError"));
    gateway.process.toHandle().destroy();
    assertThat(gateway.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(gateway.process.exitValue()).as("a clean drain exits 0").isZero();
    assertThatThrownBy(() -> new Socket("127.0.0.1", adminPort).close())
        .isInstanceOf(java.net.ConnectException.class);
  }

  @Test
  void budgetsThatCannotFitTheHeapAreWarnedAboutAtStartUp() throws Exception {
    Path conf = dir.resolve("gateway.yaml");
    Files.writeString(
        conf,
        "server: {host: 127.0.0.1, port: 0}\n"
            + "limits: {max_in_flight_bytes: 200000000, max_decoding_bytes: 200000000}\n");

    GatewayProcess gateway = start(List.of("-Xmx256m"), conf);

    assertThat(gateway.output())
        .anyMatch(
            line ->
                line.contains("WARN")
                    && line.contains("exceed three quarters of the heap")
                    && line.contains("-Xmx762m"));
  }

  private GatewayProcess startOnSmallHeap() throws IOException, InterruptedException {
    Path conf = dir.resolve("gateway.yaml");
    // One client thread feeds forty uploads: the one being read can fall below the default minimum
    // body rate while the client writes the others, and a 408 is then the right answer. These
    // cases are about the heap, so the minimum is off.
    Files.writeString(conf, "server: {host: 127.0.0.1, port: 0, body_min_bytes_per_second: 0}\n");
    return start(List.of("-Xmx512m", "-Xlog:gc:file=" + dir.resolve("gc.log")), conf);
  }

  /**
   * Sends {@code count} copies at once, whole bodies without {@code Expect: 100-continue} (the
   * harder case: refused bodies keep arriving); every one must be answered within the bound.
   */
  private Map<Integer, Integer> sendConcurrently(GatewayProcess gateway, byte[] body, int count)
      throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      answers.add(
          client.sendAsync(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + gateway.port + TestGateway.PATH))
                  .timeout(Duration.ofSeconds(120))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    Map<Integer, Integer> statuses = new TreeMap<>();
    for (CompletableFuture<HttpResponse<String>> answer : answers) {
      HttpResponse<String> response = answer.get(180, TimeUnit.SECONDS);
      statuses.merge(response.statusCode(), 1, Integer::sum);
      if (response.statusCode() == 503) {
        assertThat(response.body()).contains("\"error\":503");
      }
    }
    return statuses;
  }

  private void assertEveryAnswerWas200Or503(
      GatewayProcess gateway, Map<Integer, Integer> statuses, int count) throws Exception {
    long peakMiB = peakHeapMiB(dir.resolve("gc.log"));
    System.out.println("answers by status " + statuses + ", peak heap " + peakMiB + " MiB");
    assertThat(statuses.keySet()).isSubsetOf(200, 503);
    assertThat(statuses.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(count);
    assertThat(gateway.get("/health").statusCode()).isEqualTo(200);
    assertThat(
            gateway
                .post("{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}]}")
                .statusCode())
        .isEqualTo(200);
    assertThat(gateway.output()).noneMatch(line -> line.contains("OutOfMemoryError"));
    assertThat(peakMiB).isLessThanOrEqualTo(512);
  }

  /** The most heap in use before any collection, from the JVM's own GC log. */
  private static long peakHeapMiB(Path gcLog) throws IOException {
    Matcher matcher = HEAP_BEFORE_GC.matcher(Files.readString(gcLog));
    long peak = 0;
    while (matcher.find()) {
      peak = Math.max(peak, Long.parseLong(matcher.group(1)));
    }
    return peak;
  }

  private static final Pattern HEAP_BEFORE_GC = Pattern.compile("(\\d+)M->\\d+M\\(\\d+M\\)");

  private static byte[] batchOfEmails(int size) {
    StringBuilder body = new StringBuilder(size);
    body.append("{\"token\":\"t\",\"trigger_id\":8,\"data\":[");
    for (int i = 0; body.length() < size - 64; i++) {
      body.append(i > 0 ? "," : "").append("{\"email\":\"user").append(i).append("@example.com\"}");
    }
    return body.append("]}").toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] batchWithFile(int size) {
    byte[] prefix =
        ("{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}],"
                + "\"attach\":[{\"name\":\"big.bin\",\"data\":\"data:application/octet-stream;base64,")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] suffix = "\"}]}".getBytes(StandardCharsets.US_ASCII);
    byte[] body = new byte[size];
    Arrays.fill(body, (byte) 'A');
    System.arraycopy(prefix, 0, body, 0, prefix.length);
    System.arraycopy(suffix, 0, body, size - suffix.length, suffix.length);
    return body;
  }

  private GatewayProcess start(Path conf, String... env) throws IOException, InterruptedException {
    return start(List.of("-Xmx256m"), conf, env);
  }

  private GatewayProcess start(List<String> jvmArgs, Path conf, String... env)
      throws IOException, InterruptedException {
    GatewayProcess gateway = GatewayProcess.start(jvmArgs, conf, env);
    started.add(gateway);
    return gateway;
  }
}
