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
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Redis store against a real Redis process: one memory of request ids for every instance, holds
 * that expire with their holder, and this instance's store while Redis is gone.
 */
class RedisDedupTest {
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
      HttpResponse<Buffer> original = post(first, "shared-1");
      HttpResponse<Buffer> repeat = post(second, "shared-1");

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
      post(gateway, "visible-id");

      List<String> keys = keys();
      assertThat(keys).hasSize(1);
      assertThat(keys.get(0)).matches("tg:dd:[0-9a-f]{64}");
    }
  }

  @Test
  void aClaimHeldByOneInstanceWaitsThereForItsAnswer() {
    RedisDedupStore one = store(60_000);
    RedisDedupStore other = store(60_000);
    Relayed answer =
        new Relayed(
            201,
            HttpHeaders.headers().add("Content-Type", "application/json").add("X-Node", "a"),
            Buffer.buffer(new byte[] {'{', 0, (byte) 0xff, '}'}),
            null);

    Claim.First holder = (Claim.First) one.claim("tok\nid").await();
    Future<Claim> waiting = other.claim("tok\nid");
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
    RedisDedupStore other = store(60_000);
    Launched launched = new Launched(List.of(TestGateway.ANNA, TestGateway.BORIS), 3);

    Claim.First holder = (Claim.First) one.claim("k").await();
    Future<Claim> waiting = other.claim("k");
    holder.release();
    Claim next = waiting.await();
    ((Claim.First) next).keep(launched);
    ((Claim.First) one.claim("streamed").await()).keep(null);

    assertThat(one.claim("k").await()).isEqualTo(new Claim.Repeat(launched));
    assertThat(other.claim("streamed").await()).isEqualTo(new Claim.Repeat(null));
  }

  @Test
  void anIdHeldByAnInstanceThatDiedIsFreeAfterTheHold() {
    RedisDedupStore dead = store(300);
    RedisDedupStore alive = store(300);

    dead.claim("k").await();
    Claim claim = alive.claim("k").await();

    assertThat(claim).isInstanceOf(Claim.First.class);
  }

  @Test
  void whileRedisIsDownThisInstanceStillRecognisesRepeats() {
    try (TestGateway gateway = gateway(60_000)) {
      redis.kill();

      HttpResponse<Buffer> original = post(gateway, "offline-1");
      HttpResponse<Buffer> repeat = post(gateway, "offline-1");

      assertThat(original.statusCode()).isEqualTo(200);
      assertThat(repeat.getHeader(Deduplication.DUPLICATE_REQUEST)).isEqualTo("true");
      assertThat(gateway.journal().total()).isEqualTo(1);
      assertThat(metrics(gateway)).contains("gateway_dedup_store_fallbacks_total 2.0");
      assertThat(gateway.request(HttpMethod.GET, "/ready").send().await().statusCode())
          .isEqualTo(503);
    }
  }

  private RedisDedupStore store(long holdMs) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    return new RedisDedupStore(
        vertx,
        new RedisConnection(vertx, redis.url(), 2_000),
        new LocalDedupStore(vertx, 60_000, 100, 1 << 20, registry),
        60_000,
        holdMs,
        registry);
  }

  private TestGateway gateway(long holdMs) {
    return TestGateway.start(
        TestGateway.SAMPLE_ENGINE
            + "rate_limits: {redis_url: '"
            + redis.url()
            + "', redis_timeout_ms: 2000}\n"
            + "dedup: {store: redis, hold_ms: "
            + holdMs
            + "}\n");
  }

  private List<String> keys() {
    RedisConnection connection = new RedisConnection(vertx, redis.url(), 2_000);
    Response keys = connection.client().send(Request.cmd(Command.KEYS).arg("*")).await();
    return keys.stream().map(Response::toString).toList();
  }

  private static HttpResponse<Buffer> post(TestGateway gateway, String requestId) {
    return gateway
        .client
        .post(TestGateway.PATH)
        .putHeader("Content-Type", "application/json")
        .putHeader("Request-ID", requestId)
        .sendBuffer(Buffer.buffer(BATCH))
        .await();
  }

  private static String metrics(TestGateway gateway) {
    return gateway.request(HttpMethod.GET, "/metrics").send().await().bodyAsString();
  }
}
