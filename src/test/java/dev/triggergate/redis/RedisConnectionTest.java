package dev.triggergate.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RedisServer;
import dev.triggergate.config.ConfigLoader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's Redis connection: its deadline counts Redis's time, not a busy loop's; each event
 * loop sends on connections of its own; a connection Redis closed is replaced.
 */
class RedisConnectionTest {
  private RedisServer redis;
  private Vertx vertx;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void start() {
    redis = RedisServer.start();
    vertx = Vertx.vertx();
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
    redis.close();
  }

  @Test
  void anAnswerThatCameWhileTheLoopWasBusyIsNotTakenForSilence() {
    RedisConnection connection = redis.connection(vertx, 100, registry);
    // The busy work is an HTTP request on the same loop, as in a burst on a cold JVM: the loop
    // reads the request, sends the command, then runs the request's code for four times the
    // timeout. Redis answers within a millisecond; the answer waits in a socket the loop has not
    // looked at since, while the timeout's timer fell due.
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(
                request -> {
                  Future<Response> pong = connection.send(Request.cmd(Command.PING));
                  long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
                  while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                  }
                  pong.onComplete(
                      done ->
                          request
                              .response()
                              .end(
                                  done.succeeded() ? done.result().toString() : "" + done.cause()));
                });
    Context loop = vertx.getOrCreateContext();
    int port = onLoop(loop, () -> server.listen(0).map(HttpServer::actualPort)).await();
    onLoop(loop, connection::warmUp).await();

    String answer =
        vertx
            .createHttpClient()
            .request(HttpMethod.GET, port, "127.0.0.1", "/")
            .compose(request -> request.send().compose(HttpClientResponse::body))
            .await()
            .toString();

