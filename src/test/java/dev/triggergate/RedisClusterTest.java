package dev.triggergate;

import static dev.triggergate.RedisFixtures.setAndWait;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisClusterTransactions;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Redis Cluster fixture against the Vert.x client in cluster mode: keys on every master, one
 * slot for hash-tagged keys in a script or a transaction, one seed endpoint finding the rest, and
 * data and writes that survive a failover and a killed master.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisClusterTest {
  private static final long COMMAND_MS = 5_000;

  /** How long a write may keep failing while a master is replaced. */
  private static final long RETRY_MS = 10_000;

  private static RedisCluster cluster;
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    cluster = RedisCluster.start();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void keysOnEveryMasterAreWrittenAndReadAndLiveOnTheMasterOfTheirSlot() {
    Redis client = clusterClient(cluster.endpoints());
    Map<Integer, String> keys = keyPerShard(client, cluster, "every-");

    for (Map.Entry<Integer, String> key : keys.entrySet()) {
      send(client, Command.SET, key.getValue(), "v" + key.getKey());
    }

    assertThat(keys).hasSize(cluster.shards());
    for (Map.Entry<Integer, String> key : keys.entrySet()) {
      assertThat(send(client, Command.GET, key.getValue())).hasToString("v" + key.getKey());
      // Asked without the cluster client, the master of the slot has it itself.
      Redis plain = Redis.createClient(vertx, cluster.endpoint(key.getKey()));
      assertThat(send(plain, Command.GET, key.getValue())).hasToString("v" + key.getKey());
    }
  }

  @Test
  void hashTaggedKeysShareOneSlotInAScriptAndATransaction() {
    Redis client =
        Redis.createClient(
            vertx,
            clusterOptions(cluster.endpoints())
                // The default refuses MULTI in cluster mode; SINGLE_NODE pins it to one node.
                .setClusterTransactions(RedisClusterTransactions.SINGLE_NODE));
    assertThat(send(client, Command.CLUSTER, "KEYSLOT", "{k}a").toInteger())
        .isEqualTo(send(client, Command.CLUSTER, "KEYSLOT", "{k}b").toInteger());

    Response both =
        send(
            client,
            Command.EVAL,
            "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[2]);"
                + " return redis.call('MGET', KEYS[1], KEYS[2])",
            "2",
            "{k}a",
            "{k}b",
            "one",
            "two");
    assertThat(both.get(0)).hasToString("one");
    assertThat(both.get(1)).hasToString("two");

    RedisConnection connection =
        client.connect().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
    try {
      send(connection, Request.cmd(Command.MULTI));
      send(connection, Request.cmd(Command.INCR, "{k}n"));
      send(connection, Request.cmd(Command.INCRBY, "{k}m", "10"));
      Response exec = send(connection, Request.cmd(Command.EXEC));
      assertThat(exec.get(0).toInteger()).isEqualTo(1);
      assertThat(exec.get(1).toInteger()).isEqualTo(10);
    } finally {
      connection.close();
    }
  }

  @Test
  void aScriptNamingKeysOfTwoSlotsIsRefused() {
    Redis client = clusterClient(cluster.endpoints());
    Map<Integer, String> keys = keyPerShard(client, cluster, "cross-");

    assertThatThrownBy(
            () ->
                send(
                    client,
                    Command.EVAL,
                    "return redis.call('MGET', KEYS[1], KEYS[2])",
                    "2",
                    keys.get(0),
                    keys.get(1)))
        .hasMessageContaining("CROSSSLOT");
  }

  @Test
  void oneSeedEndpointReachesEveryMasterAndAWrongNodeAnswersMoved() {
    Redis writer = clusterClient(cluster.endpoints());
    Map<Integer, String> keys = keyPerShard(writer, cluster, "seed-");
    keys.forEach((shard, key) -> send(writer, Command.SET, key, "s" + shard));

    Redis seeded = clusterClient(List.of(cluster.endpoint(0)));
    keys.forEach(
        (shard, key) -> assertThat(send(seeded, Command.GET, key)).hasToString("s" + shard));

    // What the cluster client follows: the first master redirects a key of the second.
    Redis first = Redis.createClient(vertx, cluster.endpoint(0));
    int slot = send(writer, Command.CLUSTER, "KEYSLOT", keys.get(1)).toInteger();
    assertThatThrownBy(() -> send(first, Command.GET, keys.get(1)))
        .hasMessage("MOVED " + slot + " " + cluster.endpoint(1).substring("redis://".length()));
  }

  @Test
  void aFailoverMidRunLosesNoAcknowledgedWriteAndTheClientFollowsTheNewMaster() {
    try (RedisCluster replicated = RedisCluster.start(3, true)) {
      // A slot map cached for a minute: what routes the writes after the failover is MOVED.
      Redis client =
          Redis.createClient(
              vertx, clusterOptions(replicated.endpoints()).setHashSlotCacheTTL(60_000));
      Map<Integer, String> keys = keyPerShard(client, replicated, "fo-");
      keys.forEach((shard, key) -> assertThat(setAndWait(client, key, "before")).isEqualTo(1));
      String tagged = "{" + keys.get(1) + "}n";
      int before = replicated.shardOf(send(client, Command.CLUSTER, "KEYSLOT", tagged).toInteger());

      // Counts on shard 1's master on the event loop while the test thread fails it over.
      List<Integer> acknowledged = new ArrayList<>();
      List<Throwable> failed = new ArrayList<>();
      Writer writes = new Writer(client, tagged, acknowledged, failed);
      writes.start();
      String oldMaster = replicated.endpoint(before);
      replicated.failover(before);
      Integer stopped = writes.stop().timeout(RETRY_MS, TimeUnit.MILLISECONDS).await();

      assertThat(replicated.endpoint(before)).isNotEqualTo(oldMaster);
      assertThat(failed).isEmpty();
      assertThat(stopped).isPositive();
      assertThat(send(client, Command.GET, tagged).toInteger()).isEqualTo(stopped);
      keys.forEach(
          (shard, key) -> assertThat(send(client, Command.GET, key)).hasToString("before"));
      assertThat(retry(() -> client.send(Request.cmd(Command.SET, keys.get(1), "after"))))
          .hasToString("OK");
    }
  }

  @Test
  void aKilledMasterIsReplacedByItsReplicaWithTheDataItHad() {
    try (RedisCluster replicated = RedisCluster.start(3, true)) {
      Redis client = clusterClient(replicated.endpoints());
      Map<Integer, String> keys = keyPerShard(client, replicated, "kill-");
      keys.forEach((shard, key) -> assertThat(setAndWait(client, key, "kept")).isEqualTo(1));

      replicated.killMaster(2);
      long killed = System.nanoTime();
      // Bounded: the cluster refuses or times out until the replica is promoted.
      assertThat(retry(() -> client.send(Request.cmd(Command.SET, keys.get(2), "new"))))
          .hasToString("OK");
      long writable = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
      replicated.awaitPromotion(2);

      assertThat(writable).isLessThan(RETRY_MS);
      assertThat(replicated.endpoints()).hasSize(3);
      assertThat(send(client, Command.GET, keys.get(2))).hasToString("new");
      keys.forEach(
          (shard, key) -> {
            if (shard != 2) {
              assertThat(send(client, Command.GET, key)).hasToString("kept");
            }
          });
    }
  }

  @Test
  void aFrozenMasterAnswersNothingUntilThawed() {
    try (RedisCluster frozen = RedisCluster.start()) {
      Redis client = clusterClient(frozen.endpoints());
      Map<Integer, String> keys = keyPerShard(client, frozen, "frozen-");
      keys.forEach((shard, key) -> send(client, Command.SET, key, "f" + shard));

      frozen.freeze(0);
      try {
        // Well under the node timeout, so the cluster does not count the master as failed. (Keys
        // of the other masters stall too meanwhile: the Vert.x 5.0.7 cluster client reaches every
        // master for each command it sends.)
        Future<Response> stalled =
            client.send(Request.cmd(Command.GET, keys.get(0))).timeout(300, TimeUnit.MILLISECONDS);
        assertThatThrownBy(stalled::await).isInstanceOf(TimeoutException.class);
      } finally {
        frozen.thaw(0);
      }
      assertThat(send(client, Command.GET, keys.get(0))).hasToString("f0");
    }
  }

  /** INCRs a key one after the other until stopped, each with a bounded retry. */
  private static final class Writer {
    private final Redis client;
    private final String key;
    private final List<Integer> acknowledged;
    private final List<Throwable> failed;
    private volatile boolean stopping;
    private final io.vertx.core.Promise<Integer> done = io.vertx.core.Promise.promise();

    Writer(Redis client, String key, List<Integer> acknowledged, List<Throwable> failed) {
      this.client = client;
      this.key = key;
      this.acknowledged = acknowledged;
      this.failed = failed;
    }

    void start() {
      vertx.runOnContext(go -> next());
    }

    Future<Integer> stop() {
      stopping = true;
      return done.future();
    }

    private void next() {
      if (stopping) {
        done.complete(acknowledged.size());
        return;
      }
      retrying(
              () -> client.send(Request.cmd(Command.INCR, key)),
              System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MS))
          .onSuccess(value -> acknowledged.add(value.toInteger()))
          .onFailure(failed::add)
          .onComplete(result -> next());
    }
  }

  /** A key of each shard, found with CLUSTER KEYSLOT. */
  private static Map<Integer, String> keyPerShard(
      Redis client, RedisCluster cluster, String prefix) {
    Map<Integer, String> keys = new HashMap<>();
    for (int i = 0; keys.size() < cluster.shards() && i < 1_000; i++) {
      String key = prefix + i;
      int slot = send(client, Command.CLUSTER, "KEYSLOT", key).toInteger();
      keys.putIfAbsent(cluster.shardOf(slot), key);
    }
    return keys;
  }

  /** Sends until it succeeds or {@link #RETRY_MS} have passed, a little apart. */
  private static Response retry(Supplier<Future<Response>> send) {
    return retrying(send, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MS))
        .timeout(RETRY_MS + COMMAND_MS, TimeUnit.MILLISECONDS)
        .await();
  }

  private static Future<Response> retrying(Supplier<Future<Response>> send, long deadline) {
    return send.get()
        .timeout(1_000, TimeUnit.MILLISECONDS)
        .recover(
            error ->
                System.nanoTime() > deadline
                    ? Future.failedFuture(error)
                    : vertx.timer(50).compose(fired -> retrying(send, deadline)));
  }

  private static Redis clusterClient(List<String> endpoints) {
    return Redis.createClient(vertx, clusterOptions(endpoints));
  }

  private static RedisOptions clusterOptions(List<String> endpoints) {
    RedisOptions options = new RedisOptions().setType(RedisClientType.CLUSTER);
    endpoints.forEach(options::addConnectionString);
    return options;
  }

  private static Response send(Redis client, Command command, Object... args) {
    return client
        .send(Request.cmd(command, args))
        .timeout(COMMAND_MS, TimeUnit.MILLISECONDS)
        .await();
  }

  private static Response send(RedisConnection connection, Request request) {
    return connection.send(request).timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
  }
}
