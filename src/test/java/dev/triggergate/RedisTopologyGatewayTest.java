package dev.triggergate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.api.Sha256;
import dev.triggergate.dedup.Deduplication;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.impl.ZModem;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two gateways on a real Redis Cluster (three masters, a replica each) and on a real Sentinel
 * deployment: they share a limit exactly and recognise each other's request ids; a master is killed
 * mid-run and a replica promoted: every answer meanwhile is what {@code on_store_failure: deny}
 * says, each fallback is counted, no count is lost, and the limits are exact again after.
 */
class RedisTopologyGatewayTest {
  private static final Logger LOG = LoggerFactory.getLogger(RedisTopologyGatewayTest.class);
  private static final int LIMIT = 5;

  private final List<AutoCloseable> started = new ArrayList<>();
  private int tokens;

  @AfterEach
  void stop() throws Exception {
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).close();
    }
  }

  @Test
  void aClusterIsSharedExactlyAndThroughAKilledMaster() {
    RedisCluster cluster = keep(RedisCluster.start(3, true));
    String section = section(cluster);
    TestGateway first = keep(gateway(section));
    TestGateway second = keep(gateway(section));
    // A token for each shard: the limits live on all three masters.
    List<String> perShard =
        IntStream.range(0, cluster.shards())
            .mapToObj(shard -> token(slot -> cluster.shardOf(slot) == shard))
            .toList();

    for (String token : perShard) {
      assertThat(round(first, second, token)).isEqualTo(Map.of(200, LIMIT, 429, 3));
    }
    assertRepeatsRecognised(first, second, "cluster");
    syncReplica(cluster.endpoint(0), rateKey(perShard.get(0)));

    cluster.killMaster(0);
    Map<Integer, Integer> meanwhile = whileDown(first, second, perShard);
    cluster.awaitPromotion(0);
    first.awaitReady(200);
    second.awaitReady(200);

    LOG.info(
        "Redis Cluster {}: while shard 0's master was down {}; fallbacks {} + {}",
        cluster.version(),
        meanwhile,
        fallbacks(first),
        fallbacks(second));
    assertThat(fallbacks(first) + fallbacks(second)).isEqualTo(meanwhile.getOrDefault(503, 0));
    // The killed master's counts survived on its replica: spent tokens stay spent.
    assertThat(round(first, second, perShard.get(0))).isEqualTo(Map.of(429, 8));
    for (int shard = 0; shard < cluster.shards(); shard++) {
      int s = shard;
      String fresh = token(slot -> cluster.shardOf(slot) == s);
      assertThat(round(first, second, fresh)).isEqualTo(Map.of(200, LIMIT, 429, 3));
    }
    assertRepeatsRecognised(first, second, "cluster-after");
  }

  @Test
  void aClusterNodeConnectionDroppedAfterAFailoverIsReopened() {
    RedisCluster cluster = keep(RedisCluster.start(3, true));
    TestGateway gateway = keep(gateway(section(cluster)));
    String before = token(slot -> cluster.shardOf(slot) == 0);
    assertThat(round(gateway, gateway, before)).isEqualTo(Map.of(200, LIMIT, 429, 3));
    // The replica takes shard 0 over; the gateway follows MOVED to it on a connection of the
    // client's own making, which the gateway did not open.
    cluster.failover(0);
    String after = token(slot -> cluster.shardOf(slot) == 0);
    assertThat(round(gateway, gateway, after)).isEqualTo(Map.of(200, LIMIT, 429, 3));

    killClients(cluster.endpoint(0));

    // The first check may meet the dead connection (one 503); then a new one serves the shard.
    String again = token(slot -> cluster.shardOf(slot) == 0);
    int first = gateway.postJson(body(again)).statusCode();
    assertThat(first).isIn(200, 503);
    Map<Integer, Integer> rest = round(gateway, gateway, again);
    assertThat(rest.get(200)).isEqualTo(first == 200 ? LIMIT - 1 : LIMIT);
  }

  @Test
  void aSentinelMasterIsSharedExactlyAndThroughAFailover() {
    RedisSentinel sentinel = keep(RedisSentinel.start());
    String section = section(sentinel);
    TestGateway first = keep(gateway(section));
    TestGateway second = keep(gateway(section));
    String spent = token(slot -> true);

    assertThat(round(first, second, spent)).isEqualTo(Map.of(200, LIMIT, 429, 3));
    assertRepeatsRecognised(first, second, "sentinel");
    syncReplica(sentinel.masterEndpoint(), rateKey(spent));

    sentinel.killMaster();
    Map<Integer, Integer> meanwhile = whileDown(first, second, List.of(spent));
    sentinel.awaitFailover();
    first.awaitReady(200);
    second.awaitReady(200);

    LOG.info(
        "Sentinel {}: while the master was down {}; fallbacks {} + {}",
        sentinel.version(),
        meanwhile,
        fallbacks(first),
        fallbacks(second));
    assertThat(fallbacks(first) + fallbacks(second)).isEqualTo(meanwhile.getOrDefault(503, 0));
    assertThat(round(first, second, spent)).isEqualTo(Map.of(429, 8));
    assertThat(round(first, second, token(slot -> true))).isEqualTo(Map.of(200, LIMIT, 429, 3));
    assertRepeatsRecognised(first, second, "sentinel-after");
  }

  @Test
  void aFrozenSentinelMasterIsLeftForThePromotedReplica() {
    RedisSentinel sentinel = keep(RedisSentinel.start());
    String section = section(sentinel);
    TestGateway first = keep(gateway(section));
    TestGateway second = keep(gateway(section));
    String spent = token(slot -> true);
    assertThat(round(first, second, spent)).isEqualTo(Map.of(200, LIMIT, 429, 3));
    syncReplica(sentinel.masterEndpoint(), rateKey(spent));

    // Frozen, the old master keeps its sockets open: only new connections find the new one.
    sentinel.freezeMaster();
    String fresh;
    try {
      whileDown(first, second, List.of(spent));
      sentinel.awaitFailover();
      first.awaitReady(200);
      second.awaitReady(200);
      fresh = token(slot -> true);
      assertThat(round(first, second, fresh)).isEqualTo(Map.of(200, LIMIT, 429, 3));
    } finally {
      sentinel.thawMaster();
    }

    // The counts are on the promoted master, not on the one that was frozen.
    assertThat(exists(sentinel.masterEndpoint(), rateKey(fresh))).isTrue();
    assertThat(round(first, second, fresh)).isEqualTo(Map.of(429, 8));
  }

  private static String section(RedisCluster cluster) {
    return "redis: {type: cluster, command_timeout_ms: 500, endpoints: ['"
        + String.join("', '", cluster.endpoints())
        + "']}\n";
  }

  private static String section(RedisSentinel sentinel) {
    return "redis: {type: sentinel, master_name: "
        + sentinel.masterName()
        + ", command_timeout_ms: 500, endpoints: ['"
        + String.join("', '", sentinel.sentinelEndpoints())
        + "']}\n";
  }

  private static TestGateway gateway(String redisSection) {
    return TestGateway.start(
        redisSection
            + "rate_limits:\n"
            + "  policies:\n"
            + "    - {name: per-token, key: token, limit: "
            + LIMIT
            + ", period_ms: 600000, backend: redis, on_store_failure: deny}\n"
            + "dedup: {store: redis}\n");
  }

  /** Eight requests for the token, alternating gateways: five pass, three are refused. */
  private static Map<Integer, Integer> round(TestGateway first, TestGateway second, String token) {
    Map<Integer, Integer> statuses = new TreeMap<>();
    for (int i = 0; i < LIMIT + 3; i++) {
      int status = (i % 2 == 0 ? first : second).postJson(body(token)).statusCode();
      statuses.merge(status, 1, Integer::sum);
    }
    return statuses;
  }

  /** Requests while a master is down: each is counted by Redis, or denied and counted as such. */
  private static Map<Integer, Integer> whileDown(
      TestGateway first, TestGateway second, List<String> tokens) {
    Map<Integer, Integer> statuses = new TreeMap<>();
    for (int i = 0; i < 20; i++) {
      String token = tokens.get(i % tokens.size());
      int status = (i % 2 == 0 ? first : second).postJson(body(token)).statusCode();
      statuses.merge(status, 1, Integer::sum);
    }
    assertThat(statuses.keySet()).isSubsetOf(429, 503);
    assertThat(statuses).containsKey(503);
    return statuses;
  }

  /** A request id answered by one gateway is a repeat at the other, with the first answer. */
  private void assertRepeatsRecognised(TestGateway first, TestGateway second, String prefix) {
    for (int i = 0; i < 3; i++) {
      String body = body(token(slot -> true));
      HttpResponse<Buffer> original = first.postJson(body, prefix + "-" + i);
      HttpResponse<Buffer> repeat = second.postJson(body, prefix + "-" + i);

      assertThat(original.statusCode()).isEqualTo(200);
      assertThat(repeat.getHeader(Deduplication.DUPLICATE_REQUEST)).isEqualTo("true");
      assertThat(repeat.bodyAsString()).isEqualTo(original.bodyAsString());
    }
  }

  /**
   * A new token whose rate key falls on a slot {@code where} accepts. The key is the one the
   * gateway uses: the policy's name and the token's hash, in a hash tag.
   */
  private String token(IntPredicate where) {
    while (true) {
      String token = "tok-" + tokens++;
      if (where.test(ZModem.generate(rateKey(token)))) {
        return token;
      }
    }
  }

  /**
   * Waits until the master's writes reached its replica, so the kill loses nothing acknowledged:
   * the failover is then tested, not Redis's asynchronous replication. WAIT counts the writes of
   * its own connection, so it follows one, in the slot of {@code key}.
   */
  private static void syncReplica(String master, String key) {
    Vertx vertx = Vertx.vertx();
    try {
      Redis client = Redis.createClient(vertx, master);
      assertThat(RedisFixtures.setAndWait(client, key + ":synced", "1")).isEqualTo(1);
    } finally {
      vertx.close().await();
    }
  }

  /** Closes every client connection of the node, as a restart of its network would. */
  private static void killClients(String endpoint) {
    Vertx vertx = Vertx.vertx();
    try {
      Redis.createClient(vertx, endpoint)
          .send(
              Request.cmd(Command.CLIENT)
                  .arg("KILL")
                  .arg("TYPE")
                  .arg("normal")
                  .arg("SKIPME")
                  .arg("yes"))
          .await();
    } finally {
      vertx.close().await();
    }
  }

  private static boolean exists(String endpoint, String key) {
    Vertx vertx = Vertx.vertx();
    try {
      return Redis.createClient(vertx, endpoint)
              .send(Request.cmd(Command.EXISTS).arg(key))
              .await()
              .toInteger()
          == 1;
    } finally {
      vertx.close().await();
    }
  }

  /** The gateway's rate key for the token under policy per-token. */
  private static String rateKey(String token) {
    return "tg:rate:{per-token:" + HexFormat.of().formatHex(Sha256.of(token), 0, 12) + "}";
  }

  private static String body(String token) {
    return "{\"token\":\""
        + token
        + "\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}]}";
  }

  private static int fallbacks(TestGateway gateway) {
    return (int)
        gateway.running.registry().find("gateway_ratelimit_store_fallbacks").counters().stream()
            .mapToDouble(Counter::count)
            .sum();
  }

  private <T extends AutoCloseable> T keep(T resource) {
    started.add(resource);
    return resource;
  }
}
