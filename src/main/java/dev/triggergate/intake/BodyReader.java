package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.api.RequestWork;
import dev.triggergate.config.GatewayConfig;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.function.Function;

/**
 * Reads the request body under a byte cap counted as the bytes arrive, whatever {@code
 * Content-Length} says; a declared length over the cap is refused before any body byte is read.
 *
 * <p>vertx-web's {@code BodyHandler} is not used: it buffers to a single limit and knows nothing of
 * {@code Expect: 100-continue} refusals, and this step must answer in Altcraft's envelope.
 *
 * <p>As a step ({@link #handle}) it buffers the whole body for the next one; {@link #stream} hands
 * the body on chunk by chunk instead, for a body too large to hold whole.
 */
public final class BodyReader implements Handler<RoutingContext> {
  /** Where the next steps find the body. */
  public static final String BODY = "tg.body";

  /** Set (Boolean) once the client was told {@code 100 Continue}: its body is on its way. */
  public static final String CONTINUED = "tg.continued";

  /**
   * How much of a streamed body is read ahead while the part before is taken on: with that part, a
   * streamed body holds at most about twice this (and a chunk) against the budget.
   */
  public static final int STREAM_READ_AHEAD_BYTES = 256 * 1024;

  /** A chunked body starts this small; a declared one gets its whole length at once. */
  private static final int CHUNKED_INITIAL_CAPACITY = 1024;

  private final long cap;
  private final BodyBudget budget;
  private final long timeoutMs;
  private final long minBytesPerWindow;

  /**
   * @param cap the most bytes one body may have
   * @param budget the most body bytes all requests may hold at once
   * @param timeoutMs how long the whole body may take, from the first read
   * @param minBytesPerSecond the slowest a body may arrive, over each {@link
   *     GatewayConfig.Server#BODY_RATE_WINDOW_MS}; 0 for no minimum
   */
  public BodyReader(long cap, long budget, long timeoutMs, long minBytesPerSecond) {
    this.cap = cap;
    this.budget = new BodyBudget(budget);
    this.timeoutMs = timeoutMs;
    this.minBytesPerWindow = minBytesPerSecond * GatewayConfig.Server.BODY_RATE_WINDOW_MS / 1000;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (RequestWork.isOver(ctx)) {
      // The client left while an earlier step waited (a rate limit's max_wait_ms).
      return;
    }
    read(ctx, null)
        .onSuccess(
            body -> {
              ctx.put(BODY, body);
              ctx.next();
            })
        .onFailure(ctx::fail);
  }

  /**
   * Reads the body under the same cap, deadline and minimum rate as {@link #handle}, handing it to
   * {@code take} in parts as it arrives instead of keeping it: one part at a time, in order, the
   * next once {@code take}'s future for the last has completed. What came meanwhile is kept, up to
   * {@link #STREAM_READ_AHEAD_BYTES}, and then the request is paused, so the body arrives no faster
   * than it is taken; each byte counts against the budget until taken on. {@code take}'s future
   * must complete, on the request's context (as {@code executeBlocking}'s does); it may fail, and
   * reading stops then, with that failure.
   *
   * @return completes once the body has ended and every part was taken; fails with the {@link
   *     ApiError} to answer, or with {@code take}'s failure
   */
  public Future<Void> stream(RoutingContext ctx, Function<Buffer, Future<?>> take) {
    return read(ctx, Objects.requireNonNull(take)).mapEmpty();
  }

  private Future<Buffer> read(RoutingContext ctx, Function<Buffer, Future<?>> take) {
    HttpServerRequest request = ctx.request();
    Reading reading;
    try {
      long declared = declaredLength(request);
      if (declared > cap) {
        return Future.failedFuture(ApiError.tooLarge());
      }
      // A declared length is taken from the budget before any byte is read, and the buffer gets
      // exactly that capacity; a body without one takes what its buffer grows to as bytes arrive.
      // Whatever was taken comes back when the request ends, or the moment its connection closes.
      // A streamed body is never held whole: it takes each chunk only until it is taken on.
      long upFront = take == null ? Math.max(declared, 0) : 0;
      budget.take(upFront);
      reading = new Reading(ctx, declared, upFront, take);
    } catch (ApiError refused) {
      return Future.failedFuture(refused);
    }
    ctx.addEndHandler(ended -> reading.stopClock());
    RequestWork.releaseAtEnd(ctx, () -> budget.give(reading.reserved));
    // The server does not answer 100-continue by itself: the client sends the body only now that
    // the cheap refusals are behind us (RFC 9110 §10.1.1).
    if (request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) {
      request.response().writeContinue();
      ctx.put(CONTINUED, Boolean.TRUE);
    }
    return reading.start();
  }

