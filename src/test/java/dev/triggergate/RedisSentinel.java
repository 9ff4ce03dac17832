package dev.triggergate;

import static dev.triggergate.RedisFixtures.AGREE_MS;
import static dev.triggergate.RedisFixtures.COMMAND_MS;
import static dev.triggergate.RedisFixtures.await;
import static dev.triggergate.RedisFixtures.delete;
import static dev.triggergate.RedisFixtures.field;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis Sentinel deployment for tests: one master, one replica and three Sentinels with a
 * quorum of two, every one its own {@code redis-server} (see {@link RedisProcess}) on free loopback
 * ports. This class points the replica at the master with {@code REPLICAOF} and gives each Sentinel
 * a config file of its own that monitors the master; the Sentinels find the replica and each other
 * themselves. Tests may kill or freeze the master and wait for the Sentinels to promote the
 * replica.
 *
 * <p>Its methods block the calling test thread until the deployment agrees, each with a deadline.
 */
public final class RedisSentinel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisSentinel.class);

  /** Not Vert.x's default {@code mymaster}, so a client that forgets to name it finds nothing. */
  private static final String MASTER_NAME = "gateway";

  private static final int SENTINELS = 3;
  private static final int QUORUM = 2;

  /** Small, so a dead master is subjectively down after a second and replaced in about three. */
  private static final int DOWN_AFTER_MS = 1_000;

  /**
   * Bounds a failover that stalls, and a failed leader election is retried after twice this. Three
   * seconds leave room for the promoted replica to report itself master (Sentinels ask it every
   * second during a failover).
   */
  private static final int FAILOVER_TIMEOUT_MS = 3_000;

  private final Vertx vertx = Vertx.vertx();
  private final List<Node> nodes = new ArrayList<>();
  private final List<Node> sentinels = new ArrayList<>();
  private Path dir;
  private Node master;
  private Node replica;
  private Node frozen;
  private String version = "?";

  /** One redis-server: its process and a plain client for the commands we send it. */
  private static final class Node {
    final RedisProcess process;
    final Redis admin;

    Node(RedisProcess process, Redis admin) {
      this.process = process;
      this.admin = admin;
    }

    int port() {
      return process.port();
    }

    String url() {
      return "redis://127.0.0.1:" + process.port();
    }

    boolean alive() {
      return process.isAlive();
    }
  }

  private RedisSentinel() {}

  public static RedisSentinel start() {
    RedisSentinel sentinel = new RedisSentinel();
    try {
      sentinel.form();
      return sentinel;
    } catch (RuntimeException e) {
      sentinel.close();
      throw e;
    }
  }

  /** The name the Sentinels monitor the master by, for {@code RedisOptions.setMasterName}. */
  public String masterName() {
    return MASTER_NAME;
  }

  /** The three Sentinels: {@code redis://127.0.0.1:port}. */
  public List<String> sentinelEndpoints() {
    return sentinels.stream().map(Node::url).toList();
  }

  /** The master now, as of the last {@link #start} or {@link #awaitFailover}. */
  public String masterEndpoint() {
    return master.url();
  }

  /** The replica now, or null once it has been promoted. */
  public String replicaEndpoint() {
    return replica == null ? null : replica.url();
  }

  /** The {@code redis_version} the nodes run. */
  public String version() {
    return version;
  }

  /** SIGKILL to the master, as a crash would; returns at once. */
  public void killMaster() {
    master.process.kill();
  }

  /**
   * SIGSTOP to the master: its socket stays open but nothing answers, and after {@code
   * down-after-milliseconds} the Sentinels count it as down and fail over as if it had died.
   */
  public void freezeMaster() {
    frozen = master;
    master.process.freeze();
  }

  /**
   * SIGCONT to the master {@link #freezeMaster} froze, even when it has been replaced meanwhile: it
   * then serves again as a master of its own until the Sentinels notice and make it a replica of
   * the new master, which takes them about ten seconds.
   */
  public void thawMaster() {
    if (frozen == null) {
      throw new IllegalStateException("no master frozen");
    }
    frozen.process.thaw();
    frozen = null;
  }

  /**
   * Waits until the Sentinels have promoted the replica after {@link #killMaster} or {@link
   * #freezeMaster}: every Sentinel names it for {@link #masterName} with {@code SENTINEL
   * GET-MASTER-ADDR-BY-NAME} and it says {@code role:master} itself. From then on the deployment
   * has no replica: the old master stays dead, or (thawed) is not counted as one.
   */
  public void awaitFailover() {
    if (replica == null || !replica.alive()) {
      throw new IllegalStateException("no replica to promote");
    }
    long began = System.nanoTime();
    Node promoted = replica;
    await(until("the replica promoted", () -> notPromoted(promoted)), AGREE_MS);
    master = promoted;
    replica = null;
    LOG.info(
        "Sentinels agree on {} as master after {} ms of waiting",
        master.url(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
  }

  @Override
  public void close() {
    try {
      vertx.close().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
    } catch (RuntimeException e) {
      LOG.warn("Vert.x of the Redis Sentinel fixture did not close: {}", e.toString());
    }
    for (Node node : nodes) {
      node.process.close();
    }
    if (dir != null) {
      delete(dir);
    }
  }

  private void form() {
    long began = System.nanoTime();
    try {
      dir = Files.createTempDirectory("redis-sentinel-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    master = launchServer();
    replica = launchServer();
    await(send(replica, "REPLICAOF", "127.0.0.1", Integer.toString(master.port())), COMMAND_MS);
    // Before any Sentinel starts: a Sentinel learns of replicas from the master's INFO, which it
    // asks for once on connecting and then only every ten seconds.
    await(until("the replica in sync", this::notInSync), AGREE_MS);
    for (int i = 0; i < SENTINELS; i++) {
      sentinels.add(launchSentinel());
    }
    await(until("the Sentinels agree", this::sentinelDisagreement), AGREE_MS);
    version = field(await(send(master, "INFO", "server"), COMMAND_MS).toString(), "redis_version");
    LOG.info(
        "Redis Sentinel: master {}, replica {}, Sentinels {} on Redis {} ready in {} ms",
        master.url(),
        replica.url(),
        sentinelEndpoints(),
        version,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
  }

  private Node launchServer() {
    int port = RedisProcess.freePort();
    Path own = directory("redis-" + port);
    RedisProcess process =
        RedisProcess.start(
            port,
            List.of(
                "--dir",
                own.toString(),
                // 7.0 syncs replicas diskless by default and first waits 5 s for more of them.
                "--repl-diskless-sync-delay",
                "0"));
    return node(process);
  }

  private Node launchSentinel() {
    int port = RedisProcess.freePort();
    Path own = directory("sentinel-" + port);
    Path config = own.resolve("sentinel.conf");
    String monitor = "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + master.port();
    String settings =
        String.join(
            "\n",
            "dir " + own,
            // The monitor line first: the other per-master settings name a master it declared.
            monitor + " " + QUORUM,
            "sentinel down-after-milliseconds " + MASTER_NAME + " " + DOWN_AFTER_MS,
            "sentinel failover-timeout " + MASTER_NAME + " " + FAILOVER_TIMEOUT_MS,
            "");
    try {
      Files.writeString(config, settings);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return node(RedisProcess.sentinel(port, config));
  }

  private Node node(RedisProcess process) {
    Node node =
        new Node(
            process,
            Redis.createClient(
                vertx,
                new RedisOptions().setConnectionString("redis://127.0.0.1:" + process.port())));
    nodes.add(node);
    return node;
  }

  private Path directory(String name) {
    try {
      return Files.createDirectory(dir.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What keeps the replica from serving a copy of the master, or null once it does. */
  private Future<String> notInSync() {
    return Future.all(send(replica, "INFO", "replication"), send(master, "INFO", "replication"))
        .map(
            answers -> {
              String ours = answers.<Response>resultAt(0).toString();
              String theirs = answers.<Response>resultAt(1).toString();
              if (!"up".equals(field(ours, "master_link_status"))) {
                return replica.url() + " master_link_status:" + field(ours, "master_link_status");
              }
              String slave = field(theirs, "slave0");
              if (slave == null
                  || !slave.contains("port=" + replica.port())
                  || !slave.contains("state=online")) {
                return master.url() + " slave0:" + slave;
              }
              return null;
            })
        .otherwise(Throwable::toString);
  }

  /**
   * What some Sentinel sees differently, or null once each one monitors the master as up, knows the
   * replica from the replica's own INFO (a Sentinel promotes only a replica it has heard from) and
   * knows the other two Sentinels, whose votes it needs for a failover.
   */
  private Future<String> sentinelDisagreement() {
    return firstProblem(
        sentinels,
        sentinel ->
            Future.all(
                    send(sentinel, "SENTINEL", "MASTER", MASTER_NAME),
                    send(sentinel, "SENTINEL", "REPLICAS", MASTER_NAME))
                .map(
                    answers -> {
                      Response monitored = answers.resultAt(0);
                      Response replicas = answers.resultAt(1);
                      String at = sentinel.url() + ": ";
                      if (!"master".equals(value(monitored, "flags"))
                          || !Integer.toString(master.port()).equals(value(monitored, "port"))) {
                        return at + "master " + monitored;
                      }
                      if (!"1".equals(value(monitored, "num-slaves"))) {
                        return at + "num-slaves " + value(monitored, "num-slaves");
                      }
                      String others = Integer.toString(SENTINELS - 1);
                      if (!others.equals(value(monitored, "num-other-sentinels"))) {
                        return at
                            + "num-other-sentinels "
                            + value(monitored, "num-other-sentinels");
                      }
                      if (replicas.size() != 1) {
                        return at + "replicas " + replicas;
                      }
                      Response known = replicas.get(0);
                      if (!Integer.toString(replica.port()).equals(value(known, "port"))
                          || !"slave".equals(value(known, "flags"))
                          || !"ok".equals(value(known, "master-link-status"))) {
                        return at + "replica " + known;
                      }
                      return null;
                    }));
  }

  /** What keeps the promotion from being done, or null once Sentinels and replica agree. */
  private Future<String> notPromoted(Node promoted) {
    String port = Integer.toString(promoted.port());
    Future<String> named =
        firstProblem(
            sentinels,
            sentinel ->
                send(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
                    .map(
                        address ->
                            port.equals(address.get(1).toString())
                                ? null
                                : sentinel.url() + " names " + address));
    return named.compose(
        problem ->
            problem != null
                ? Future.succeededFuture(problem)
                : send(promoted, "INFO", "replication")
                    .map(
                        info ->
                            "master".equals(field(info.toString(), "role"))
                                ? null
                                : promoted.url() + " role:" + field(info.toString(), "role"))
                    .otherwise(Throwable::toString));
  }

  /** A field of a SENTINEL answer: a map in RESP3, a flat list of names and values in RESP2. */
  private static String value(Response answer, String name) {
    if (answer == null || !answer.containsKey(name)) {
      return null;
    }
    Response value = answer.get(name);
    return value == null ? null : value.toString();
  }

  /** The first problem any of these nodes reports, or null when none has one. */
  private Future<String> firstProblem(List<Node> among, Function<Node, Future<String>> check) {
    return RedisFixtures.firstProblem(among, check, Node::url);
  }

  private Future<Void> until(String what, Supplier<Future<String>> check) {
    return RedisFixtures.until(vertx, "Redis Sentinel", what, check);
  }

  private static Future<Response> send(Node node, String... words) {
    return RedisFixtures.send(node.admin, words);
  }
}
