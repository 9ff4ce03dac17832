package dev.triggergate.http;

import dev.triggergate.api.Envelope;
import dev.triggergate.api.RequestKeys;
import dev.triggergate.api.RequestWork;
import dev.triggergate.dedup.Deduplication;
import dev.triggergate.engine.LaunchResult;
import dev.triggergate.engine.LaunchResult.Delayed;
import dev.triggergate.engine.LaunchResult.Launched;
import dev.triggergate.engine.LaunchResult.Misdelivered;
import dev.triggergate.engine.LaunchResult.Relayed;
import dev.triggergate.engine.LaunchResult.Replayed;
import dev.triggergate.engine.StartBatch;
import dev.triggergate.engine.TriggerEngine;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * Hands the validated batch to the engine and answers: the success envelope for a batch launched
 * here, the upstream's answer as it came, or the earlier answer again for a repeated request id.
 */
public final class Launch implements Handler<RoutingContext> {
  /** A slow answer goes out in this many parts, evenly over its spread. */
  private static final int SLOW_PARTS = 20;

  private final TriggerEngine engine;

  public Launch(TriggerEngine engine) {
    this.engine = engine;
  }

  @Override
  public void handle(RoutingContext ctx) {
    StartBatch batch = ctx.get(RequestKeys.BATCH);
    if (RequestWork.isOver(ctx)) {
      // The client left before the launch: nothing was accepted, so nothing is launched.
      return;
    }
    // Answering inside compose: an exception while answering fails the chain and reaches the
    // renderer, instead of escaping to the event loop with the request left hanging.
    RequestWork.track(ctx, engine.launch(batch))
        .compose(
            result -> {
              answer(ctx, batch, result);
              return Future.succeededFuture();
            })
        .onFailure(ctx::fail);
  }

  private static void answer(RoutingContext ctx, StartBatch batch, LaunchResult result) {
    if (RequestWork.isOver(ctx)) {
      // The client left while the answer was on its way (an injected delay, say): nobody reads it.
      if (result instanceof Relayed relayed && relayed.rest() != null) {
        relayed.rest().abandon();
      }
      return;
    }
    if (result instanceof Delayed delayed) {
      delay(ctx, batch, delayed);
    } else if (result instanceof Relayed relayed) {
      relay(ctx, relayed);
    } else if (result instanceof Replayed replayed) {
      ctx.response()
          .putHeader(Deduplication.DUPLICATE_REQUEST, "true")
          .putHeader(Deduplication.DUPLICATE_KEY, replayed.requestId());
      answer(ctx, batch, replayed.first());
    } else if (result instanceof Launched launched) {
      ctx.response()
          .putHeader(HttpHeaders.CONTENT_TYPE, batch.format().contentType())
          .end(Envelope.success(launched.profileIds(), batch.format()));
    } else if (result instanceof Misdelivered misdelivered) {
      misdeliver(ctx, batch, misdelivered);
    }
  }

  /** Answers after the delay, or, if the client leaves first, lets go of the wait at once. */
  private static void delay(RoutingContext ctx, StartBatch batch, Delayed delayed) {
    boolean[] settled = {false};
    long timer =
        ctx.vertx()
            .setTimer(
                delayed.delayMs(),
                fired -> {
                  if (!settled[0]) {
                    settled[0] = true;
                    delayed.settled().run();
                    try {
                      answer(ctx, batch, delayed.answer());
                    } catch (RuntimeException failed) {
                      ctx.fail(failed);
                    }
                  }
                });
    ctx.addEndHandler(
        ended -> {
          if (!settled[0]) {
            settled[0] = true;
            ctx.vertx().cancelTimer(timer);
            delayed.settled().run();
          }
        });
  }

