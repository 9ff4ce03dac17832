package dev.triggergate.ratelimit;

import dev.triggergate.RedisServer;
import dev.triggergate.config.GatewayConfig.Policy;
import dev.triggergate.config.GatewayConfig.PolicyBackend;
import dev.triggergate.config.GatewayConfig.PolicyKey;
import dev.triggergate.config.GatewayConfig.PolicyUnit;
import dev.triggergate.config.GatewayConfig.StoreFailure;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** The cost of one rate check: local (one hot key, many keys) and Redis (a loopback round trip). */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class LimiterBench {
  /** A quota no benchmark exhausts, so every check takes the granting path. */
  private static final Policy POLICY =
      new Policy(
          "bench",
          PolicyKey.TOKEN,
          PolicyUnit.REQUESTS,
          Integer.MAX_VALUE,
          1_000,
          0,
          PolicyBackend.REDIS,
          StoreFailure.DENY);

  private static final int KEYS = 100_000;

  private LocalLimiterStore local;
  private String[] keys;
  private int next;
  private RedisServer redisServer;
  private Vertx vertx;
  private RedisLimiterStore redis;

  @Setup(Level.Trial)
  public void setUp() {
    local = new LocalLimiterStore(POLICY, KEYS);
    keys = new String[KEYS];
    for (int i = 0; i < KEYS; i++) {
      keys[i] = "token-" + i;
    }
    redisServer = RedisServer.start();
    vertx = Vertx.vertx();
    redis =
        new RedisLimiterStore(
            redisServer.connection(
                vertx, 1_000, new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    vertx.close().await();
    redisServer.close();
  }

  @Benchmark
  public RateDecision localOneKey() {
    return local.decide("token-0", 1);
  }

  /** Keys spread over the bounded store: a Caffeine lookup per check as well. */
  @Benchmark
  public RateDecision localManyKeys() {
    int i = next++;
    if (next == KEYS) {
      next = 0;
    }
    return local.decide(keys[i], 1);
  }

  /** One rate script on a loopback Redis, awaited: the latency a request pays. */
  @Benchmark
  public RateDecision redisRoundTrip() {
    return redis.acquire(POLICY, "token-0", 1).await();
  }
}
