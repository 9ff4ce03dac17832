package dev.triggergate;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two freshly started gateways (cold JVMs, as a new deployment is) share one Redis and one token
 * policy of 30 a minute: a burst from 32 concurrent clients gets exactly the limit, whatever {@code
 * on_store_failure} says, and a Redis stalled by SIGSTOP mid-burst gets what each mode says.
 */
class SharedLimitJarIT {
  private static final Logger LOG = LoggerFactory.getLogger(SharedLimitJarIT.class);
  private static final int CLIENTS = 32;
  private static final long STALL_MS = 2_000;
  private static final Pattern FALLBACKS =
      Pattern.compile("(?m)^gateway_ratelimit_store_fallbacks_total\\{[^}]*} (\\S+)$");

  private static final Pattern COMMANDS =
      Pattern.compile(
          "(?m)^gateway_redis_commands_seconds_(count|max)\\{outcome=\"(\\w+)\"} (\\S+)$");

  @TempDir Path dir;
  private RedisServer redis;
  private final List<GatewayProcess> gateways = new ArrayList<>();
  private final ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);

  @BeforeEach
  void startRedis() {
    redis = RedisServer.start();
  }

  @AfterEach
  void stop() {
    clients.shutdownNow();
    gateways.forEach(GatewayProcess::close);
    redis.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"deny", "local", "allow"})
  void aBurstOnTwoColdGatewaysGetsExactlyTheSharedLimitThenAStallGetsWhatTheModeSays(String mode)
      throws Exception {
    Path conf = dir.resolve("gateway.yaml");
    Files.writeString(
        conf,
        redis.section(250)
            + "server: {host: 127.0.0.1}\n"
            + "rate_limits:\n"
            + "  policies:\n"
            + "    - {name: per-token, key: token, limit: 30, period_ms: 60000, backend: redis,"
            + " on_store_failure: "
            + mode
            + "}\n");
    GatewayProcess first = start(conf);
    GatewayProcess second = start(conf);

    Map<Integer, Integer> burst = burst(first, second, "burst", 100);
    LOG.info(
        "on_store_failure={}: burst of 100 on two cold gateways: {}; Redis commands {} and {}",
        mode,
        burst,
        commands(first),
        commands(second));
    assertThat(burst).containsExactlyInAnyOrderEntriesOf(Map.of(200, 30, 429, 70));
    assertThat(fallbacks(first) + fallbacks(second)).isZero();

    // Another token: a quota of its own. 20 pass while Redis is healthy; 70 meet a stalled Redis;
    // 10 come after it woke, when every stalled check it was sent had run and spent the rest.
    Map<Integer, Integer> before = burst(first, second, "stall", 20);
    long frozenAt = System.nanoTime();
    redis.freeze();
    Map<Integer, Integer> stalled;
    try {
      stalled = burst(first, second, "stall", 70);
      long left = STALL_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozenAt);
      assertThat(left).as("the stalled burst was answered within the stall").isPositive();
      awaitMillis(left);
    } finally {
      redis.thaw();
    }
    awaitReady(first);
    awaitReady(second);
    Map<Integer, Integer> after = burst(first, second, "stall", 10);
    LOG.info(
        "on_store_failure={}: 20 before the stall {}, 70 during it {}, 10 after it {};"
            + " fallbacks {} + {}",
        mode,
        before,
        stalled,
        after,
        fallbacks(first),
        fallbacks(second));

    assertThat(before).containsExactlyInAnyOrderEntriesOf(Map.of(200, 20));
    assertThat(stalled)
        .containsExactlyInAnyOrderEntriesOf(
            switch (mode) {
              case "deny" -> Map.of(503, 70);
              case "allow" -> Map.of(200, 70);
              // Each gateway counts alone, 30 a minute: 35 reach each.
              default -> Map.of(200, 60, 429, 10);
            });
    assertThat(fallbacks(first) + fallbacks(second)).isEqualTo(70);
    assertThat(after).containsExactlyInAnyOrderEntriesOf(Map.of(429, 10));
  }

  /**
   * On a port of its own choosing: with port 0 each event loop would bind a port of its own and
   * every request would reach the one announced, where a deployment spreads them over all.
   */
  private GatewayProcess start(Path conf) throws Exception {
    GatewayProcess gateway =
        GatewayProcess.start(
            List.of("-Xmx256m"),
            conf,
            "TG_SERVER__PORT",
            Integer.toString(RedisProcess.freePort()));
    gateways.add(gateway);
    return gateway;
  }

  /** {@code count} requests from 32 concurrent clients, every other one to each gateway. */
  private Map<Integer, Integer> burst(
      GatewayProcess first, GatewayProcess second, String token, int count) throws Exception {
    String body =
        "{\"token\":\"" + token + "\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}]}";
    List<Future<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      GatewayProcess gateway = i % 2 == 0 ? first : second;
      answers.add(clients.submit(() -> gateway.post(body)));
    }
    Map<Integer, Integer> statuses = new TreeMap<>();
    for (Future<HttpResponse<String>> answer : answers) {
      statuses.merge(answer.get(60, TimeUnit.SECONDS).statusCode(), 1, Integer::sum);
    }
    return statuses;
  }

  private static double fallbacks(GatewayProcess gateway) throws Exception {
    Matcher matcher = FALLBACKS.matcher(gateway.get("/metrics").body());
    double total = 0;
    while (matcher.find()) {
      total += Double.parseDouble(matcher.group(1));
    }
    return total;
  }

  /** Waits on a timer, the rest of the stall. */
  private static void awaitMillis(long ms) throws Exception {
    CompletableFuture.runAsync(
            () -> {}, CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS))
        .get();
  }

  /** The gateway's Redis commands by outcome: how many, and the slowest, in seconds. */
  private static Map<String, String> commands(GatewayProcess gateway) throws Exception {
    Map<String, String> commands = new TreeMap<>();
    Matcher matcher = COMMANDS.matcher(gateway.get("/metrics").body());
    while (matcher.find()) {
      commands.merge(
          matcher.group(2), matcher.group(1) + "=" + matcher.group(3), (a, b) -> a + " " + b);
    }
    return commands;
  }

  private static void awaitReady(GatewayProcess gateway) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (gateway.get("/ready").statusCode() != 200) {
      assertThat(System.nanoTime()).as("Redis back in use").isLessThan(deadline);
      awaitMillis(20);
    }
  }
}
