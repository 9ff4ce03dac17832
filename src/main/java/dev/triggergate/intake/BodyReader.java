package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
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

  private static final int MAX_INITIAL_CAPACITY = 1 << 20;

  private final long cap;
  private final BodyBudget budget;

  /**
   * @param cap the most bytes one body may have
   * @param budget the most body bytes all requests may hold at once
   */
  public BodyReader(long cap, long budget) {
    this.cap = cap;
    this.budget = new BodyBudget(budget);
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    long declared = declaredLength(request);
    if (declared > cap) {
      ctx.fail(ApiError.tooLarge());
      return;
    }
    // A declared length is taken from the budget before any byte is read; a body without one
    // takes its bytes as they arrive. Whatever was taken comes back when the request ends.
    budget.take(Math.max(declared, 0));
    Reading reading = new Reading(ctx, declared);
    ctx.addEndHandler(ended -> budget.give(reading.reserved));
    // The server does not answer 100-continue by itself: the client sends the body only now that
    // the cheap refusals are behind us (RFC 9110 §10.1.1).
    if (request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) {
      request.response().writeContinue();
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

    Reading(RoutingContext ctx, long declared) {
      this.ctx = ctx;
      int initial = declared < 0 ? 1024 : (int) Math.min(declared, MAX_INITIAL_CAPACITY);
      this.body = Buffer.buffer(initial);
      this.reserved = Math.max(declared, 0);
    }

    void start() {
      HttpServerRequest request = ctx.request();
      request.handler(this::chunk);
      request.endHandler(v -> end());
      request.exceptionHandler(this::broken);
      request.resume();
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
      if (received > reserved) {
        try {
          budget.take(received - reserved);
        } catch (ApiError overloaded) {
          refuse(overloaded);
          return;
        }
        reserved = received;
      }
      body.appendBuffer(chunk);
    }

    private void refuse(ApiError error) {
      refused = true;
      ctx.request().pause();
      ctx.fail(error);
    }

    private void end() {
      if (!refused) {
        ctx.put(BODY, body);
        ctx.next();
      }
    }

    private void broken(Throwable error) {
      if (!refused && !ctx.failed()) {
        refused = true;
        ctx.fail(ApiError.invalid("request body could not be read: " + error.getMessage()));
      }
    }
  }
}
