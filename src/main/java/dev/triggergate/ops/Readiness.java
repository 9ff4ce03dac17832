package dev.triggergate.ops;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BooleanSupplier;

/** Readiness: 200 when the engine (and Redis, where policies use it) can serve, else 503. */
public final class Readiness implements Handler<RoutingContext> {
  public static final String PATH = "/ready";

  private final BooleanSupplier ready;

  public Readiness(BooleanSupplier ready) {
    this.ready = ready;
  }

  @Override
  public void handle(RoutingContext ctx) {
    boolean up = ready.getAsBoolean();
    ctx.response()
        .setStatusCode(up ? 200 : 503)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
        .end(up ? "{\"status\":\"ready\"}" : "{\"status\":\"not ready\"}");
  }
}
