package dev.triggergate;

import dev.triggergate.config.ConfigException;
import dev.triggergate.config.ConfigLoader;
import dev.triggergate.config.GatewayConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** Start-up: reads the configuration, starts the gateway, and drains it on SIGTERM. */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);
  private static final Path DEFAULT_CONF = Path.of("conf", "gateway.yaml");
  private static final int EXIT_CONFIG = 2;
  private static final AtomicBoolean DRAINING = new AtomicBoolean();

  private Main() {}

  public static void main(String[] args) {
    GatewayConfig config;
    try {
      config = loadConfig(args);
    } catch (ConfigException e) {
      System.err.println("trigger-gateway: invalid configuration: " + e.getMessage());
      System.exit(EXIT_CONFIG);
      return;
    }
    // epoll where it loads: fewer system calls and copies per request than NIO.
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true);
    if (config.server().eventLoops() > 0) {
      options.setEventLoopPoolSize(config.server().eventLoops());
    }
    Vertx vertx = Vertx.vertx(options);
    GatewayVerticle.deploy(vertx, config)
        .onSuccess(
            running -> {
              LOG.info(
                  "trigger-gateway listening on {}:{} ({} transport)",
                  config.server().host(),
                  running.port(),
                  vertx.isNativeTransportEnabled() ? "epoll" : "NIO");
              if (running.adminPort() != 0) {
                LOG.info("admin API on {}:{} alone", config.admin().host(), running.adminPort());
              }
            })
        .onFailure(error -> fail(vertx, error));
    // SIGTERM and SIGINT drain and then exit 0: a stop that finished its work is a clean one.
    // Left to the JVM, SIGTERM exits with 143 after the shutdown hooks, which reads as a failure.
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(
          new Signal(name),
          signal -> new Thread(() -> drainAndExit(vertx, config), "trigger-gateway-drain").start());
    }
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> drain(vertx, config), "trigger-gateway-shutdown"));
  }

  private static void drainAndExit(Vertx vertx, GatewayConfig config) {
    System.exit(drain(vertx, config) ? 0 : 1);
  }

  private static GatewayConfig loadConfig(String[] args) {
    Path file = DEFAULT_CONF;
    boolean named = false;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--conf") && i + 1 < args.length) {
        file = Path.of(args[++i]);
        named = true;
      } else if (args[i].startsWith("--conf=")) {
        file = Path.of(args[i].substring("--conf=".length()));
        named = true;
      } else {
        throw new ConfigException("unknown argument " + args[i] + " (usage: [--conf <file>])");
      }
    }
    return ConfigLoader.load(file, named, System.getenv());
  }

  private static void fail(Vertx vertx, Throwable error) {
    if (error instanceof ConfigException) {
      System.err.println("trigger-gateway: invalid configuration: " + error.getMessage());
    } else {
      LOG.error("trigger-gateway failed to start", error);
    }
    vertx.close();
    System.exit(error instanceof ConfigException ? EXIT_CONFIG : 1);
  }

  /**
   * Closing Vert.x undeploys the gateway, which drains; runs on a thread of its own, never an event
   * loop. Returns whether everything stopped in time.
   */
  private static boolean drain(Vertx vertx, GatewayConfig config) {
    if (!DRAINING.compareAndSet(false, true)) {
      // The signal's drain runs first; the JVM's shutdown hook then finds it done.
      return true;
    }
    LOG.info("draining: no new connections, finishing requests in flight");
    try {
      vertx
          .close()
          .toCompletionStage()
          .toCompletableFuture()
          .get(config.server().shutdownTimeoutMs() + 5_000, TimeUnit.MILLISECONDS);
      LOG.info("drained");
      return true;
    } catch (Exception e) {
      LOG.warn("shutdown did not finish cleanly: {}", e.toString());
      return false;
    }
  }
}
