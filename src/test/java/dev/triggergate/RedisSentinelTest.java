package dev.triggergate;

import static dev.triggergate.RedisFixtures.setAndWait;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisRole;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis Sentinel fixture against the Vert.x client in sentinel mode: writes reach the master
 * the Sentinels name and reads the replica, and after the master is killed or frozen the same
 * client writes to the promoted replica, which kept what was acknowledged with {@code WAIT}. Each
 * test forms its own deployment, as each failover leaves it without a replica.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisSentinelTest {
  private static final Logger LOG = LoggerFactory.getLogger(RedisSentinelTest.class);

  private static final long COMMAND_MS = 5_000;

  /** How long a write may keep failing while the master is replaced. */
  private static final long RETRY_MS = 15_000;

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Test
  void writesReachTheMasterTheSentinelsNameAndReadsTheReplica() {
    try (RedisSentinel sentinel = RedisSentinel.start()) {
      Redis client = sentinelClient(sentinel, RedisRole.MASTER, false);
      Redis replicas = sentinelClient(sentinel, RedisRole.REPLICA, false);
      try {
        assertThat(setAndWait(client, "k", "v")).isEqualTo(1);

        Redis master = Redis.createClient(vertx, sentinel.masterEndpoint());
        Redis replica = Redis.createClient(vertx, sentinel.replicaEndpoint());
        assertThat(send(master, Command.GET, "k")).hasToString("v");
        assertThat(send(replica, Command.GET, "k")).hasToString("v");
        assertThat(role(send(client, Command.INFO, "replication"))).isEqualTo("master");
        assertThat(send(client, Command.INFO, "server").toString())
            .contains("tcp_port:" + port(sentinel.masterEndpoint()));

        // The replica role reaches the replica, which has the write and refuses one of its own.
        String replication = send(replicas, Command.INFO, "replication").toString();
        assertThat(role(replication)).isEqualTo("slave");
        assertThat(replication).contains("master_port:" + port(sentinel.masterEndpoint()));
        assertThat(send(replicas, Command.GET, "k")).hasToString("v");
        assertThatThrownBy(() -> send(replicas, Command.SET, "k", "w"))
            .hasMessageStartingWith("READONLY");
      } finally {
        client.close().await();
        replicas.close().await();
      }

      // The Sentinels know the master only by the fixture's name.
      Redis unnamed =
          Redis.createClient(vertx, sentinelOptions(sentinel).setMasterName("mymaster"));
      assertThatThrownBy(() -> send(unnamed, Command.GET, "k"))
          .hasMessageContaining("No such master with that name");
      unnamed.close().await();
    }
  }

  @Test
  void aKilledMasterIsReplacedAndTheSameClientWritesAgainWithTheAcknowledgedData() {
    try (RedisSentinel sentinel = RedisSentinel.start()) {
      Redis client = sentinelClient(sentinel, RedisRole.MASTER, false);
      // Used for nothing but the one connection below. In Vert.x 5.0.7 a client that also sends
      // without a connection of its own has fetched the topology less than a second before
      // +switch-master arrives, so it reconnects to the dead master from its cache and leaves such
      // a connection closed for good ("Failed to reconnect to master after failover").
      Redis following = sentinelClient(sentinel, RedisRole.MASTER, true);
      try {
        assertThat(setAndWait(client, "kept", "before")).isEqualTo(1);
        RedisConnection pinned =
            client.connect().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
        RedisConnection followed =
            following.connect().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
        String oldMaster = sentinel.masterEndpoint();
        String replica = sentinel.replicaEndpoint();

        sentinel.killMaster();
        Future<Outage> followedOutage =
            sendUntilAccepted(() -> followed.send(Request.cmd(Command.GET, "kept")));
        Outage outage =
            sendUntilAccepted(() -> client.send(Request.cmd(Command.SET, "after", "after")))
                .timeout(RETRY_MS + COMMAND_MS, TimeUnit.MILLISECONDS)
                .await();
        sentinel.awaitFailover();
        LOG.info("Redis {}: writes after the master was killed: {}", sentinel.version(), outage);

        assertThat(sentinel.masterEndpoint()).isEqualTo(replica).isNotEqualTo(oldMaster);
        // Refused until the Sentinels name the replica, then written through the same client.
        assertThat(outage.accepted()).isTrue();
        assertThat(outage.failures).isNotEmpty();
        assertThat(outage.failures.get(outage.failures.size() - 1))
            .hasMessageContaining("Connection refused");
        assertThat(send(client, Command.GET, "kept")).hasToString("before");
        assertThat(send(client, Command.GET, "after")).hasToString("after");
        assertThat(send(client, Command.INFO, "server").toString())
            .contains("tcp_port:" + port(replica));

        // A connection taken before stays on the dead master; one with auto-failover moves.
        assertThatThrownBy(() -> send(pinned, Request.cmd(Command.PING)))
            .hasMessage("Connection is closed");
        Outage moved = followedOutage.timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
        LOG.info("Redis {}: an auto-failover connection: {}", sentinel.version(), moved);
        assertThat(moved.accepted()).isTrue();
        assertThat(moved.response).hasToString("before");
        assertThat(send(followed, Request.cmd(Command.INFO, "server")).toString())
            .contains("tcp_port:" + port(replica));
      } finally {
        client.close().await();
        following.close().await();
      }
    }
  }

  @Test
  void aFrozenMasterStallsWritesUntilReplacedAndOnceThawedAppliesTheOneTheClientGaveUpOn() {
    try (RedisSentinel sentinel = RedisSentinel.start()) {
      Redis client = sentinelClient(sentinel, RedisRole.MASTER, false);
      try {
        assertThat(setAndWait(client, "kept", "before")).isEqualTo(1);
        String oldMaster = sentinel.masterEndpoint();
        String replica = sentinel.replicaEndpoint();

        sentinel.freezeMaster();
        Outage outage;
        try {
          // Not refused: the frozen master's socket takes the write and never answers.
          Future<Response> stalled =
              client
                  .send(Request.cmd(Command.SET, "stalled", "x"))
                  .timeout(300, TimeUnit.MILLISECONDS);
          assertThatThrownBy(stalled::await).isInstanceOf(TimeoutException.class);
          outage =
              sendUntilAccepted(() -> client.send(Request.cmd(Command.SET, "after", "after")))
                  .timeout(RETRY_MS + COMMAND_MS, TimeUnit.MILLISECONDS)
                  .await();
          sentinel.awaitFailover();
        } finally {
          sentinel.thawMaster();
        }
        LOG.info("Redis {}: writes after the master was frozen: {}", sentinel.version(), outage);

        assertThat(sentinel.masterEndpoint()).isEqualTo(replica).isNotEqualTo(oldMaster);
        assertThat(outage.accepted()).isTrue();
        assertThat(outage.failures)
            .isNotEmpty()
            .allSatisfy(e -> assertThat(e).isInstanceOf(TimeoutException.class));
        send(client, Command.SET, "fresh", "new");
        assertThat(send(client, Command.GET, "kept")).hasToString("before");
        assertThat(send(client, Command.GET, "after")).hasToString("after");
        assertThat(send(client, Command.GET, "stalled")).isNull();

        // Thawed, the old master serves on as a master of its own until the Sentinels demote it
        // (some ten seconds later), and it has applied the write the client gave up on: a write
        // that timed out is not withdrawn, and is lost once the old master resyncs as a replica.
        Redis old = Redis.createClient(vertx, oldMaster);
        try {
          LOG.info(
              "Redis {}: the thawed old master says role:{}",
              sentinel.version(),
              role(send(old, Command.INFO, "replication")));
          assertThat(send(old, Command.GET, "stalled")).hasToString("x");
          assertThat(send(old, Command.GET, "fresh")).isNull();
        } finally {
          old.close().await();
        }
      } finally {
        client.close().await();
      }
    }
  }

  /** What a sender saw from its first attempt until one was accepted or it gave up. */
  private static final class Outage {
    final long began = System.nanoTime();
    final List<Throwable> failures = new ArrayList<>();
    long lastFailureMs = -1;
    long acceptedMs = -1;
    Response response;

    boolean accepted() {
      return acceptedMs >= 0;
    }

    @Override
    public String toString() {
      Map<String, Integer> messages = new LinkedHashMap<>();
      failures.forEach(
          e ->
              messages.merge(
                  e.getClass().getSimpleName() + ": " + e.getMessage(), 1, Integer::sum));
      return (accepted() ? "accepted after " + acceptedMs + " ms" : "never accepted")
          + ", "
          + failures.size()
          + " failures, the last after "
          + lastFailureMs
          + " ms: "
          + messages;
    }
  }

  /**
   * Sends until one attempt is accepted or {@link #RETRY_MS} have passed, each attempt bounded to a
   * second and 50 ms apart, recording every failure; the outage completes either way.
   */
  private static Future<Outage> sendUntilAccepted(Supplier<Future<Response>> send) {
    Outage outage = new Outage();
    return retrying(send, outage, outage.began + TimeUnit.MILLISECONDS.toNanos(RETRY_MS))
        .map(accepted -> outage);
  }

  private static Future<Void> retrying(
      Supplier<Future<Response>> send, Outage outage, long deadline) {
    return send.get()
        .timeout(1_000, TimeUnit.MILLISECONDS)
        .map(
            accepted -> {
              outage.response = accepted;
              outage.acceptedMs = sinceMs(outage.began);
              return (Void) null;
            })
        .recover(
            error -> {
              outage.failures.add(error);
              outage.lastFailureMs = sinceMs(outage.began);
              return System.nanoTime() > deadline
                  ? Future.succeededFuture()
                  : vertx.timer(50).compose(fired -> retrying(send, outage, deadline));
            });
  }

  private static long sinceMs(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  private static Redis sentinelClient(
      RedisSentinel sentinel, RedisRole role, boolean autoFailover) {
    return Redis.createClient(
        vertx, sentinelOptions(sentinel).setRole(role).setAutoFailover(autoFailover));
  }

  private static RedisOptions sentinelOptions(RedisSentinel sentinel) {
    RedisOptions options =
        new RedisOptions()
            .setType(RedisClientType.SENTINEL)
            .setMasterName(sentinel.masterName())
            .setRole(RedisRole.MASTER);
    sentinel.sentinelEndpoints().forEach(options::addConnectionString);
    return options;
  }

  private static String role(Response info) {
    return role(info.toString());
  }

  private static String role(String info) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("role:")) {
        return line.substring("role:".length()).trim();
      }
    }
    return null;
  }

  private static String port(String endpoint) {
    return endpoint.substring(endpoint.lastIndexOf(':') + 1);
  }

  private static Response send(RedisConnection connection, Request request) {
    return connection.send(request).timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
  }

  private static Response send(Redis client, Command command, Object... args) {
    return client
        .send(Request.cmd(command, args))
        .timeout(COMMAND_MS, TimeUnit.MILLISECONDS)
        .await();
  }
}
