package dev.triggergate.engine.upstream;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The keep-alive connections of one event loop to one host: at most {@code size} open, the most
 * recently used taken first (so the rest can age out), none reused after resting longer than the
 * idle timeout. When all are busy a request waits up to the connect timeout for one. Used only from
 * its event loop, so it needs no locks.
 */
final class Http1Pool {
  private final Vertx vertx;
  private final NetClient client;
  private final ConnectOptions target;
  private final int size;
  private final long connectTimeoutMs;
  private final long idleNanos;
  private final long responseTimeoutMs;
  private final int bufferBytes;
  private final ArrayDeque<Http1Connection> idle = new ArrayDeque<>();
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  private final List<Http1Connection> connected = new ArrayList<>();
  private int open;

  Http1Pool(
      Vertx vertx,
      NetClient client,
      ConnectOptions target,
      int size,
      long connectTimeoutMs,
      long idleTimeoutMs,
      long responseTimeoutMs,
      int bufferBytes) {
    this.vertx = vertx;
    this.client = client;
    this.target = target;
    this.size = size;
    this.connectTimeoutMs = connectTimeoutMs;
    this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
    this.responseTimeoutMs = responseTimeoutMs;
    this.bufferBytes = bufferBytes;
    // One clock for the pool rather than a timer per exchange: a silent upstream is noticed
    // within an eighth of the response timeout (at most a second) after it, a resting
    // connection is closed even when no request comes to find it stale.
    long tick = Math.max(10, Math.min(1000, Math.min(responseTimeoutMs, idleTimeoutMs) / 8));
    vertx.setPeriodic(tick, id -> sweep());
  }

  /**
   * A connection for one exchange. Fails with {@link Outcome#CONNECT_FAILED} when none could be
   * opened, or {@link Outcome#POOL_BUSY} when all stayed busy; either way nothing was written.
   */
  Future<Http1Connection> acquire() {
    long now = System.nanoTime();
    closeStale(now);
    Http1Connection rested;
    while ((rested = idle.pollFirst()) != null) {
      // The upstream may have closed it a moment ago; its close is on its way to the pool.
      if (rested.usable()) {
        return Future.succeededFuture(rested);
      }
    }
    if (open < size) {
      return connect();
    }
    Waiter waiter = new Waiter();
    waiter.timer =
        vertx.setTimer(
            connectTimeoutMs,
            id -> {
              waiting.remove(waiter);
              waiter.promise.fail(Outcome.POOL_BUSY.failure());
            });
    waiting.add(waiter);
    return waiter.promise.future();
  }

  /** A connection whose answer is complete and which may carry another request. */
  void release(Http1Connection connection) {
    Waiter waiter = waiting.poll();
    if (waiter != null) {
      vertx.cancelTimer(waiter.timer);
      waiter.promise.complete(connection);
      return;
    }
    connection.idleSinceNanos = System.nanoTime();
    idle.addFirst(connection);
  }

  /** A connection closed, by either side: its place goes to a waiting request, if any. */
  void closed(Http1Connection connection) {
    open--;
    idle.remove(connection);
    connected.remove(connection);
    Waiter waiter = waiting.poll();
    if (waiter != null) {
      vertx.cancelTimer(waiter.timer);
      connect().onComplete(waiter.promise);
    }
  }

  private Future<Http1Connection> connect() {
    open++;
    return client
        .connect(target)
        .transform(
            attempt -> {
              if (attempt.failed()) {
                open--;
                return Future.failedFuture(Outcome.CONNECT_FAILED.failure(attempt.cause()));
              }
              Http1Connection connection =
                  new Http1Connection(attempt.result(), this, responseTimeoutMs, bufferBytes);
              connected.add(connection);
              return Future.succeededFuture(connection);
            });
  }

  private void sweep() {
    long now = System.nanoTime();
    closeStale(now);
    for (Http1Connection connection : connected.toArray(new Http1Connection[0])) {
      connection.expireIfSilent(now);
    }
  }

  /** The idle deque is ordered newest first, so the stale ones are at its end. */
  private void closeStale(long now) {
    Http1Connection oldest;
    while ((oldest = idle.peekLast()) != null && now - oldest.idleSinceNanos > idleNanos) {
      idle.pollLast();
      oldest.close();
    }
  }

  private static final class Waiter {
    final Promise<Http1Connection> promise = Promise.promise();
    long timer;
  }
}
