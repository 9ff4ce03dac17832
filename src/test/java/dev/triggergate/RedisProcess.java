package dev.triggergate;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code redis-server} process for the test fixtures ({@link RedisServer}, {@link
 * RedisCluster}, {@link RedisSentinel}): which binary, a free port, started until it says it
 * serves, and the signals a test sends it.
 *
 * <p>The binary is {@code redis-server} from PATH, else the Linux one shipped inside the {@code
 * embedded-redis} test dependency (Redis 6.2). The system property {@code redis.server} chooses
 * instead: a path to a binary, or {@code bundled} for the shipped one, so the tests can be run
 * against both versions on a machine that has Redis on PATH.
 */
final class RedisProcess {
  private static final String BUNDLED = "redis-server-6.2.6-v5-linux-amd64";

  /** Redis Cluster talks to its peers on the client port plus this (6.2 has no cluster-port). */
  static final int BUS_OFFSET = 10_000;

  private static Path binary;

  private final int port;
  private final Process process;

  private RedisProcess(int port, Process process) {
    this.port = port;
    this.process = process;
  }

  /** Starts {@code redis-server} on the port with these options after the common ones. */
  static RedisProcess start(int port, List<String> options) {
    List<String> command = new ArrayList<>();
    command.add(binaryPath());
    command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1"));
    command.addAll(List.of("--save", "", "--appendonly", "no"));
    command.addAll(options);
    return launch(port, command, "Ready to accept connections");
  }

  /**
   * Starts {@code redis-server <config> --sentinel} on the port: a Redis Sentinel, which rewrites
   * the config file as it learns, so the file must be its own and writable. A Sentinel never says
   * "Ready to accept connections"; it listens before it announces each master it monitors with
   * {@code +monitor master <name> <ip> <port> quorum <n>} (6.2 and 7.0 alike), so the config must
   * monitor at least one.
   */
  static RedisProcess sentinel(int port, Path config) {
    List<String> command = new ArrayList<>();
    command.add(binaryPath());
    command.add(config.toString());
    command.add("--sentinel");
    command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1"));
    return launch(port, command, "+monitor master ");
  }

  private static RedisProcess launch(int port, List<String> command, String ready) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      // Read its log until it says it serves: no polling, no sleeping.
      BufferedReader log =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      List<String> seen = new ArrayList<>();
      for (String line = log.readLine(); line != null; line = log.readLine()) {
        if (line.contains(ready)) {
          drain(log);
          return new RedisProcess(port, process);
        }
        seen.add(line);
      }
      throw new IllegalStateException(
          "redis-server exited with " + process.waitFor() + ": " + String.join("\n", seen));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String binaryPath() {
    try {
      return binary().toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return port;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the process at once, as a crash would, and waits until it is gone. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGSTOP: the socket stays open but nothing answers, as with a stalled Redis. */
  void freeze() {
    signal("-STOP");
  }

  void thaw() {
    signal("-CONT");
  }

  /** Ends the process however the test left it, frozen or not. */
  void close() {
    if (process.isAlive()) {
      thaw();
      kill();
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
    String chosen = System.getProperty("redis.server", "");
    if (!chosen.isEmpty() && !chosen.equals("bundled")) {
      Path path = Path.of(chosen);
      if (!Files.isExecutable(path)) {
        throw new IllegalStateException("redis.server=" + chosen + " is not an executable");
      }
      return binary = path;
    }
    if (chosen.isEmpty()) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        Path candidate = Path.of(dir, "redis-server");
        if (Files.isExecutable(candidate)) {
          return binary = candidate;
        }
      }
    }
    try (InputStream in = RedisProcess.class.getResourceAsStream("/" + BUNDLED)) {
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

  /** A port nothing listens on now. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A free port whose cluster bus port ({@link #BUS_OFFSET} above) is free too and exists: the
   * kernel's ephemeral range reaches 60999, so some ports it hands out have no bus port at all.
   */
  static int freeClusterPort() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = freePort();
      if (port + BUS_OFFSET > 65_535) {
        continue;
      }
      try (ServerSocket bus =
          new ServerSocket(port + BUS_OFFSET, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException taken) {
        // Try another.
      }
    }
    throw new IllegalStateException("no free port with a free cluster bus port in 100 tries");
  }
}
