package dev.triggergate.redis;

import dev.triggergate.config.GatewayConfig;
import dev.triggergate.config.GatewayConfig.Breaker;
import dev.triggergate.config.TrustStore;
import dev.triggergate.ops.CircuitBreakers;
import dev.triggergate.ops.IntervalReport;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisRole;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one Redis ({@code redis:}), shared by the rate limits and the de-duplication store:
 * a server, a Redis Cluster or a master found by Sentinel, reached through each event loop's own
 * pipelined connections ({@link Lanes}), and the one place that decides whether a command failed
 * and whether Redis is usable.
 *
 * <p>A command fails when no answer comes within {@code command_timeout_ms} ({@link Deadline}), the
 * connection fails, or Redis answers with an error. A failure costs the check it served (its caller
 * applies {@code on_store_failure} to that one request) and counts in a circuit breaker: Redis is
 * taken out for everyone only when {@code failure_rate_percent} of the last {@code window} commands
 * failed (or {@code connect_failures} connects failed in a row). While it rests, checks do not wait
 * for it; after {@code open_ms} a few trial commands (the probe's PINGs among them) decide whether
 * it is back.
 */
public final class RedisConnection {
  private static final Logger LOG = LoggerFactory.getLogger(RedisConnection.class);

  /** How often a resting Redis is pinged, so it comes back while no request asks. */
  private static final long PROBE_MS = 100;

  /**
   * How many probe periods pass between PINGs while Redis is in use, so readiness notices a Redis
   * that died while no request asked.
   */
  private static final int PROBES_PER_HEALTHY_PING = 10;

  /** Error replies that fail every command on the connection (see {@link #outcomeOf}). */
  private static final List<String> UNUSABLE_CONNECTION =
      List.of(
          "WRONGPASS",
          "NOAUTH",
          "NOPERM",
          "LOADING",
          "READONLY",
          "MASTERDOWN",
          "CLUSTERDOWN",
          // Not Redis's: what the client fails a command with when its connection went away.
          "CONNECTION_CLOSED");

  /** What the client fails a command with when a connection's unanswered commands are at cap. */
  private static final String QUEUE_FULL = "Redis waiting queue is full";

  private final Vertx vertx;
  private final Redis client;
  private final Lanes lanes;
  private final long commandTimeoutMs;
  private final Set<RedisScript> scripts = ConcurrentHashMap.newKeySet();
  private final CircuitBreaker breaker;
  private final int connectFailuresToOpen;
  private final AtomicInteger connectFailuresInRow = new AtomicInteger();

  /**
   * The breaker's state as last logged. Read after each command rather than subscribed to: with a
   * consumer of its events, resilience4j builds an event object for every command.
   */
  private final AtomicReference<CircuitBreaker.State> logged =
      new AtomicReference<>(CircuitBreaker.State.CLOSED);

  /** Whether the breaker last opened for failed connects, not for its failure rate. */
  private volatile boolean openedByConnects;

  private final Map<Outcome, Timer> commands = new EnumMap<>(Outcome.class);
  private final IntervalReport failures = new IntervalReport(10_000);
  private int probes;

  /** How one command ended, as the breaker and the metrics see it. */
  public enum Outcome {
    ANSWERED,
    ERROR_REPLY,
    TIMED_OUT,
    /** Refused by the client: {@code max_pending_commands} are waiting on the connection. */
    QUEUE_FULL,
    CONNECTION_FAILED,
    /** Not sent: the breaker is open. */
    RESTING;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private RedisConnection(
      Vertx vertx, GatewayConfig.Redis config, RedisOptions options, MeterRegistry registry) {
    this.vertx = vertx;
    this.commandTimeoutMs = config.commandTimeoutMs();
    this.client = Redis.createClient(vertx, options);
    this.lanes =
        new Lanes(
            vertx,
            client,
            config.poolSize(),
            config.connectTimeoutMs() + config.commandTimeoutMs(),
            config.type() == GatewayConfig.RedisType.CLUSTER,
            this::connectEnded);
    Breaker limits = config.breaker();
    this.connectFailuresToOpen = limits.connectFailures();
    this.breaker = CircuitBreakers.of("redis", limits);
    for (Outcome outcome : Outcome.values()) {
      commands.put(
          outcome,
          Timer.builder("gateway_redis_commands")
              .description("Redis commands (scripts, PINGs), by how they ended")
              .tag("outcome", outcome.tag())
              .register(registry));
    }
    Gauge.builder("gateway_redis_usable", this, redis -> redis.isReady() ? 1 : 0)
        .description("1 while Redis takes commands, 0 while its breaker is open")
        .register(registry);
    // Lives as long as Vert.x, like the client: both end when the process drains and closes it.
    vertx.setPeriodic(PROBE_MS, id -> probe());
  }

  /**
   * Builds the connection; reads the trust store, so call it off the event loop. Each event loop's
   * connections are opened by {@link #warmUp}, or when it first sends a command.
   *
   * @param eventLoops the event loops that will send commands
   */
  public static RedisConnection create(
      Vertx vertx, GatewayConfig.Redis config, int eventLoops, MeterRegistry registry) {
    return new RedisConnection(vertx, config, options(config, eventLoops), registry);
  }

  private static RedisOptions options(GatewayConfig.Redis config, int eventLoops) {
    // Every loop's lane, the shared one, and as many again being replaced at once.
    int connections = 2 * (eventLoops + 1) * config.poolSize();
    RedisOptions options =
        new RedisOptions()
            .setType(
                switch (config.type()) {
                  case STANDALONE -> RedisClientType.STANDALONE;
                  case CLUSTER -> RedisClientType.CLUSTER;
                  case SENTINEL -> RedisClientType.SENTINEL;
                })
            // The pool only opens connections for the lanes, which hold them while they work.
            .setMaxPoolSize(connections)
            .setMaxPoolWaiting(connections)
            .setPoolRecycleTimeout(-1)
            .setMaxWaitingHandlers(config.maxPendingCommands())
            .setUser(config.user())
            .setPassword(config.password());
    config.endpoints().forEach(options::addConnectionString);
    if (config.type() == GatewayConfig.RedisType.SENTINEL) {
      // No auto failover: a lane whose connection closes opens a new one, which asks the sentinels.
      options.setMasterName(config.masterName()).setRole(RedisRole.MASTER);
    }
    NetClientOptions net =
        new NetClientOptions().setConnectTimeout((int) config.connectTimeoutMs());
    // A peer that stops acknowledging (a host gone without a reset, a cut link) closes the
    // connection within this, rather than after TCP's retries of a quarter of an hour; a stalled
    // Redis process still acknowledges, and is left to the command timeout.
    net.setTcpUserTimeout((int) (config.connectTimeoutMs() + config.commandTimeoutMs()));
    if (config.tls()) {
      TrustOptions trust =
          TrustStore.read(config.trustStore(), config.trustStorePassword(), "redis.trust_store");
      net.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
      if (trust != null) {
        net.setTrustOptions(trust);
      }
    }
    return options.setNetClientOptions(net);
  }

  /** The client itself, for what needs more than {@link #send} (tests). */
  public Redis client() {
    return client;
  }

  public long commandTimeoutMs() {
    return commandTimeoutMs;
  }

  /**
   * Sends one command within the command timeout. Fails with {@link RedisUnavailable} at once,
   * without asking Redis, while the breaker is open.
   */
  public Future<Response> send(Request request) {
    if (!breaker.tryAcquirePermission()) {
      commands.get(Outcome.RESTING).record(0, TimeUnit.NANOSECONDS);
      return Future.failedFuture(RedisUnavailable.RESTING);
    }
    long start = System.nanoTime();
    Lanes.Lease lease = lanes.lease();
    return finish(lease, start, true, lease.connection.compose(c -> c.send(request)));
  }

  /**
   * Runs a script on one key: by digest, and with its text where Redis answers that it does not
   * have it (a restart, or a replica just promoted), all within one command timeout.
   */
  public Future<Response> eval(RedisScript script, String key, String... args) {
    if (!breaker.tryAcquirePermission()) {
      commands.get(Outcome.RESTING).record(0, TimeUnit.NANOSECONDS);
      return Future.failedFuture(RedisUnavailable.RESTING);
    }
    return run(script, key, args, true);
  }

  /**
   * Runs a script that settles what an earlier command began (a held id's answer, release or
   * renewal): sent even while Redis rests, as the earlier one may have reached it and would
   * otherwise hold its key until it expires. Bounded by the command timeout like any other; its
   * outcome is timed, not counted by the breaker, which did not grant it.
   */
  public Future<Response> settle(RedisScript script, String key, String... args) {
    return run(script, key, args, false);
  }

  private Future<Response> run(RedisScript script, String key, String[] args, boolean granted) {
    long start = System.nanoTime();
    Lanes.Lease lease = lanes.lease();
    Future<Response> answer =
        lease.connection.compose(
            connection ->
                connection
                    .send(script(Request.cmd(Command.EVALSHA).arg(script.sha1()), key, args))
                    .recover(
                        error ->
                            isNoScript(error)
                                ? connection.send(
                                    script(Request.cmd(Command.EVAL).arg(script.text()), key, args))
                                : Future.failedFuture(error)));
    return finish(lease, start, granted, answer);
  }

  /**
   * Bounds a command by the command timeout, and says how it ended: to its connection's lane, the
   * metrics and, when it granted the command, the breaker.
   */
  private Future<Response> finish(
      Lanes.Lease lease, long start, boolean granted, Future<Response> answer) {
    return Deadline.within(vertx, answer, commandTimeoutMs)
        .andThen(
            done -> {
              Throwable error = done.succeeded() ? null : done.cause();
              lease.ended(outcomeOf(error));
              if (granted) {
                record(start, error);
              } else {
                commands
                    .get(outcomeOf(error))
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
              }
            });
  }

  /** Counts connects in a row that failed: enough of them take Redis out at once. */
  private void connectEnded(Throwable error) {
    if (error == null) {
      connectFailuresInRow.set(0);
    } else if (connectFailuresInRow.incrementAndGet() >= connectFailuresToOpen
        && breaker.getState() == CircuitBreaker.State.CLOSED) {
      openedByConnects = true;
      breaker.transitionToOpenState();
      logTransition();
    }
  }

  /** Names a script {@link #warmUp} loads, so the first checks send its digest alone. */
  public void prepare(RedisScript script) {
    scripts.add(script);
  }

  /**
   * Opens the calling event loop's connections and loads the prepared scripts: the first requests
   * after start-up then neither connect, log in, nor send a script's text, on a JVM whose code is
   * still cold. Never fails: a Redis that cannot be reached now counts as a failed connect, and the
   * probe finds it later.
   */
  public Future<Void> warmUp() {
    if (!breaker.tryAcquirePermission()) {
      return Future.succeededFuture();
    }
    long start = System.nanoTime();
    return lanes
        .open()
        .andThen(done -> record(start, done.succeeded() ? null : done.cause()))
        .compose(
            opened -> {
              List<Future<Response>> loaded = new ArrayList<>();
              scripts.forEach(
                  script ->
                      loaded.add(send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(script.text()))));
              return Future.join(loaded);
            })
        .transform(done -> Future.succeededFuture());
  }

  /** Whether Redis takes commands: its breaker is closed. Drives {@code /ready}. */
  public boolean isReady() {
    return breaker.getState() == CircuitBreaker.State.CLOSED;
  }

  /** The breaker's state, for tests and the log. */
  public CircuitBreaker.State state() {
    return breaker.getState();
  }

  private static Request script(Request command, String key, String[] args) {
    command.arg(1).arg(key);
    for (String arg : args) {
      command.arg(arg);
    }
    return command;
  }

  private static boolean isNoScript(Throwable error) {
    return error instanceof Response
        && error.getMessage() != null
        && error.getMessage().startsWith("NOSCRIPT");
  }

  private void record(long start, Throwable error) {
    long nanos = System.nanoTime() - start;
    Outcome outcome = outcomeOf(error);
    commands.get(outcome).record(nanos, TimeUnit.NANOSECONDS);
    if (outcome == Outcome.ANSWERED) {
      breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
    } else {
      breaker.onError(nanos, TimeUnit.NANOSECONDS, error);
      report(outcome, error);
    }
    logTransition();
  }

  /** The one definition of how a command ended, for every user of Redis. */
  public static Outcome outcomeOf(Throwable error) {
    if (error == null) {
      return Outcome.ANSWERED;
    }
    if (error instanceof RedisUnavailable) {
      return Outcome.RESTING;
    }
    if (error instanceof TimeoutException) {
      return Outcome.TIMED_OUT;
    }
    if (QUEUE_FULL.equals(error.getMessage())) {
      return Outcome.QUEUE_FULL;
    }
    if (error instanceof Response) {
      return refusesTheConnection(error.getMessage())
          ? Outcome.CONNECTION_FAILED
          : Outcome.ERROR_REPLY;
    }
    return Outcome.CONNECTION_FAILED;
  }

  /**
   * Error replies that say no command on this connection can succeed (its login was refused, the
   * server is loading, or it is a replica or a master cut off from its cluster): a connection
   * failure, not a failed command.
   */
  private static boolean refusesTheConnection(String reply) {
    if (reply == null) {
      return false;
    }
    for (String code : UNUSABLE_CONNECTION) {
      if (reply.startsWith(code)) {
        return true;
      }
    }
    return false;
  }

  /** Says in a few words why a command failed, for the log. */
  public static String describe(Throwable error) {
    return switch (outcomeOf(error)) {
      case ANSWERED -> "answered";
      case RESTING -> "resting after failures";
      case TIMED_OUT -> "no answer within the command timeout";
      case QUEUE_FULL -> "max_pending_commands unanswered on the connection";
      case ERROR_REPLY -> "error reply: " + error.getMessage();
      case CONNECTION_FAILED ->
          error instanceof Response
              ? "refused: " + error.getMessage()
              : error.getClass().getSimpleName() + ": " + error.getMessage();
    };
  }

  /** Runs on one timer's context, so {@code probes} needs no lock. */
  private void probe() {
    probes++;
    if (breaker.getState() != CircuitBreaker.State.CLOSED
        || probes % PROBES_PER_HEALTHY_PING == 0) {
      send(Request.cmd(Command.PING));
    }
  }

  /** Logs Redis leaving and rejoining, once per change (half-open trials are not news). */
  private void logTransition() {
    CircuitBreaker.State now = breaker.getState();
    if (now == CircuitBreaker.State.HALF_OPEN) {
      return;
    }
    CircuitBreaker.State before = logged.get();
    if (now == before || !logged.compareAndSet(before, now)) {
      return;
    }
    if (now == CircuitBreaker.State.CLOSED) {
      connectFailuresInRow.set(0);
      LOG.info("Redis answers again");
    } else if (before == CircuitBreaker.State.CLOSED) {
      LOG.warn(
          "Redis taken out after failures ({}): checks use on_store_failure until it answers again",
          openedByConnects
              ? connectFailuresToOpen + " failed connects in a row"
              : Math.round(breaker.getMetrics().getFailureRate()) + "% of recent commands failed");
    }
    openedByConnects = false;
  }

  /** One line per interval at most: an outage must not turn into a log flood. */
  private void report(Outcome outcome, Throwable error) {
    long count = failures.count();
    if (count > 0) {
      LOG.warn(
          "Redis: {} failed command(s) since the last report; the latest: {} ({})",
          count,
          outcome.tag(),
          describe(error));
    }
  }

  /** A command not sent because Redis is resting after failures (its breaker is open). */
  public static final class RedisUnavailable extends RuntimeException {
    static final RedisUnavailable RESTING = new RedisUnavailable();

    private RedisUnavailable() {
      super("Redis is resting after failures", null, false, false);
    }
  }
}
