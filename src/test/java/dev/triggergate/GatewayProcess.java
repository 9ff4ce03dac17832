package dev.triggergate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built fat jar, started as a user starts it ({@code java -jar} with a config file and an
 * environment), in a JVM of its own: cold, as a freshly deployed instance is. Its output is read
 * line by line; requests go to the port it says it listens on.
 */
final class GatewayProcess implements AutoCloseable {
  static final String JAR = System.getProperty("gateway.jar", "target/trigger-gateway.jar");
  private static final Pattern LISTENING = Pattern.compile("listening on [^:]+:(\\d+)");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  final Process process;
  final BlockingQueue<String> lines;
  final List<String> seen;
  int port;

  private GatewayProcess(Process process, BlockingQueue<String> lines, List<String> seen) {
    this.process = process;
    this.lines = lines;
    this.seen = seen;
  }

  /**
   * Starts the jar and returns once it answers {@code /health}.
   *
   * @param env pairs of environment variable names and values
   */
  static GatewayProcess start(List<String> jvmArgs, Path conf, String... env)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("java"));
    command.addAll(jvmArgs);
    command.addAll(List.of("-jar", JAR, "--conf", conf.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    for (int i = 0; i < env.length; i += 2) {
      builder.environment().put(env[i], env[i + 1]);
    }
    Process process = builder.start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                in.lines()
                    .forEach(
                        line -> {
                          lines.add(line);
                          seen.add(line);
                        });
              } catch (IOException | java.io.UncheckedIOException ended) {
                // The process ended and its output closed; the assertions say what that means.
              }
            });
    reader.setDaemon(true);
    reader.start();
    GatewayProcess gateway = new GatewayProcess(process, lines, seen);
    try {
      Matcher matcher = LISTENING.matcher(gateway.awaitOutput("listening on"));
      assertThat(matcher.find()).isTrue();
      gateway.port = Integer.parseInt(matcher.group(1));
      // A request that is answered proves the port is served, not just bound.
      assertThat(gateway.get("/health").statusCode()).isEqualTo(200);
      gateway.awaitOutput("\"path\":\"/health\"");
    } catch (RuntimeException | Error | InterruptedException e) {
      gateway.close();
      throw e;
    }
    return gateway;
  }

  /** Every line printed so far. */
  List<String> output() {
    return List.copyOf(seen);
  }

  String awaitOutput(String fragment) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String line = lines.poll(1, TimeUnit.SECONDS);
      if (line != null && line.contains(fragment)) {
        return line;
      }
    }
    throw new AssertionError("the gateway never printed " + fragment);
  }

  HttpResponse<String> post(String body) throws IOException, InterruptedException {
    return send(request(body));
  }

  HttpResponse<String> post(String body, String requestId)
      throws IOException, InterruptedException {
    return send(request(body).header("Request-ID", requestId));
  }

  private HttpRequest.Builder request(String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + TestGateway.PATH))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private HttpResponse<String> send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