  private static long declaredLength(HttpServerRequest request) {
    String value = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw ApiError.invalid("Content-Length is not a number");
    }
  }

  /** One body being read; lives as long as the request. */
  private final class Reading {
    private final RoutingContext ctx;
    private final Promise<Buffer> outcome = Promise.promise();
    // Buffered: the body so far. Streamed: null, and each chunk goes to take, after the last.
    private final Buffer body;
    private final Function<Buffer, Future<?>> take;
    // Streamed: whether a part is with take, the chunks kept for the next part, and the end seen.
    private boolean taking;
    private Buffer pending;
    private boolean ended;
    private long received;
    // Taken from the budget and given back at the request's end; a streamed body's chunks are
    // given back as they are taken on, and are not in here.
    private long reserved;
    private boolean refused;
    private long startedAt;
    private long receivedAtLastCheck;
    private long lastCheckAt;
    // A streamed body: since when the request is paused for take to catch up (or -1), and for
    // how long it was since the last check.
    private long heldSince = -1;
    private long heldNanos;
    private long clock = -1;

    Reading(RoutingContext ctx, long declared, long reserved, Function<Buffer, Future<?>> take) {
      this.ctx = ctx;
      this.take = take;
      this.body =
          take != null
              ? null
              : Buffer.buffer(declared < 0 ? CHUNKED_INITIAL_CAPACITY : (int) declared);
      this.reserved = reserved;
    }

    Future<Buffer> start() {
      HttpServerRequest request = ctx.request();
      request.handler(this::chunk);
      request.endHandler(v -> end());
      request.exceptionHandler(this::broken);
      startedAt = System.nanoTime();
      lastCheckAt = startedAt;
      clock = ctx.vertx().setTimer(nextCheckMs(), id -> check());
      request.resume();
      return outcome.future();
    }

    private long nextCheckMs() {
      long window = GatewayConfig.Server.BODY_RATE_WINDOW_MS;
      long left = timeoutMs - (System.nanoTime() - startedAt) / 1_000_000;
      return Math.max(1, minBytesPerWindow > 0 ? Math.min(window, left) : left);
    }

    /** The body deadline and its minimum rate, checked on one timer while the body is read. */
    private void check() {
      clock = -1;
      if (refused || ctx.request().isEnded()) {
        return;
      }
      long elapsedMs = (System.nanoTime() - startedAt) / 1_000_000;
      if (elapsedMs >= timeoutMs) {
        refuse(timedOut("the request body did not arrive within " + timeoutMs + " ms"));
        return;
      }
      long now = System.nanoTime();
      long window = now - lastCheckAt;
      long held = heldNanos + (heldSince >= 0 ? now - heldSince : 0);
      // Time a streamed body spent paused while take caught up is the gateway's, not the
      // client's: the minimum shrinks by that share of the window. A buffered body is never held.
      long due =
          held == 0 || window <= 0
              ? minBytesPerWindow
              : (long) (minBytesPerWindow * (double) Math.max(0, window - held) / window);
      lastCheckAt = now;
      heldNanos = 0;
      if (heldSince >= 0) {
        heldSince = now;
      }
      if (minBytesPerWindow > 0 && received - receivedAtLastCheck < due) {
        refuse(
            timedOut(
                "the request body arrived slower than "
                    + minBytesPerWindow
                    + " bytes in "
                    + GatewayConfig.Server.BODY_RATE_WINDOW_MS
                    + " ms"));
        return;
      }
      receivedAtLastCheck = received;
      clock = ctx.vertx().setTimer(nextCheckMs(), id -> check());
    }

    void stopClock() {
      if (clock >= 0) {
        ctx.vertx().cancelTimer(clock);
        clock = -1;
      }
    }

    private void chunk(Buffer chunk) {
      if (refused) {
        return;
      }
      received += chunk.length();
      if (received > cap) {
        refuse(ApiError.tooLarge());
        return;
      }
      if (take != null) {
        pass(chunk);
        return;
      }
      long needed = capacityFor(received);
      if (needed > reserved) {
        try {
          budget.take(needed - reserved);
        } catch (ApiError overloaded) {
          refuse(overloaded);
          return;
        }
        reserved = needed;
      }
      body.appendBuffer(chunk);
    }

    /**
     * What the buffer holds once {@code size} bytes are in it: a buffer grows past its size, and
     * the budget counts what the heap really gives it.
     */
    private long capacityFor(long size) {
      // Vert.x hands out a slice of the readable bytes; the capacity is the buffer's below it.
      ByteBuf buffer = ((BufferInternal) body).getByteBuf();
      while (buffer.unwrap() != null) {
        buffer = buffer.unwrap();
      }
      if (size <= buffer.capacity()) {
        return Math.max(size, reserved);
      }
      return buffer.alloc().calculateNewCapacity((int) size, Integer.MAX_VALUE);
    }

    /**
     * Hands a streamed chunk on at once when {@code take} is free; otherwise keeps it with those
     * that came meanwhile, to go on together next. Reading goes on while a part is taken on, up to
     * {@link #STREAM_READ_AHEAD_BYTES} kept, then waits (paused) for {@code take} to catch up.
     */
    private void pass(Buffer chunk) {
      try {
        budget.take(chunk.length());
      } catch (ApiError overloaded) {
        refuse(overloaded);
        return;
      }
      if (!taking) {
        handOn(chunk);
        return;
      }
      if (pending == null) {
        pending = Buffer.buffer(STREAM_READ_AHEAD_BYTES);
      }
      pending.appendBuffer(chunk);
      if (pending.length() >= STREAM_READ_AHEAD_BYTES && heldSince < 0) {
        heldSince = System.nanoTime();
        ctx.request().pause();
      }
    }

    private void handOn(Buffer part) {
      taking = true;
      int length = part.length();
      takeOn(part)
          .onComplete(
              done -> {
                budget.give(length);
                taking = false;
                if (done.failed()) {
                  refuse(done.cause());
                } else if (!refused) {
                  takeNext();
                }
              });
    }

    /** After a part was taken on: the next one, the rest of the body, or the end. */
    private void takeNext() {
      if (pending != null) {
        Buffer next = pending;
        pending = null;
        handOn(next);
      }
      if (heldSince >= 0) {
        heldNanos += System.nanoTime() - heldSince;
        heldSince = -1;
        ctx.request().resume();
      }
      if (ended && !taking) {
        outcome.tryComplete(null);
      }
    }

    private Future<?> takeOn(Buffer part) {
      try {
        return take.apply(part);
      } catch (RuntimeException failed) {
        return Future.failedFuture(failed);
      }
    }

    private void refuse(Throwable error) {
      if (refused) {
        return;
      }
      refused = true;
      stopClock();
      ctx.request().pause();
      if (pending != null) {
        // Never to be taken on: its bytes go back now; the part with take goes back when done.
        budget.give(pending.length());
        pending = null;
      }
      outcome.tryFail(error);
    }

    private void end() {
      stopClock();
      if (refused) {
        return;
      }
      if (take == null) {
        outcome.tryComplete(body);
        return;
      }
      // The last part may still be with take, and another waiting: takeNext ends it then.
      ended = true;
      if (!taking) {
        outcome.tryComplete(null);
      }
    }

    private void broken(Throwable error) {
      stopClock();
      if (!refused && !ctx.failed()) {
        refuse(ApiError.invalid("request body could not be read: " + error.getMessage()));
      }
    }
  }

  private static ApiError timedOut(String why) {
    return ApiError.of(ErrorCode.REQUEST_TIMEOUT, why).closing();
  }
}
