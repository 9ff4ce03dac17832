package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.api.RequestWork;
import dev.triggergate.config.GatewayConfig;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads the request body under a byte cap counted as the bytes arrive, whatever {@code
 * Content-Length} says; a declared length over the cap is refused before any body byte is read.
 *
 * <p>vertx-web's {@code BodyHandler} is not used: it buffers to a single limit and knows nothing of
 * {@code Expect: 100-continue} refusals, and this step must answer in Altcraft's envelope.
 */
public final class BodyReader implements Handler<RoutingContext> {
  /** Where the next steps find the body. */
  public static final String BODY = "tg.body";

  /** Set (Boolean) once the client was told {@code 100 Continue}: its body is on its way. */
  public static final String CONTINUED = "tg.continued";

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
    HttpServerRequest request = ctx.request();
    long declared = declaredLength(request);
    if (declared > cap) {
      ctx.fail(ApiError.tooLarge());
      return;
    }
    // A declared length is taken from the budget before any byte is read, and the buffer gets
    // exactly that capacity; a body without one takes what its buffer grows to as bytes arrive.
    // Whatever was taken comes back when the request ends, or the moment its connection closes.
    budget.take(Math.max(declared, 0));
    Reading reading = new Reading(ctx, declared);
    ctx.addEndHandler(ended -> reading.stopClock());
    RequestWork.releaseAtEnd(ctx, () -> budget.give(reading.reserved));
    // The server does not answer 100-continue by itself: the client sends the body only now that
    // the cheap refusals are behind us (RFC 9110 §10.1.1).
    if (request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) {
      request.response().writeContinue();
      ctx.put(CONTINUED, Boolean.TRUE);
    }
    reading.start();
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
    private final Buffer body;
    private long received;
    private long reserved;
    private boolean refused;
    private long startedAt;
    private long receivedAtLastCheck;
    private long clock = -1;

    Reading(RoutingContext ctx, long declared) {
      this.ctx = ctx;
      this.body = Buffer.buffer(declared < 0 ? CHUNKED_INITIAL_CAPACITY : (int) declared);
      this.reserved = Math.max(declared, 0);
    }

    void start() {
      HttpServerRequest request = ctx.request();
      request.handler(this::chunk);
      request.endHandler(v -> end());
      request.exceptionHandler(this::broken);
      startedAt = System.nanoTime();
      clock = ctx.vertx().setTimer(nextCheckMs(), id -> check());
      request.resume();
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
      if (minBytesPerWindow > 0 && received - receivedAtLastCheck < minBytesPerWindow) {
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

    private void refuse(ApiError error) {
      refused = true;
      stopClock();
      ctx.request().pause();
      ctx.fail(error);
    }

    private void end() {
      stopClock();
      if (!refused) {
        ctx.put(BODY, body);
        ctx.next();
      }
    }

    private void broken(Throwable error) {
      stopClock();
      if (!refused && !ctx.failed()) {
        refused = true;
        ctx.fail(ApiError.invalid("request body could not be read: " + error.getMessage()));
      }
    }
  }

  private static ApiError timedOut(String why) {
    return ApiError.of(ErrorCode.REQUEST_TIMEOUT, why).closing();
  }
}
