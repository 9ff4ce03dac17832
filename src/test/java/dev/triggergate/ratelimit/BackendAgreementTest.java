package dev.triggergate.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RedisServer;
import dev.triggergate.config.GatewayConfig.Policy;
import dev.triggergate.config.GatewayConfig.PolicyBackend;
import dev.triggergate.config.GatewayConfig.PolicyKey;
import dev.triggergate.config.GatewayConfig.PolicyUnit;
import dev.triggergate.config.GatewayConfig.StoreFailure;
import dev.triggergate.redis.RedisConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The local backend (resilience4j) and the Redis one (ratelimit/window.lua) count the same way: fed
 * the same arrivals, they give the same answers, so {@code on_store_failure: local} changes where
 * counts live, not how.
 *
 * <p>Arrivals are placed at least 200 ms from every cycle boundary of the 1 s period, so the few
 * milliseconds between the two backends' clocks (Redis's TIME, this JVM's) cannot change a cycle.
 */
class BackendAgreementTest {
  /** How far the two backends' clocks may be apart: the first Redis call's round trip, and more. */
  private static final Offset<Long> SKEW = Offset.offset(50L);

  private static RedisServer redis;
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    redis = RedisServer.start();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
    redis.close();
  }

  /** Permits arriving {@code atMs} after the first arrival. */
  private record Arrival(long atMs, int permits) {}

  /** What a check said, as far as both backends must agree. */
  private record Answer(boolean allowed, long remaining, long waitTenths) {
    static Answer of(RateDecision decision) {
      // A granted wait, in tenths of a second: the clocks differ by milliseconds, not by 100.
      return new Answer(
          decision.allowed(),
          decision.remaining(),
          decision.allowed() ? Math.round(decision.waitMs() / 100.0) : 0);
    }
  }

  @Test
  void cyclesRefillWholeAndUnusedPermitsDoNotCarryOver() {
    List<Arrival> arrivals =
        List.of(
            new Arrival(0, 3),
            new Arrival(100, 2),
            new Arrival(200, 1),
            // A limiter refilling continuously would have 3.75 permits back by now; a cycle none.
            new Arrival(750, 1),
            new Arrival(1_250, 5),
            new Arrival(1_300, 1),
            // Idle for more than a period: both forget the key and start its cycles again.
            new Arrival(3_200, 4),
            new Arrival(3_300, 2),
            new Arrival(3_400, 1));

    List<List<Answer>> both = feedBoth(policy("cycles", 5, 0), arrivals);

    assertThat(both.get(1)).isEqualTo(both.get(0));
    assertThat(both.get(0))
        .extracting(Answer::allowed)
        .containsExactly(true, true, false, false, true, false, true, false, true);
  }

  @Test
  void waitingRequestsReserveTheNextCyclesAlike() {
    List<Arrival> arrivals =
        List.of(
            new Arrival(0, 2),
            new Arrival(100, 2),
            new Arrival(200, 2),
            new Arrival(300, 1),
            new Arrival(1_300, 1),
            new Arrival(1_400, 2));

    List<List<Answer>> both = feedBoth(policy("waits", 2, 1_500), arrivals);

    assertThat(both.get(1)).isEqualTo(both.get(0));
    // Granted at once, then after ~900 ms (the next cycle), then refused: it would wait ~1.8 s.
    assertThat(both.get(0))
        .containsExactly(
            new Answer(true, 0, 0),
            new Answer(true, 0, 9),
            new Answer(false, 0, 0),
            new Answer(false, 0, 0),
            new Answer(true, 0, 7),
            new Answer(false, 0, 0));
  }

  @Test
  void aRedisClockSteppingBackNeverTakesPermitsAway() {
    Policy policy = policy("stepped", 5, 0);
    RedisConnection connection = redis.connection(vertx, 5_000, new SimpleMeterRegistry());
    RedisLimiterStore shared = new RedisLimiterStore(connection);
    String key = "tg:rate:{stepped:key}";
    assertThat(shared.acquire(policy, "key", 1).await().remaining()).isEqualTo(4);
    // As if TIME stepped back a period and a half (a failover to a replica whose clock lags):
    // the key's first use now lies in the future.
    long start = connection.send(Request.cmd(Command.HGET).arg(key).arg("s")).await().toLong();
    connection.send(Request.cmd(Command.HSET).arg(key).arg("s").arg(start + 1_500_000)).await();

    RateDecision after = shared.acquire(policy, "key", 1).await();

    assertThat(after.allowed()).isTrue();
    assertThat(after.remaining()).isEqualTo(3);
  }

  /** Feeds the arrivals to a local and a Redis store at once; their answers, local first. */
  private static List<List<Answer>> feedBoth(Policy policy, List<Arrival> arrivals) {
    LocalLimiterStore local = new LocalLimiterStore(policy, 100);
    RedisConnection connection = redis.connection(vertx, 5_000, new SimpleMeterRegistry());
    // Connected before the first arrival, which starts both backends' cycles at once.
    connection.send(Request.cmd(Command.PING)).await();
    RedisLimiterStore shared = new RedisLimiterStore(connection);
    List<Answer> fromLocal = new ArrayList<>();
    List<Answer> fromRedis = new ArrayList<>();
    long start = System.nanoTime();
    for (Arrival arrival : arrivals) {
      long dueInMs = arrival.atMs() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      if (dueInMs > 0) {
        vertx.timer(dueInMs).await();
      }
      RateDecision here = local.decide("key", arrival.permits());
      RateDecision there = shared.acquire(policy, "key", arrival.permits()).await();
      // What the headers say (Retry-After, RateLimit's reset) agrees too, to the clocks' skew.
      assertThat(there.waitMs()).as("wait at %d ms", arrival.atMs()).isCloseTo(here.waitMs(), SKEW);
      assertThat(there.resetMs())
          .as("reset at %d ms", arrival.atMs())
          .isCloseTo(here.resetMs(), SKEW);
      fromLocal.add(Answer.of(here));
      fromRedis.add(Answer.of(there));
    }
    return List.of(fromLocal, fromRedis);
  }

  private static Policy policy(String name, int limit, long maxWaitMs) {
    return new Policy(
        name,
        PolicyKey.TOKEN,
        PolicyUnit.PROFILES,
        limit,
        1_000,
        maxWaitMs,
        PolicyBackend.REDIS,
        StoreFailure.DENY);
  }
}
