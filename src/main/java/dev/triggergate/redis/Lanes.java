package dev.triggergate.redis;

import dev.triggergate.redis.RedisConnection.Outcome;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Each event loop's own connections to Redis, commands pipelined on them: a command is written and
 * its answer read on the loop that sent it, never waits for a connection to be free, and never
 * crosses to another loop. Callers outside an event loop (start-up, the probe, tests) share one
 * lane.
 *
 * <p>A connection is replaced when it closes, when a command on it meets a connection failure (a
 * dropped node, a login refused, a replica answering READONLY after a failover), and when three
 * commands in a row got no answer: a master frozen (or cut off) keeps its socket open while the
 * sentinels or the cluster promote another, and only a new connection asks them where it went.
 *
 * <p>A lane is used by its own loop, and the shared one by any thread: its methods are
 * synchronized, an uncontended lock on the loop's path.
 */
final class Lanes {
  /** Commands in a row that got no answer on one connection before it is replaced. */
  private static final int SILENT_COMMANDS_TO_REPLACE = 3;

  private final Vertx vertx;
  private final Redis client;
  private final int perLoop;
  private final long openDeadlineMs;
  private final boolean cluster;
  private final Consumer<Throwable> connects;
  private final Map<Thread, Lane> byLoop = new ConcurrentHashMap<>();
  private final Lane shared;

  /**
   * @param perLoop connections per event loop, used in turn
   * @param openDeadlineMs how long opening one (connect, TLS, login) may take
   * @param cluster whether connections are to a Redis Cluster (which refuses SELECT)
   * @param connects told of every connect attempt's end: null when it opened, else why not
   */
  Lanes(
      Vertx vertx,
      Redis client,
      int perLoop,
      long openDeadlineMs,
      boolean cluster,
      Consumer<Throwable> connects) {
    this.vertx = vertx;
    this.client = client;
    this.perLoop = perLoop;
    this.openDeadlineMs = openDeadlineMs;
    this.cluster = cluster;
    this.connects = connects;
    this.shared = new Lane();
  }

  /** The calling loop's next connection, opened now if it has none. */
  Lease lease() {
    return lane().next();
  }

  /** Opens every connection of the calling loop's lane; fails when any could not be opened. */
  Future<Void> open() {
    return lane().openAll();
  }

  /** One command's connection, told how the command ended. */
  static final class Lease {
    private final Lane lane;
    private final int slot;
    final Future<RedisConnection> connection;

    private Lease(Lane lane, int slot, Future<RedisConnection> connection) {
      this.lane = lane;
      this.slot = slot;
      this.connection = connection;
    }

    void ended(Outcome outcome) {
      lane.ended(slot, connection, outcome);
    }
  }

  private Lane lane() {
    return Context.isOnEventLoopThread()
        ? byLoop.computeIfAbsent(Thread.currentThread(), loop -> new Lane())
        : shared;
  }

  private final class Lane {
    private final List<Future<RedisConnection>> connections = new ArrayList<>();
    private final int[] silentInRow = new int[perLoop];
    private int next;

    Lane() {
      for (int i = 0; i < perLoop; i++) {
        connections.add(null);
      }
    }

    synchronized Lease next() {
      int slot = next;
      next = (next + 1) % perLoop;
      return new Lease(this, slot, at(slot));
    }

    synchronized Future<Void> openAll() {
      List<Future<RedisConnection>> all = new ArrayList<>();
      for (int i = 0; i < perLoop; i++) {
        all.add(at(i));
      }
      return Future.all(all).mapEmpty();
    }

    synchronized void ended(int slot, Future<RedisConnection> connection, Outcome outcome) {
      if (connections.get(slot) != connection || !connection.succeeded()) {
        return;
      }
      switch (outcome) {
        case ANSWERED, ERROR_REPLY, QUEUE_FULL -> silentInRow[slot] = 0;
        case TIMED_OUT -> {
          if (++silentInRow[slot] >= SILENT_COMMANDS_TO_REPLACE) {
            replace(slot, connection);
          }
        }
        case CONNECTION_FAILED -> replace(slot, connection);
        case RESTING -> {}
      }
    }

    private Future<RedisConnection> at(int slot) {
      Future<RedisConnection> connection = connections.get(slot);
      return connection == null ? openAt(slot) : connection;
    }

    private Future<RedisConnection> openAt(int slot) {
      Future<RedisConnection> connecting = client.connect();
      Future<RedisConnection> opened = Deadline.within(vertx, connecting, openDeadlineMs);
      connections.set(slot, opened);
      silentInRow[slot] = 0;
      opened.onComplete(
          done -> {
            connects.accept(done.succeeded() ? null : done.cause());
            if (done.failed()) {
              // Opened after its deadline, or not at all: the next command tries again.
              connecting.onSuccess(Lanes.this::discard);
              forget(slot, opened);
              return;
            }
            RedisConnection connection = done.result();
            connection.exceptionHandler(error -> lost(slot, opened));
            connection.endHandler(ended -> lost(slot, opened));
          });
      return opened;
    }

    private synchronized void forget(int slot, Future<RedisConnection> connection) {
      if (connections.get(slot) == connection) {
        connections.set(slot, null);
      }
    }

    private synchronized void lost(int slot, Future<RedisConnection> connection) {
      replace(slot, connection);
    }

    private void replace(int slot, Future<RedisConnection> connection) {
      if (connections.get(slot) == connection) {
        connections.set(slot, null);
        connection.onSuccess(Lanes.this::discard);
      }
    }
  }

  /**
   * Closes a connection for good. A pooled connection's close lends it out again unless it changed
   * its state; a SELECT marks it so (whatever Redis answers, if it ever does), and the pool then
   * closes it. A cluster connection closes its nodes' connections the same way: the broken ones are
   * gone already, the healthy ones are lent again.
   */
  private void discard(RedisConnection connection) {
    if (!cluster) {
      connection.send(Request.cmd(Command.SELECT).arg(0));
    }
    connection.close();
  }
}