    assertThat(answer).isEqualTo("PONG");
    assertThat(outcomes("timed_out")).isZero();
  }

  @Test
  void aSilentRedisFailsTheCommandAtItsDeadlineAndCostsNoMoreThanThat() {
    RedisConnection connection = redis.connection(vertx, 100, registry);
    Context loop = vertx.getOrCreateContext();
    onLoop(loop, connection::warmUp).await();
    redis.freeze();
    try {
      Future<Response> answer = onLoop(loop, () -> connection.send(Request.cmd(Command.PING)));

      assertThat(answer.transform(Future::succeededFuture).await().cause())
          .isInstanceOf(TimeoutException.class);
      assertThat(outcomes("timed_out")).isEqualTo(1);
      // One silence is one failed check, not an outage.
      assertThat(connection.isReady()).isTrue();
    } finally {
      redis.thaw();
    }
  }

  @Test
  void eachEventLoopSendsOnConnectionsOfItsOwn() {
    RedisConnection connection = redis.connection(vertx, 2_000, registry);
    List<Context> loops = twoEventLoops();
    List<List<Long>> ids = new ArrayList<>();
    for (Context loop : loops) {
      List<Long> seen = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        seen.add(onLoop(loop, () -> clientId(connection)).await());
      }
      ids.add(seen);
    }

    assertThat(ids.get(0)).containsOnly(ids.get(0).get(0));
    assertThat(ids.get(1)).containsOnly(ids.get(1).get(0));
    assertThat(ids.get(0).get(0)).isNotEqualTo(ids.get(1).get(0));
  }

  @Test
  void aConnectionRedisClosedIsReplacedByTheNextCommand() {
    RedisConnection connection = redis.connection(vertx, 2_000, registry);
    Context loop = vertx.getOrCreateContext();
    long before = onLoop(loop, () -> clientId(connection)).await();
    connection.send(Request.cmd(Command.CLIENT).arg("KILL").arg("ID").arg(before)).await();

    // The first command after the kill may still meet the closing connection; then a new one.
    Long after = null;
    for (int i = 0; i < 50 && after == null; i++) {
      after =
          onLoop(loop, () -> clientId(connection))
              .transform(done -> Future.succeededFuture(done.succeeded() ? done.result() : null))
              .await();
    }

    assertThat(after).isNotNull().isNotEqualTo(before);
  }

  /** Contexts on two different event loops, as two verticle instances get. */
  private List<Context> twoEventLoops() {
    List<Context> loops = new CopyOnWriteArrayList<>();
    List<String> threads = new CopyOnWriteArrayList<>();
    vertx
        .deployVerticle(
            () ->
                new AbstractVerticle() {
                  @Override
                  public void start() {
                    loops.add(context);
                    threads.add(Thread.currentThread().getName());
                  }
                },
            new DeploymentOptions().setInstances(2))
        .await();
    assertThat(threads).doesNotHaveDuplicates();
    return loops;
  }

  @Test
  void commandsSharingOneFailedConnectCountAsOneFailedConnect() {
    RedisConnection connection = redis.connection(vertx, 2_000, registry);
    Context loop = vertx.getOrCreateContext();
    redis.kill();

    // Three commands at once wait on the loop's one connect: one failed connect, not three.
    onLoop(
            loop,
            () ->
                Future.join(
                        List.of(
                            connection.send(Request.cmd(Command.PING)),
                            connection.send(Request.cmd(Command.PING)),
                            connection.send(Request.cmd(Command.PING))))
                    .transform(done -> Future.succeededFuture()))
        .await();
    assertThat(connection.isReady()).isTrue();

    for (int i = 0; i < 2; i++) {
      onLoop(loop, () -> connection.send(Request.cmd(Command.PING)))
          .transform(done -> Future.succeededFuture())
          .await();
    }

    assertThat(connection.isReady()).as("three connects failed in a row").isFalse();
  }

  @Test
  void aLoopUsesItsPoolSizeConnectionsInTurn() {
    RedisConnection connection = connection("pool_size: 2, command_timeout_ms: 2000");
    Context loop = vertx.getOrCreateContext();
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(onLoop(loop, () -> clientId(connection)).await());
    }

    assertThat(ids.get(0)).isNotEqualTo(ids.get(1));
    assertThat(ids.subList(2, 4)).containsExactlyElementsOf(ids.subList(0, 2));
  }

  @Test
  void commandsPastMaxPendingFailAtOnceAndKeepTheConnection() {
    RedisConnection connection = connection("max_pending_commands: 1, command_timeout_ms: 2000");
    Context loop = vertx.getOrCreateContext();
    long before = onLoop(loop, () -> clientId(connection)).await();
    redis.freeze();
    Throwable refused;
    try {
      refused =
          onLoop(
                  loop,
                  () -> {
                    connection.send(Request.cmd(Command.PING));
                    return connection.send(Request.cmd(Command.PING));
                  })
              .transform(done -> Future.succeededFuture(done.cause()))
              .await();
    } finally {
      redis.thaw();
    }

    assertThat(RedisConnection.outcomeOf(refused)).isEqualTo(RedisConnection.Outcome.QUEUE_FULL);
    assertThat(outcomes("queue_full")).isEqualTo(1);
    // Full is Redis being slow, not the connection being broken: it is kept.
    assertThat(onLoop(loop, () -> clientId(connection)).await()).isEqualTo(before);
  }

  private RedisConnection connection(String settings) {
    return RedisConnection.create(
        vertx,
        ConfigLoader.parse("redis: {endpoints: ['" + redis.url() + "'], " + settings + "}").redis(),
        2,
        registry);
  }

  private static Future<Long> clientId(RedisConnection connection) {
    return connection.send(Request.cmd(Command.CLIENT).arg("ID")).map(Response::toLong);
  }

  /** Runs {@code work} on the loop and hands back its future's outcome. */
  private static <T> Future<T> onLoop(Context loop, Supplier<Future<T>> work) {
    Promise<T> done = Promise.promise();
    loop.runOnContext(v -> work.get().onComplete(done));
    return done.future();
  }

  private double outcomes(String outcome) {
    return registry.get("gateway_redis_commands").tag("outcome", outcome).timer().count();
  }
}
