package dev.triggergate.ops;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** Liveness: 200 while the process serves (SPEC §8). */
public final class Health implements Handler<RoutingContext> {
  public static final String PATH = "/health";

  @Override
  public void handle(RoutingContext ctx) {
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
        .end("{\"status\":\"up\"}");
  }
}
