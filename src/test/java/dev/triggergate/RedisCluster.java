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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis Cluster for tests: N masters, optionally one replica each, every node its own {@code
 * redis-server} (see {@link RedisProcess}) on free loopback ports, joined by this class itself with
 * {@code CLUSTER MEET}, {@code ADDSLOTS} and {@code REPLICATE}, so no {@code redis-cli} is needed.
 * Tests may kill, freeze or fail over a master to prove what the gateway does meanwhile.
 *
 * <p>Its methods block the calling test thread until the cluster agrees, each with a deadline.
 */
public final class RedisCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisCluster.class);

  /** Redis Cluster's fixed number of hash slots. */
  public static final int SLOTS = 16_384;

  /** Small, so a killed master is declared failed and replaced in about two seconds. */
  private static final int NODE_TIMEOUT_MS = 1_000;

  /** ADDSLOTSRANGE is 7.0 only; 6.2 takes explicit slots, sent a batch per command. */
  private static final int ADDSLOTS_BATCH = 1_024;

  private final Vertx vertx = Vertx.vertx();
  private final List<Node> nodes = new ArrayList<>();
  private final List<Shard> shards = new ArrayList<>();
  private String version = "?";

  /** One redis-server: its process, its own directory, a plain client for the commands we send. */
  private static final class Node {
    final RedisProcess process;
    final Path dir;
    final Redis admin;
    String id;

    Node(RedisProcess process, Path dir, Redis admin) {
      this.process = process;
      this.dir = dir;
      this.admin = admin;
    }

    String url() {
      return "redis://127.0.0.1:" + process.port();
    }

    boolean alive() {
      return process.isAlive();
    }
  }

  /** A range of slots, the master serving it and the replica ready to take over (or null). */
  private static final class Shard {
    final int from;
    final int to;
    Node master;
    Node replica;

    Shard(int from, int to, Node master, Node replica) {
      this.from = from;
      this.to = to;
      this.master = master;
      this.replica = replica;
    }
  }

  private RedisCluster() {}

  /** Three masters, no replicas. */
  public static RedisCluster start() {
    return start(3, false);
  }

  /**
   * @param masters how many masters share the 16384 slots, evenly and in order
   * @param replicas whether each master gets one replica
   */
  public static RedisCluster start(int masters, boolean replicas) {
    RedisCluster cluster = new RedisCluster();
    try {
      cluster.form(masters, replicas);
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** The masters now serving, shard by shard: {@code redis://127.0.0.1:port}. */
  public List<String> endpoints() {
    return shards.stream().map(shard -> shard.master).filter(Node::alive).map(Node::url).toList();
  }

  /** The master now serving shard {@code i}. */
  public String endpoint(int shard) {
    return shards.get(shard).master.url();
  }

  /** Which shard serves a slot, as from {@code CLUSTER KEYSLOT}. */
  public int shardOf(int slot) {
    for (int i = 0; i < shards.size(); i++) {
      if (slot >= shards.get(i).from && slot <= shards.get(i).to) {
        return i;
      }
    }
    throw new IllegalArgumentException("no slot " + slot);
  }

  public int shards() {
    return shards.size();
  }

  /** The {@code redis_version} the nodes run. */
  public String version() {
    return version;
  }

  /** SIGKILL to shard {@code i}'s master, as a crash would; returns at once. */
  public void killMaster(int shard) {
    shards.get(shard).master.process.kill();
  }

  /**
   * Waits until the cluster itself has promoted shard {@code i}'s replica after {@link
   * #killMaster}: it serves the shard's slots and every live node says {@code cluster_state:ok}.
   */
  public void awaitPromotion(int shard) {
    Shard s = shards.get(shard);
    requireReplica(s, shard);
    s.master = s.replica;
    // The killed node stays dead: the shard has no replica from now on.
    s.replica = null;
    await(until("shard " + shard + "'s replica promoted", this::disagreement), AGREE_MS);
  }

  /**
   * {@code CLUSTER FAILOVER} sent to shard {@code i}'s replica: a manual failover, coordinated with
   * the live master so no acknowledged write is lost. Returns when the replica is master, the old
   * master its replica, and every node says {@code cluster_state:ok}.
   */
  public void failover(int shard) {
    Shard s = shards.get(shard);
    requireReplica(s, shard);
    await(send(s.replica, "CLUSTER", "FAILOVER"), COMMAND_MS);
    Node old = s.master;
    s.master = s.replica;
    s.replica = old;
    await(until("shard " + shard + " failed over", this::disagreement), AGREE_MS);
  }

  /** SIGSTOP to shard {@code i}'s master: its socket stays open but nothing answers. */
  public void freeze(int shard) {
    shards.get(shard).master.process.freeze();
  }

  public void thaw(int shard) {
    shards.get(shard).master.process.thaw();
  }

  @Override
  public void close() {
    try {
      vertx.close().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
    } catch (RuntimeException e) {
      LOG.warn("Vert.x of the Redis Cluster fixture did not close: {}", e.toString());
    }
    for (Node node : nodes) {
      node.process.close();
      delete(node.dir);
    }
  }

  private void form(int masters, boolean replicas) {
    long began = System.nanoTime();
    for (int i = 0; i < masters; i++) {
      Node master = launch();
      shards.add(
          new Shard(
              i * SLOTS / masters,
              (i + 1) * SLOTS / masters - 1,
              master,
              replicas ? launch() : null));
    }
    for (Node node : nodes) {
      node.id = await(send(node, "CLUSTER", "MYID"), COMMAND_MS).toString();
    }
    for (Shard shard : shards) {
      addSlots(shard.master, shard.from, shard.to);
    }
    // Distinct epochs before the nodes meet, as redis-cli does: otherwise they start equal and the
    // cluster spends rounds resolving the collision before it agrees on who owns what.
    for (int i = 0; i < nodes.size(); i++) {
      await(send(nodes.get(i), "CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(i + 1)), COMMAND_MS);
    }
    Node first = nodes.get(0);
    for (Node node : nodes.subList(1, nodes.size())) {
      await(
          send(node, "CLUSTER", "MEET", "127.0.0.1", Integer.toString(first.process.port())),
          COMMAND_MS);
    }
    // REPLICATE names the master by id, which the replica must have heard of through gossip.
    await(until("every node knows every other", this::strangers), AGREE_MS);
    for (Shard shard : shards) {
      if (shard.replica != null) {
        await(send(shard.replica, "CLUSTER", "REPLICATE", shard.master.id), COMMAND_MS);
      }
    }
    await(until("the cluster agrees", this::disagreement), AGREE_MS);
    version = field(await(send(first, "INFO", "server"), COMMAND_MS).toString(), "redis_version");
    LOG.info(
        "Redis Cluster of {} masters{} on Redis {} ready in {} ms",
        masters,
        replicas ? " with a replica each" : "",
        version,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
  }

  private Node launch() {
    int port = RedisProcess.freeClusterPort();
    Path dir;
    try {
      dir = Files.createTempDirectory("redis-cluster-" + port + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RedisProcess process =
        RedisProcess.start(
            port,
            List.of(
                "--dir",
                dir.toString(),
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                dir.resolve("nodes-" + port + ".conf").toString(),
                "--cluster-node-timeout",
                Integer.toString(NODE_TIMEOUT_MS),
                // 7.0 syncs replicas diskless by default and first waits 5 s for more of them.
                "--repl-diskless-sync-delay",
                "0"));
    Node node =
        new Node(
            process,
            dir,
            Redis.createClient(
                vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:" + port)));
    nodes.add(node);
    return node;
  }

  private void addSlots(Node master, int from, int to) {
    for (int start = from; start <= to; start += ADDSLOTS_BATCH) {
      List<String> command = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
      for (int slot = start; slot <= Math.min(to, start + ADDSLOTS_BATCH - 1); slot++) {
        command.add(Integer.toString(slot));
      }
      await(send(master, command.toArray(String[]::new)), COMMAND_MS);
    }
  }

  /** What keeps some node from knowing all the others by address, or null once none does. */
  private Future<String> strangers() {
    return firstProblem(
        node ->
            send(node, "CLUSTER", "NODES")
                .map(
                    answer -> {
                      Map<String, String[]> table = table(answer.toString());
                      long known =
                          table.values().stream()
                              .filter(line -> !flags(line).contains("handshake"))
                              .filter(line -> !flags(line).contains("noaddr"))
                              .count();
                      return known == nodes.size()
                          ? null
                          : node.url() + " knows " + known + " of " + nodes.size() + " nodes";
                    }));
  }

  /**
   * What some live node sees differently from this class's picture of the cluster, or null once all
   * agree: {@code cluster_state:ok}, every node known, each shard's master serving exactly its
   * slots, each replica following its master with the replication link up (so {@code WAIT} and a
   * failover work).
   */
  private Future<String> disagreement() {
    return firstProblem(
        node ->
            Future.all(
                    send(node, "CLUSTER", "INFO"),
                    send(node, "CLUSTER", "NODES"),
                    send(node, "INFO", "replication"))
                .map(
                    answers ->
                        disagreement(
                            node,
                            answers.<Response>resultAt(0).toString(),
                            table(answers.<Response>resultAt(1).toString()),
                            answers.<Response>resultAt(2).toString())));
  }

  private String disagreement(
      Node node, String info, Map<String, String[]> table, String replication) {
    String at = node.url() + ": ";
    if (!"ok".equals(field(info, "cluster_state"))) {
      return at + "cluster_state:" + field(info, "cluster_state");
    }
    if (!Integer.toString(nodes.size()).equals(field(info, "cluster_known_nodes"))) {
      return at + "cluster_known_nodes:" + field(info, "cluster_known_nodes");
    }
    for (Shard shard : shards) {
      String[] master = table.get(shard.master.id);
      if (master == null || !flags(master).contains("master") || failing(master)) {
        return at + shard.master.url() + " not a healthy master: " + line(master);
      }
      String slots = String.join(" ", Arrays.asList(master).subList(8, master.length));
      if (!slots.equals(shard.from + "-" + shard.to)) {
        return at + shard.master.url() + " serves " + slots;
      }
      if (shard.replica != null) {
        String[] replica = table.get(shard.replica.id);
        if (replica == null
            || !flags(replica).contains("slave")
            || failing(replica)
            || !replica[3].equals(shard.master.id)) {
          return at
              + shard.replica.url()
              + " not following "
              + shard.master.id
              + ": "
              + line(replica);
        }
        if (node == shard.replica && !"up".equals(field(replication, "master_link_status"))) {
          return at + "master_link_status:" + field(replication, "master_link_status");
        }
      }
    }
    return null;
  }

  private static void requireReplica(Shard shard, int i) {
    if (shard.replica == null || !shard.replica.alive()) {
      throw new IllegalStateException("shard " + i + " has no live replica");
    }
  }

  /** {@code CLUSTER NODES}, one line per node, by node id. */
  private static Map<String, String[]> table(String nodes) {
    Map<String, String[]> table = new HashMap<>();
    for (String line : nodes.split("\r?\n")) {
      if (!line.isBlank()) {
        String[] fields = line.trim().split(" ");
        table.put(fields[0], fields);
      }
    }
    return table;
  }

  private static List<String> flags(String[] line) {
    return List.of(line[2].split(","));
  }

  private static boolean failing(String[] line) {
    return flags(line).contains("fail") || flags(line).contains("fail?");
  }

  private static String line(String[] fields) {
    return fields == null ? "unknown" : String.join(" ", fields);
  }

  /** The first problem any live node reports, or null when none has one. */
  private Future<String> firstProblem(Function<Node, Future<String>> check) {
    return RedisFixtures.firstProblem(
        nodes.stream().filter(Node::alive).toList(), check, Node::url);
  }

  private Future<Void> until(String what, Supplier<Future<String>> check) {
    return RedisFixtures.until(vertx, "Redis Cluster", what, check);
  }

  private static Future<Response> send(Node node, String... words) {
    return RedisFixtures.send(node.admin, words);
  }
}
