package dev.triggergate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.config.ConfigLoader;
import dev.triggergate.config.GatewayConfig;
import dev.triggergate.engine.memory.Journal;
import dev.triggergate.engine.memory.MemoryEngine;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real gateway on a free loopback port, with a real HTTP client pointed at it. */
public final class TestGateway implements AutoCloseable {
  public static final String PATH = "/api/v1.1/campaigns/triggers/start_batch";

  /** The profiles of {@code examples/data/profiles.ndjson}. */
  public static final String ANNA = "6606e08f10bcdd88297057a7";

  public static final String BORIS = "66101437dc4594c2934da6da";
  public static final String THIRD = "6611a0c4e7b1f2a3b4c5d6e7";

  /** The sample profiles with the triggers the examples use, and nothing generated. */
  public static final String SAMPLE_ENGINE =
      """
      engine:
        memory:
          auto_profiles: false
          profiles_file: %s
          triggers:
            - {id: 8, active: true}
            - {id: 96, active: true}
            - {id: 7, active: false}
            - {id: 9, active: true, tokens: [tok-vip]}
      """
          .formatted(resource("examples/data/profiles.ndjson"));

  public final Vertx vertx;
  public final GatewayVerticle.Running running;
  public final WebClient client;
  private final GatewayConfig config;

  private TestGateway(Vertx vertx, GatewayVerticle.Running running, GatewayConfig config) {
    this.vertx = vertx;
    this.running = running;
    this.config = config;
    this.client =
        WebClient.create(
            vertx,
            new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(running.port()),
            new PoolOptions().setHttp1MaxSize(64));
  }

  /** Starts a gateway with the given YAML (without a {@code server} section) on port 0. */
  public static TestGateway start(String yaml) {
    return start("", yaml);
  }

  /**
   * Starts a gateway on port 0 with more of the {@code server} section.
   *
   * @param server entries added to the {@code server} mapping in YAML flow style, e.g. {@code "h2c:
   *     true, tls: {cert_chain: a.pem, key: b.pem}"}; empty for none
   * @param yaml the rest of the configuration, without a {@code server} section
   */
  public static TestGateway start(String server, String yaml) {
    GatewayConfig config =
        ConfigLoader.parse(
            "server: {host: 127.0.0.1, port: 0, event_loops: 2"
                + (server.isEmpty() ? "" : ", " + server)
                + "}\n"
                + "access_log: {enabled: false}\n"
                + yaml);
    Vertx vertx = Vertx.vertx();
    try {
      return new TestGateway(vertx, GatewayVerticle.deploy(vertx, config).await(), config);
    } catch (RuntimeException e) {
      // A gateway that failed to start must not leave its event loops behind.
      vertx.close().await();
      throw e;
    }
  }

  /**
   * Starts a gateway like {@link #start(String, String)} whose access log is on and goes to a file
   * of its own, read by {@link #accessLines()}.
   */
  public static TestGateway logged(String server, String yaml) {
    Path file;
    try {
      file = Files.createTempFile("access", ".log");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // A key given twice takes its last value: this overrides the access log start() turns off.
    return start(server, "access_log: {enabled: true, path: '" + file + "'}\n" + yaml);
  }

  /** The access lines written so far, after the gateway wrote out what it buffers. */
  public List<String> accessLines() {
    try {
      running.accessLog().flush().get(10, TimeUnit.SECONDS);
      return Files.readAllLines(Path.of(config.accessLog().path()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException("the access log did not flush", e);
    }
  }

  /**
   * The first access line containing a text. A line is written when its response ends, which can be
   * just after the client has read the response: this looks again until a deadline.
   */
  public String awaitAccessLine(String text) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      for (String line : accessLines()) {
        if (line.contains(text)) {
          return line;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no access line contains " + text);
      }
      vertx.timer(10, TimeUnit.MILLISECONDS).await();
    }
  }

  public static TestGateway sample() {
    return start(SAMPLE_ENGINE);
  }

  public int port() {
    return running.port();
  }

  /** The admin API's own port ({@code admin.port}), or 0 when it is served on {@link #port}. */
  public int adminPort() {
    return running.adminPort();
  }

  public Journal journal() {
    return ((MemoryEngine) running.engine()).journal();
  }

  public HttpRequest<Buffer> request(HttpMethod method, String uri) {
    return client.request(method, uri);
  }

  /** POSTs a body to start_batch with the given content type (null sends none). */
  public HttpResponse<Buffer> post(String contentType, Buffer body) {
    return post(PATH, contentType, body);
  }

  public HttpResponse<Buffer> post(String uri, String contentType, Buffer body) {
    HttpRequest<Buffer> request = client.post(uri);
    if (contentType != null) {
      request.putHeader("Content-Type", contentType);
    }
    return request.sendBuffer(body).await();
  }

  public HttpResponse<Buffer> postJson(String json) {
    return post("application/json", Buffer.buffer(json));
  }

  /** POSTs a JSON batch naming a request id in {@code Request-ID}. */
  public HttpResponse<Buffer> postJson(String json, String requestId) {
    return client
        .post(PATH)
        .putHeader("Content-Type", "application/json")
        .putHeader("Request-ID", requestId)
        .sendBuffer(Buffer.buffer(json))
        .await();
  }

  /** What {@code /ready} answers now. */
  public int ready() {
    return request(HttpMethod.GET, "/ready").send().await().statusCode();
  }

  /**
   * Waits on timers, 15 s at most, until {@code /ready} answers {@code status}; then asserts it.
   */
  public void awaitReady(int status) {
    for (int i = 0; i < 300 && ready() != status; i++) {
      vertx.timer(50).await();
    }
    assertThat(ready()).as("/ready").isEqualTo(status);
  }

  /** A test resource as a path on disk. */
  public static Path resource(String name) {
    try {
      return Path.of(TestGateway.class.getClassLoader().getResource(name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Buffer read(String name) {
    try {
      return Buffer.buffer(Files.readAllBytes(resource(name)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    vertx.close().await();
    if (config.accessLog().enabled() && config.accessLog().path() != null) {
      try {
        Files.deleteIfExists(Path.of(config.accessLog().path()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
