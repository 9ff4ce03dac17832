package dev.triggergate;

import dev.triggergate.config.ConfigLoader;
import dev.triggergate.redis.RedisConnection;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * A real Redis process for tests, on a free loopback port: {@code redis-server} from PATH, else the
 * Linux binary shipped inside the {@code embedded-redis} test dependency (see {@link RedisProcess}
 * for choosing). Tests may kill, freeze and restart it to prove what the gateway does meanwhile.
 */
public final class RedisServer implements AutoCloseable {
  private final int port;
  private RedisProcess process;

  private RedisServer(int port) {
    this.port = port;
  }

  public static RedisServer start() {
    RedisServer server = new RedisServer(RedisProcess.freePort());
    server.launch();
    return server;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** The gateway's {@code redis:} section for this server, with this command timeout. */
  public String section(long commandTimeoutMs) {
    return "redis: {endpoints: ['" + url() + "'], command_timeout_ms: " + commandTimeoutMs + "}\n";
  }

  /** The gateway's own connection to this server, as {@code section} configures it. */
  public RedisConnection connection(Vertx vertx, long commandTimeoutMs, MeterRegistry registry) {
    return RedisConnection.create(
        vertx, ConfigLoader.parse(section(commandTimeoutMs)).redis(), 2, registry);
  }

  public int port() {
    return port;
  }

  /** Kills the process at once, as a crash would. */
  public void kill() {
    process.kill();
  }

  /** Starts again on the same port, empty. */
  public void restart() {
    launch();
  }

  /** SIGSTOP: the socket stays open but nothing answers, as with a stalled Redis. */
  public void freeze() {
    process.freeze();
  }

  public void thaw() {
    process.thaw();
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }

  private void launch() {
    process = RedisProcess.start(port, List.of());
  }
}
