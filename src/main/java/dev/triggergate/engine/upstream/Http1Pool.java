package dev.triggergate.engine.upstream;

import dev.triggergate.config.GatewayConfig.Upstream;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The keep-alive connections of one event loop to one host: at most {@code size} open, the most
 * recently used taken first (so the rest can age out), none reused after resting longer than the
 * idle timeout. When all are busy a request waits up to the pool wait timeout for one: a full pool
 * is the gateway's load, never a failure of the host. Used only from its event loop, so it needs no
 * locks.
 */
final class Http1Pool {
  private final Vertx vertx;
  private final Context context;
  private final NetClient client;
  private final ConnectOptions target;
  private final int size;
  private final long poolWaitTimeoutMs;
  private final long idleNanos;
  private final ExchangeClock clock;
  private final ArrayDeque<Http1Connection> idle = new ArrayDeque<>();
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  private int open;

  Http1Pool(
      Vertx vertx, NetClient client, ConnectOptions target, Upstream config, ExchangeClock clock) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.client = client;
    this.target = target;
    this.size = config.poolSize();
    this.poolWaitTimeoutMs = config.poolWaitTimeoutMs();
    this.idleNanos = TimeUnit.MILLISECONDS.toNanos(config.poolIdleTimeoutMs());
    this.clock = clock;
    // A resting connection is closed even when no request comes to find it stale.
    long tick = Math.max(10, Math.min(1000, config.poolIdleTimeoutMs() / 8));
    vertx.setPeriodic(tick, id -> closeStale(System.nanoTime()));
  }

  /**
   * A connection for one exchange. Fails with a connect outcome when none could be opened, or
   * {@link Outcome#POOL_WAIT} when all stayed busy; either way nothing was written.
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
            poolWaitTimeoutMs,
            id -> {
              waiting.remove(waiter);
              waiter.promise.fail(Outcome.POOL_WAIT.failure());
            });
    waiting.add(waiter);
    return waiter.promise.future();
  }

  /** Runs {@code task} on the pool's event loop after the event it is called from is over. */
  void afterThisRead(Runnable task) {
    context.runOnContext(done -> task.run());
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
                return Future.failedFuture(connectFailure(attempt.cause()));
              }
              return Future.succeededFuture(new Http1Connection(attempt.result(), this, clock));
            });
  }

  /** Netty's own exceptions tell a refusal from a timeout; anything else failed otherwise. */
  private static Outcome.UpstreamFailure connectFailure(Throwable cause) {
    Outcome outcome =
        cause instanceof ConnectTimeoutException
            ? Outcome.CONNECT_TIMEOUT
            : cause instanceof ConnectException ? Outcome.CONNECT_REFUSED : Outcome.CONNECT_FAILED;
    return outcome.failure(cause);
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
