package dev.triggergate;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis process for tests, on a free loopback port: {@code redis-server} from PATH, else the
 * Linux binary shipped inside the {@code embedded-redis} test dependency. Tests may kill, freeze
 * and restart it to prove what the gateway does meanwhile.
 */
public final class RedisServer implements AutoCloseable {
  private static final String BUNDLED = "redis-server-6.2.6-v5-linux-amd64";
  private static Path binary;

  private final int port;
  private Process process;

  private RedisServer(int port) {
    this.port = port;
  }

  public static RedisServer start() {
    RedisServer server = new RedisServer(freePort());
    server.launch();
    return server;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Kills the process at once, as a crash would. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Starts again on the same port, empty. */
  public void restart() {
    launch();
  }

  /** SIGSTOP: the socket stays open but nothing answers, as with a stalled Redis. */
  public void freeze() {
    signal("-STOP");
  }

  public void thaw() {
    signal("-CONT");
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      thaw();
      kill();
    }
  }

  private void launch() {
    try {
      process =
          new ProcessBuilder(
                  binary().toString(),
                  "--port",
                  Integer.toString(port),
                  "--bind",
                  "127.0.0.1",
                  "--save",
                  "",
                  "--appendonly",
                  "no")
              .redirectErrorStream(true)
              .start();
      // Read its log until it says it serves: no polling, no sleeping.
      BufferedReader log =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      for (String line = log.readLine(); line != null; line = log.readLine()) {
        if (line.contains("Ready to accept connections")) {
          drain(log);
          return;
        }
      }
      throw new IllegalStateException("redis-server exited with " + process.waitFor());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Keeps reading the log so a full pipe never stalls the server. */
  private static void drain(BufferedReader log) {
    Thread drainer =
        new Thread(
            () -> {
              try {
                while (log.readLine() != null) {
                  // discarded
                }
              } catch (IOException ended) {
                // The process is gone.
              }
            },
            "redis-log");
    drainer.setDaemon(true);
    drainer.start();
  }

  private void signal(String signal) {
    try {
      new ProcessBuilder("kill", signal, Long.toString(process.pid())).start().waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static synchronized Path binary() throws IOException {
    if (binary != null) {
      return binary;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "redis-server");
      if (Files.isExecutable(candidate)) {
        return binary = candidate;
      }
    }
    try (InputStream in = RedisServer.class.getResourceAsStream("/" + BUNDLED)) {
      if (in == null) {
        throw new IllegalStateException("no redis-server on PATH and no " + BUNDLED + " bundled");
      }
      Path extracted = Files.createTempFile("redis-server", "");
      Files.copy(in, extracted, StandardCopyOption.REPLACE_EXISTING);
      extracted.toFile().setExecutable(true);
      extracted.toFile().deleteOnExit();
      return binary = extracted;
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
