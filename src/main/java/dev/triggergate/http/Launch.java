package dev.triggergate.http;

import dev.triggergate.api.Envelope;
import dev.triggergate.api.RequestKeys;
import dev.triggergate.engine.StartBatch;
import dev.triggergate.engine.TriggerEngine;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** Hands the validated batch to the engine and answers with the success envelope. */
public final class Launch implements Handler<RoutingContext> {
  private final TriggerEngine engine;

  public Launch(TriggerEngine engine) {
    this.engine = engine;
  }

  @Override
  public void handle(RoutingContext ctx) {
    StartBatch batch = ctx.get(RequestKeys.BATCH);
    engine
        .launch(batch)
        .onSuccess(
            result ->
                ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, batch.format().contentType())
                    .end(Envelope.success(result.profileIds(), batch.format())))
        .onFailure(ctx::fail);
  }
}
