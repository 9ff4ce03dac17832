package dev.triggergate.http;

import dev.triggergate.api.RequestKeys;
import dev.triggergate.api.Sha256;
import dev.triggergate.dedup.Deduplication;
import dev.triggergate.engine.StartBatch;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one JSON line per request when its response ends: id, status, error code, latency, bytes,
 * items, trigger, a short hash of the token (never the token itself) and whether the answer was a
 * repeat's (SPEC §8).
 */
public final class AccessLog implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger("access");

  @Override
  public void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addEndHandler(done -> LOG.info(line(ctx, start)));
    ctx.next();
  }

  private static String line(RoutingContext ctx, long start) {
    HttpServerRequest request = ctx.request();
    JsonObject line =
        new JsonObject()
            .put("request_id", (String) ctx.get(RequestKeys.REQUEST_ID))
            .put("method", request.method().name())
            .put("path", request.path())
            .put("status", ClientOutcome.status(ctx))
            .put("error", ctx.get(RequestKeys.ERROR, 0))
            .put("latency_ms", (System.nanoTime() - start) / 1_000_000.0)
            .put("bytes_in", request.bytesRead())
            .put("bytes_out", ctx.response().bytesWritten())
            .put("client", request.remoteAddress() == null ? null : request.remoteAddress().host());
    if (ClientOutcome.incomplete(ctx)) {
      line.put("incomplete", true);
    }
    if (ctx.response().headers().contains(Deduplication.DUPLICATE_REQUEST)) {
      line.put("duplicate", true);
    }
    StartBatch batch = ctx.get(RequestKeys.BATCH);
    if (batch != null) {
      line.put("trigger_id", batch.triggerId())
          .put("items", batch.itemCount())
          .put("token_hash", tokenHash(batch.token()));
    }
    return line.encode();
  }

  /** The first 8 hex digits of the token's SHA-256: enough to tell clients apart in a log. */
  static String tokenHash(String token) {
    if (token == null) {
      return null;
    }
    byte[] digest = Sha256.of(token);
    StringBuilder out = new StringBuilder(8);
    for (int i = 0; i < 4; i++) {
      out.append(Character.forDigit((digest[i] >> 4) & 0xf, 16));
      out.append(Character.forDigit(digest[i] & 0xf, 16));
    }
    return out.toString();
  }
}
