package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * The heap the decoded forms of all batches may take at once ({@code limits.max_decoding_bytes}),
 * shared by every event loop. A batch's tree is several times its body (measured: 7.6× for a 10 MiB
 * batch of emails, before the engine's answer), so the body budget alone cannot keep the heap: a
 * body waits here, first come first served, until its estimated tree fits, and past {@code
 * limits.decode_wait_ms} it is a 503. One estimate larger than the whole budget is clamped to it:
 * such a batch is decoded alone.
 */
final class DecodeBudget {
  /** The decoded tree and what the engine builds from it, per body byte (see the class note). */
  static final int BYTES_PER_BODY_BYTE = 10;

  private final long capacity;
  private final long waitMs;
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private final Counter refusals;
  private long held;

  DecodeBudget(long capacity, long waitMs, MeterRegistry registry) {
    this.capacity = capacity;
    this.waitMs = waitMs;
    Gauge.builder("gateway_decoding_bytes", this, DecodeBudget::held)
        .description("Estimated heap held by decoded batches")
        .register(registry);
    this.refusals =
        Counter.builder("gateway_decode_wait_timeouts_total")
            .description(
                "Bodies refused with 503 after waiting limits.decode_wait_ms to be decoded")
            .register(registry);
  }

  /**
   * The estimate for a body of this size: what {@link #take} reserves and {@link #give} returns.
   */
  long estimate(long bodyBytes) {
    return Math.min(capacity, Math.max(1, bodyBytes) * BYTES_PER_BODY_BYTE);
  }

  /**
   * Reserves {@code bytes}; the future completes on {@code context} once they fit, or fails with
   * 503 after the wait.
   */
  Future<Void> take(long bytes, Context context) {
    Waiter waiter;
    synchronized (this) {
      if (waiters.isEmpty() && held + bytes <= capacity) {
        held += bytes;
        return Future.succeededFuture();
      }
      waiter = new Waiter(bytes, context);
      waiters.add(waiter);
    }
    waiter.timer = context.owner().setTimer(Math.max(1, waitMs), id -> expire(waiter));
    return waiter.promise.future();
  }

  void give(long bytes) {
    ArrayDeque<Waiter> admitted = new ArrayDeque<>();
    synchronized (this) {
      held -= bytes;
      while (!waiters.isEmpty() && held + waiters.peek().bytes <= capacity) {
        Waiter next = waiters.poll();
        held += next.bytes;
        admitted.add(next);
      }
    }
    for (Waiter waiter : admitted) {
      waiter.context.owner().cancelTimer(waiter.timer);
      waiter.context.runOnContext(v -> waiter.promise.complete());
    }
  }

  private void expire(Waiter waiter) {
    synchronized (this) {
      if (!waiters.remove(waiter)) {
        return;
      }
    }
    refusals.increment();
    waiter.promise.fail(
        ApiError.of(
                ErrorCode.SERVICE_UNAVAILABLE,
                "overloaded: no room to decode this body within " + waitMs + " ms")
            .withHeaders(Map.of("Retry-After", "1")));
  }

  private synchronized long held() {
    return held;
  }

  private static final class Waiter {
    final long bytes;
    final Context context;
    final Promise<Void> promise = Promise.promise();
    long timer;

    Waiter(long bytes, Context context) {
      this.bytes = bytes;
      this.context = context;
    }
  }
}