  /** An injected fault: the answer goes out badly, or not at all (SPEC §7 "memory"). */
  private static void misdeliver(RoutingContext ctx, StartBatch batch, Misdelivered fault) {
    HttpServerResponse response = ctx.response();
    boolean http2 = ctx.request().version() == HttpVersion.HTTP_2;
    switch (fault.delivery()) {
      case RESET -> {
        if (http2) {
          response.reset();
        } else {
          ClientConnections.reset(ctx.request().connection());
        }
      }
      case CLOSE -> {
        // Over HTTP/2 the connection carries other streams: only this one goes.
        if (http2) {
          response.reset();
        } else {
          ctx.request().connection().close();
        }
      }
      case HANG -> {
        // Nothing: the client waits until it gives up, or the idle timeout closes the connection.
      }
      case SLOW -> {
        Buffer envelope = Envelope.success(fault.answer().profileIds(), batch.format());
        response
            .putHeader(HttpHeaders.CONTENT_TYPE, batch.format().contentType())
            .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(envelope.length()));
        dribble(ctx, envelope, 0, Math.max(1, fault.spreadMs() / SLOW_PARTS));
      }
    }
  }

  /** Writes the envelope in {@link #SLOW_PARTS} parts, one every {@code everyMs}. */
  private static void dribble(RoutingContext ctx, Buffer envelope, int part, long everyMs) {
    HttpServerResponse response = ctx.response();
    if (response.closed()) {
      return;
    }
    int from = (int) ((long) envelope.length() * part / SLOW_PARTS);
    int to = (int) ((long) envelope.length() * (part + 1) / SLOW_PARTS);
    if (part == SLOW_PARTS - 1) {
      response.end(envelope.getBuffer(from, to));
      return;
    }
    response.write(envelope.getBuffer(from, to));
    ctx.vertx().setTimer(everyMs, fired -> dribble(ctx, envelope, part + 1, everyMs));
  }

  private static void relay(RoutingContext ctx, Relayed answer) {
    HttpServerResponse response = ctx.response().setStatusCode(answer.status());
    MultiMap ours = response.headers();
    for (Map.Entry<String, String> header : answer.headers()) {
      String name = header.getKey();
      if (name.equalsIgnoreCase(RequestIds.X_REQUEST_ID)) {
        continue;
      }
      if (isRateLimitField(name) && ours.contains(name)) {
        // Both limits hold: list the upstream's next to the gateway's, so the answer never looks
        // more permissive than either (the fields are lists, draft-ietf-httpapi-ratelimit-headers).
        ours.set(name, ours.get(name) + ", " + header.getValue());
      } else {
        ours.add(name, header.getValue());
      }
    }
    if (answer.rest() == null) {
      if (answer.status() == 204) {
        // Vert.x would add "Content-Length: 0", which a 204 must not carry (RFC 9110 §8.6).
        ctx.addHeadersEndHandler(head -> ours.remove(HttpHeaders.CONTENT_LENGTH));
      }
      response.end(answer.head());
      return;
    }
    // The length of a streamed answer is not known here yet: it goes chunked, or, to an HTTP/1.0
    // client, which has no chunks, until the connection closes (and says so: Vert.x would promise
    // keep-alive to a client that asked for it).
    HttpVersion version = ctx.request().version();
    boolean untilClose = version == HttpVersion.HTTP_1_0;
    if (untilClose) {
      ctx.addHeadersEndHandler(head -> ours.set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE));
    } else {
      response.setChunked(true);
    }
    response.write(answer.head());
    // A break-off after the head was sent cannot become an envelope any more: close the connection
    // instead of ending the answer, so the client sees a truncated reply, not a complete-looking
    // one. A client that left gives the rest up, so the upstream's connection is not held for it.
    answer
        .rest()
        .pipe()
        .endOnFailure(false)
        .to(response)
        .onComplete(
            piped -> {
              if (piped.failed()) {
                answer.rest().abandon();
              }
              if (piped.failed() && version == HttpVersion.HTTP_2) {
                // The stream alone: the client's other streams on the connection go on.
                response.reset();
              } else if (piped.failed() || untilClose) {
                ctx.request().connection().close();
              }
            });
  }

  private static boolean isRateLimitField(String name) {
    return name.equalsIgnoreCase("RateLimit") || name.equalsIgnoreCase("RateLimit-Policy");
  }
}
