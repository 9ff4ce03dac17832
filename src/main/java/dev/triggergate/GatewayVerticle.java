package dev.triggergate;

import dev.triggergate.admin.AdminApi;
import dev.triggergate.config.ConfigException;
import dev.triggergate.config.GatewayConfig;
import dev.triggergate.dedup.DedupStore;
import dev.triggergate.dedup.Deduplication;
import dev.triggergate.dedup.LocalDedupStore;
import dev.triggergate.dedup.RedisDedupStore;
import dev.triggergate.engine.TriggerEngine;
import dev.triggergate.engine.memory.MemoryEngine;
import dev.triggergate.engine.upstream.UpstreamEngine;
import dev.triggergate.http.AccessLogOutput;
import dev.triggergate.http.ClientConnections;
import dev.triggergate.http.Pipeline;
import dev.triggergate.http.ServerOptions;
import dev.triggergate.intake.BodyReader;
import dev.triggergate.ratelimit.RateLimiting;
import dev.triggergate.redis.RedisConnection;
import dev.triggergate.validation.BatchSchema;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: {@link #deploy} builds every part once, then deploys one instance of this
 * verticle per event loop, each listening on the shared port with the shared pipeline (and on the
 * admin API's shared port, when it has one).
 */
public final class GatewayVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  private final GatewayConfig config;
  private final Parts parts;
  private final AtomicInteger port;
  private final AtomicInteger adminPort;
  private HttpServer server;
  private HttpServer adminServer;

  private GatewayVerticle(
      GatewayConfig config, Parts parts, AtomicInteger port, AtomicInteger adminPort) {
    this.config = config;
    this.parts = parts;
    this.port = port;
    this.adminPort = adminPort;
  }

  /**
   * A gateway that is serving.
   *
   * @param port the port it listens on (the real one when the configuration said 0)
   * @param engine the engine behind it
   * @param accessLog where its access lines go, or null when the access log is off
   * @param deploymentId its deployment, for undeploying
   * @param adminPort the admin API's own port ({@code admin.port}, the real one when that said 0),
   *     or 0 when it has none
   */
  public record Running(
      int port,
      TriggerEngine engine,
      PrometheusMeterRegistry registry,
      AccessLogOutput accessLog,
      String deploymentId,
      int adminPort) {}

  /** Verticle instances: one per event loop. */
  private static int instances(GatewayConfig config) {
    return config.server().eventLoops() > 0
        ? config.server().eventLoops()
        : Runtime.getRuntime().availableProcessors();
  }

  /** Builds the gateway's parts once and starts serving. */
  public static Future<Running> deploy(Vertx vertx, GatewayConfig config) {
    int instances = instances(config);
    AtomicInteger port = new AtomicInteger();
    AtomicInteger adminPort = new AtomicInteger();
    // Start-up reads files and compiles the schema: blocking work, kept off the event loop.
    return vertx
        .executeBlocking(() -> parts(vertx, config, instances))
        .compose(
            parts ->
                vertx
                    .deployVerticle(
                        () -> new GatewayVerticle(config, parts, port, adminPort),
                        new DeploymentOptions().setInstances(instances))
                    .map(
                        id ->
                            new Running(
                                port.get(),
                                parts.engine(),
                                parts.registry(),
                                parts.accessLog(),
                                id,
                                adminPort.get()))
                    .onFailure(error -> closeAccessLog(vertx, parts)));
  }

  /** An admin change is a small JSON object. */
  private static final long ADMIN_BODY_MAX_BYTES = 64 * 1024;

  /** What a profile upload's bytes on their way to its parser may hold. */
  private static final long UPLOAD_HELD_MAX_BYTES = 4L * BodyReader.STREAM_READ_AHEAD_BYTES;

  private record Parts(
      Pipeline pipeline,
      TriggerEngine engine,
      PrometheusMeterRegistry registry,
      HttpServerOptions serverOptions,
      HttpServerOptions adminOptions,
      ClientConnections connections,
      AccessLogOutput accessLog,
      RedisConnection redis,
      AtomicInteger serving) {}

  private static Parts parts(Vertx vertx, GatewayConfig config, int instances) {
    warnIfBudgetsExceedTheHeap(config.limits());
    ServerOptions.checkTls(vertx, config.server().tls());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BatchSchema schema = BatchSchema.load();
    TriggerEngine engine =
        switch (config.engine().type()) {
          case MEMORY -> MemoryEngine.create(vertx, config.engine().memory(), registry);
          case UPSTREAM -> UpstreamEngine.create(vertx, config.engine().upstream(), registry);
        };
    GatewayConfig.RateLimits limits = config.rateLimits();
    RedisConnection redis =
        config.redis().configured()
            ? RedisConnection.create(vertx, config.redis(), instances, registry)
            : null;
    RateLimiting rateLimiting = new RateLimiting(vertx, limits, redis, registry);
    TriggerEngine served =
        config.dedup().enabled()
            ? new Deduplication(
                engine,
                dedupStore(vertx, config.dedup(), redis, registry),
                config.dedup().maxBytes() / 8,
                registry)
            : engine;
    HttpServerOptions serverOptions = ServerOptions.of(config.server());
    AccessLogOutput accessLog =
        config.accessLog().enabled()
            ? accessLogOutput(config.accessLog(), instances, registry)
            : null;
    AdminApi admin =
        config.admin().enabled() && engine instanceof MemoryEngine memory
            ? new AdminApi(
                memory,
                config.admin().token(),
                new BodyReader(
                    ADMIN_BODY_MAX_BYTES,
                    ADMIN_BODY_MAX_BYTES * 16,
                    config.server().bodyTimeoutMs(),
                    config.server().bodyMinBytesPerSecond()),
                // An upload streams: the budget is room for the part being parsed and the one
                // read ahead, with plenty to spare; the parsed lines are the upload's own to cap.
                new BodyReader(
                    config.admin().profilesMaxBytes(),
                    UPLOAD_HELD_MAX_BYTES,
                    config.server().bodyTimeoutMs(),
                    config.server().bodyMinBytesPerSecond()))
            : null;
    return new Parts(
        new Pipeline(vertx, config, schema, served, rateLimiting, registry, admin, accessLog),
        engine,
        registry,
        serverOptions,
        admin != null && config.admin().apart()
            ? ServerOptions.admin(config.server(), config.admin())
            : null,
        // One for both listeners: server.max_connections caps what the process holds open.
        new ClientConnections(serverOptions, config.server(), registry),
        accessLog,
        redis,
        new AtomicInteger());
  }

  private static AccessLogOutput accessLogOutput(
      GatewayConfig.AccessLog config, int instances, MeterRegistry registry) {
    WritableByteChannel out;
    if (config.path() == null) {
      out = AccessLogOutput.standardOutput();
    } else {
      try {
        out =
            FileChannel.open(
                Path.of(config.path()),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
      } catch (IOException | InvalidPathException e) {
        throw new ConfigException("access_log.path: cannot append to " + config.path() + ": " + e);
      }
    }
    return new AccessLogOutput(
        out, config.bufferBytes(), instances, config.flushIntervalMs(), registry);
  }

  /**
   * Bodies and their decoded forms are bounded by the two budgets; the rest of the heap is for
   * everything else. Budgets set by hand that leave too little are worth a line at start-up.
   */
  private static void warnIfBudgetsExceedTheHeap(GatewayConfig.Limits limits) {
    long heap = Runtime.getRuntime().maxMemory();
    long budgets = limits.maxInFlightBytes() + limits.maxDecodingBytes();
    if (budgets > heap / 4 * 3) {
      LOG.warn(
          "limits.max_in_flight_bytes ({}) and limits.max_decoding_bytes ({}) together exceed"
              + " three quarters of the heap ({} bytes): a burst of large batches can run it out;"
              + " give the JVM at least -Xmx{}m, or lower them",
          limits.maxInFlightBytes(),
          limits.maxDecodingBytes(),
          heap,
          budgets * 2 / (1 << 20));
    }
  }

  private static DedupStore dedupStore(
      Vertx vertx, GatewayConfig.Dedup dedup, RedisConnection redis, MeterRegistry registry) {
    DedupStore local =
        new LocalDedupStore(vertx, dedup.ttlMs(), dedup.maxEntries(), dedup.maxBytes(), registry);
    return switch (dedup.store()) {
      case LOCAL -> local;
      case REDIS ->
          new RedisDedupStore(vertx, redis, local, dedup.ttlMs(), dedup.holdMs(), registry);
    };
  }

  @Override
  public Future<?> start() {
    parts.serving().incrementAndGet();
    server = server(parts.serverOptions(), parts.pipeline().router(vertx));
    Future<?> main =
        warmUpRedis()
            .compose(warm -> server.listen())
            .onSuccess(listening -> port.compareAndSet(0, listening.actualPort()));
    if (parts.adminOptions() == null) {
      return main;
    }
    adminServer = server(parts.adminOptions(), parts.pipeline().adminRouter(vertx));
    Future<?> admin =
        adminServer
            .listen()
            .onSuccess(listening -> adminPort.compareAndSet(0, listening.actualPort()));
    // A listener that fails fails the deployment, and Vert.x closes the one that did not.
    return Future.all(main, admin);
  }

  /** Each instance opens its event loop's Redis connections before it listens. */
  private Future<Void> warmUpRedis() {
    return parts.redis() == null ? Future.succeededFuture() : parts.redis().warmUp();
  }

  /** A listener with the edge's guards, answering through {@code router}. */
  private HttpServer server(HttpServerOptions options, Router router) {
    return vertx
        .createHttpServer(options)
        .connectionHandler(parts.connections()::accept)
        .requestHandler(router)
        // A head Netty could not decode, or that broke the edge's rules, takes the same route
        // as any request, so it is answered in the envelope, logged and counted.
        .invalidRequestHandler(router);
  }

  /**
   * Drains: stops accepting, lets requests in flight finish within the shutdown timeout. The last
   * instance to stop writes out the access log, whose last lines are those of the drained requests.
   */
  @Override
  public Future<?> stop() {
    long timeoutMs = config.server().shutdownTimeoutMs();
    Future<Void> main = server.shutdown(timeoutMs, TimeUnit.MILLISECONDS);
    Future<?> drained =
        adminServer == null
            ? main
            : Future.all(main, adminServer.shutdown(timeoutMs, TimeUnit.MILLISECONDS));
    return drained.eventually(
        () ->
            parts.serving().decrementAndGet() == 0
                ? closeAccessLog(vertx, parts)
                : Future.succeededFuture());
  }

  /** Closing writes out what is buffered: a blocking write, kept off the event loop. */
  private static Future<Void> closeAccessLog(Vertx vertx, Parts parts) {
    AccessLogOutput accessLog = parts.accessLog();
    if (accessLog == null) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(
        () -> {
          accessLog.close();
          return null;
        });
  }
}
