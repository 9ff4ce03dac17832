package dev.triggergate.dedup;

import static dev.triggergate.http.Envelopes.profileIds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RedisServer;
import dev.triggergate.TestGateway;
import dev.triggergate.engine.LaunchResult.Launched;
import dev.triggergate.engine.LaunchResult.Relayed;
import dev.triggergate.redis.RedisConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Redis store against a real Redis process: one memory of request ids for every instance, holds
 * that expire with their holder, and this instance's store while Redis is gone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisDedupTest {
  private static final Launched ANSWER = new Launched(List.of(TestGateway.ANNA), 0);
  private static final String BATCH =
      "{\"token\":\"tok-secret\",\"trigger_id\":8,\"data\":[{\"email\":\"anna@example.com\"}]}";

  private RedisServer redis;
  private Vertx vertx;

  @BeforeEach
  void start() {
    redis = RedisServer.start();
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
    redis.close();
  }

  @Test
  void aRepeatSentToAnotherInstanceGetsTheFirstAnswerAndLaunchesNothing() {
    try (TestGateway first = gateway(60_000);
        TestGateway second = gateway(60_000)) {
      HttpResponse<Buffer> original = first.postJson(BATCH, "shared-1");
      HttpResponse<Buffer> repeat = second.postJson(BATCH, "shared-1");

      assertThat(original.getHeader(Deduplication.DUPLICATE_REQUEST)).isNull();
      assertThat(repeat.statusCode()).isEqualTo(200);
      assertThat(repeat.getHeader(Deduplication.DUPLICATE_REQUEST)).isEqualTo("true");
      assertThat(profileIds(repeat)).containsExactly(TestGateway.ANNA);
      assertThat(first.journal().total()).isEqualTo(1);
      assertThat(second.journal().total()).isZero();
    }
  }

  @Test
  void neitherTokenNorIdIsWrittenToRedis() {
    try (TestGateway gateway = gateway(60_000)) {
      gateway.postJson(BATCH, "visible-id");

      List<String> keys = keys();
      assertThat(keys).hasSize(1);
      assertThat(keys.get(0)).matches("tg:dd:[0-9a-f]{64}");
    }
  }

  @Test
  void aClaimHeldByOneInstanceWaitsThereForItsAnswer() {
    RedisDedupStore one = store(60_000);
    SimpleMeterRegistry otherRegistry = new SimpleMeterRegistry();
    RedisDedupStore other = store(60_000, 2_000, otherRegistry);
    Relayed answer =
        new Relayed(
            201,
            HttpHeaders.headers().add("Content-Type", "application/json").add("X-Node", "a"),
            Buffer.buffer(new byte[] {'{', 0, (byte) 0xff, '}'}),
            null);

    Claim.First holder = (Claim.First) one.claim("tok\nid").await();
    Future<Claim> waiting = other.claim("tok\nid");
    awaitWaits(otherRegistry, waiting);
    holder.keep(answer);

    Relayed kept = (Relayed) ((Claim.Repeat) waiting.await()).answer();
    assertThat(kept.status()).isEqualTo(201);
    assertThat(kept.headers().get("X-Node")).isEqualTo("a");
    assertThat(kept.headers().get("Content-Type")).isEqualTo("application/json");
    assertThat(kept.head().getBytes()).isEqualTo(answer.head().getBytes());
  }

  @Test
  void aReleasedIdIsClaimedAfreshAndEveryAnswerKindSurvivesTheTrip() {
    RedisDedupStore one = store(60_000);
    SimpleMeterRegistry otherRegistry = new SimpleMeterRegistry();
    RedisDedupStore other = store(60_000, 2_000, otherRegistry);
    Launched launched = new Launched(List.of(TestGateway.ANNA, TestGateway.BORIS), 3);

    Claim.First holder = (Claim.First) one.claim("k").await();
    Future<Claim> waiting = other.claim("k");
    awaitWaits(otherRegistry, waiting);
    holder.release();
    Claim next = waiting.await();
    ((Claim.First) next).keep(launched);
    ((Claim.First) one.claim("large").await()).keep(null);

    assertThat(store(60_000).claim("k").await()).isEqualTo(new Claim.Repeat(launched));
    assertThat(other.claim("large").await()).isEqualTo(new Claim.Repeat(null));
  }

  @Test
  void anIdHeldByAnInstanceThatDiedIsFreeAfterTheHold() {
    Vertx doomed = Vertx.vertx();
    RedisDedupStore dead = store(doomed, 300, 2_000, new SimpleMeterRegistry());
    RedisDedupStore alive = store(300);

    long start = System.nanoTime();
    dead.claim("k").await();
    // Its renewals stop with it.
    doomed.close().await();
    Claim claim = alive.claim("k").await();

    assertThat(claim).isInstanceOf(Claim.First.class);
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(250_000_000L);
  }

  @Test
  void aRequestOutlastingTheHoldKeepsItsIdHeld() {
    RedisDedupStore running = store(300);
    SimpleMeterRegistry otherRegistry = new SimpleMeterRegistry();
    RedisDedupStore other = store(300, 2_000, otherRegistry);
    Claim.First holder = (Claim.First) running.claim("k").await();

    vertx.timer(900).await();
    Future<Claim> repeat = other.claim("k");
    awaitWaits(otherRegistry, repeat);
    holder.keep(ANSWER);

    assertThat(repeat.await()).isEqualTo(new Claim.Repeat(ANSWER));
  }

  @Test
  void anAnswerKeptWhileRedisDiedIsStillRecognisedHere() {
    RedisDedupStore store = store(60_000);
    Claim.First holder = (Claim.First) store.claim("k").await();

    redis.kill();
    holder.keep(ANSWER);

    assertThat(store.claim("k").await()).isEqualTo(new Claim.Repeat(ANSWER));
  }

  @Test
  void aClaimThatTimedOutIsSettledInRedisOnceItAnswers() {
    RedisDedupStore slow = store(60_000, 200, new SimpleMeterRegistry());
    redis.freeze();

    Claim claim = slow.claim("k").await();
    ((Claim.First) claim).keep(ANSWER);
    redis.thaw();

    // Without the answer written under the timed-out claim's own hold, this would wait a minute.
    assertThat(store(60_000).claim("k").await()).isEqualTo(new Claim.Repeat(ANSWER));
  }

  @Test
  @Timeout(20)
  void anAnswerKeptWhileRedisRestsAfterFailuresStillReachesIt() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RedisConnection connection = redis.connection(vertx, 100, registry);
    RedisDedupStore holderStore =
        new RedisDedupStore(
            vertx,
            connection,
            new LocalDedupStore(vertx, 60_000, 100, 1 << 20, registry),
            60_000,
            60_000,
            registry);
    Claim.First holder = (Claim.First) holderStore.claim("k").await();
    // Redis stalls long enough for the breaker to open, then wakes while it still rests.
    redis.freeze();
    List<Future<?>> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < 25; i++) {
        stalled.add(connection.send(Request.cmd(Command.PING)));
      }
      Future.join(stalled).transform(done -> Future.succeededFuture()).await();
    } finally {
      redis.thaw();
    }
    assertThat(connection.isReady()).isFalse();

    holder.keep(ANSWER);

    // Had the answer waited for the breaker, the id would stay held for the whole minute.
    assertThat(store(60_000).claim("k").await()).isEqualTo(new Claim.Repeat(ANSWER));
  }

  @Test
  void whileRedisIsDownThisInstanceStillRecognisesRepeats() {
    try (TestGateway gateway = gateway(60_000)) {
      redis.kill();

      HttpResponse<Buffer> original = gateway.postJson(BATCH, "offline-1");
      HttpResponse<Buffer> repeat = gateway.postJson(BATCH, "offline-1");

      assertThat(original.statusCode()).isEqualTo(200);
      assertThat(repeat.getHeader(Deduplication.DUPLICATE_REQUEST)).isEqualTo("true");
      assertThat(gateway.journal().total()).isEqualTo(1);
      // The repeat was recognised here without asking Redis.
      assertThat(metrics(gateway)).contains("gateway_dedup_store_fallbacks_total 1.0");
      // One failed claim does not take Redis out; the probe's failed connects then do.
      gateway.awaitReady(503);
    }
  }

  private RedisDedupStore store(long holdMs) {
    return store(holdMs, 2_000, new SimpleMeterRegistry());
  }

  private RedisDedupStore store(long holdMs, long timeoutMs, SimpleMeterRegistry registry) {
    return store(vertx, holdMs, timeoutMs, registry);
  }

  private RedisDedupStore store(
      Vertx on, long holdMs, long timeoutMs, SimpleMeterRegistry registry) {
    return new RedisDedupStore(
        on,
        redis.connection(on, timeoutMs, registry),
        new LocalDedupStore(on, 60_000, 100, 1 << 20, registry),
        60_000,
        holdMs,
        registry);
  }

  /**
   * Until a repeat has found the id held and waits (nothing else shows it from outside), or has
   * been answered without waiting, which the test's assertions then refuse.
   */
  private void awaitWaits(SimpleMeterRegistry registry, Future<Claim> repeat) {
    while (registry.counter("gateway_dedup_waits").count() < 1 && !repeat.isComplete()) {
      vertx.timer(5).await();
    }
  }

  private TestGateway gateway(long holdMs) {
    return TestGateway.start(
        TestGateway.SAMPLE_ENGINE
            + redis.section(2_000)
            + "dedup: {store: redis, hold_ms: "
            + holdMs
            + "}\n");
  }

  private List<String> keys() {
    RedisConnection connection = redis.connection(vertx, 2_000, new SimpleMeterRegistry());
    Response keys = connection.client().send(Request.cmd(Command.KEYS).arg("*")).await();
    return keys.stream().map(Response::toString).toList();
  }

  private static String metrics(TestGateway gateway) {
    return gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();
  }
}
