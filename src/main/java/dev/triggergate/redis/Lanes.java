package dev.triggergate.redis;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each event loop's own connections to Redis, commands pipelined on them: a command is written and
 * its answer read on the loop that sent it, never waits for a connection to be free, and never
 * crosses to another loop. A connection that closes or fails is replaced when next needed (a dead
 * peer that stops acknowledging is closed by TCP itself, see {@code RedisConnection}). Callers
 * outside an event loop (start-up, tests) share one lane.
 *
 * <p>A lane is used by its own loop, and the shared one by any thread: its methods are
 * synchronized, an uncontended lock on the loop's path.
 */
final class Lanes {
  private final Vertx vertx;
  private final Redis client;
  private final int perLoop;
  private final long openDeadlineMs;
  private final Map<Thread, Lane> byLoop = new ConcurrentHashMap<>();
  private final Lane shared;

  /**
   * @param perLoop connections per event loop, used in turn
   * @param openDeadlineMs how long opening one (connect, TLS, login) may take
   */
  Lanes(Vertx vertx, Redis client, int perLoop, long openDeadlineMs) {
    this.vertx = vertx;
    this.client = client;
    this.perLoop = perLoop;
    this.openDeadlineMs = openDeadlineMs;
    this.shared = new Lane();
  }

  /** The calling loop's next connection, opened now if it has none. */
  Future<RedisConnection> connection() {
    return lane().next();
  }

  /** Opens every connection of the calling loop's lane; fails when any could not be opened. */
  Future<Void> open() {
    return lane().openAll();
  }

  private Lane lane() {
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext()) {
      return shared;
    }
    return byLoop.computeIfAbsent(Thread.currentThread(), loop -> new Lane());
  }

  private final class Lane {
    private final List<Future<RedisConnection>> connections = new ArrayList<>();
    private int next;

    Lane() {
      for (int i = 0; i < perLoop; i++) {
        connections.add(null);
      }
    }

    synchronized Future<RedisConnection> next() {
      int slot = next;
      next = (next + 1) % perLoop;
      return at(slot);
    }

    synchronized Future<Void> openAll() {
      List<Future<RedisConnection>> all = new ArrayList<>();
      for (int i = 0; i < perLoop; i++) {
        all.add(at(i));
      }
      return Future.all(all).mapEmpty();
    }

    private Future<RedisConnection> at(int slot) {
      Future<RedisConnection> connection = connections.get(slot);
      if (connection == null) {
        connection = openAt(slot);
      }
      return connection;
    }

    private Future<RedisConnection> openAt(int slot) {
      Future<RedisConnection> connecting = client.connect();
      Future<RedisConnection> opened = Deadline.within(vertx, connecting, openDeadlineMs);
      connections.set(slot, opened);
      opened.onComplete(
          done -> {
            if (done.failed()) {
              // Opened after its deadline, or not at all: the next command tries again.
              connecting.onSuccess(RedisConnection::close);
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
      if (connections.get(slot) == connection) {
        connections.set(slot, null);
        // Closed or broken: the pool drops it rather than lending it again.
        connection.onSuccess(RedisConnection::close);
      }
    }
  }
}
