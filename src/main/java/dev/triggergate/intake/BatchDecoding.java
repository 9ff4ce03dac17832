package dev.triggergate.intake;

import dev.triggergate.api.RequestKeys;
import dev.triggergate.engine.StartBatch;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

/**
 * Decodes and validates the body. Bodies above {@code offloadBytes} go to a worker thread so that
 * one 10 MiB batch never stalls the other connections of its event loop.
 */
public final class BatchDecoding implements Handler<RoutingContext> {
  private final Vertx vertx;
  private final BatchReader reader;
  private final long offloadBytes;

  public BatchDecoding(Vertx vertx, BatchReader reader, long offloadBytes) {
    this.vertx = vertx;
    this.reader = reader;
    this.offloadBytes = offloadBytes;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Buffer body = ctx.get(BodyReader.BODY);
    BodyKind kind = ctx.get(Admission.KIND);
    RequestFacts facts = ctx.get(Admission.FACTS);
    Future<StartBatch> batch =
        body.length() > offloadBytes
            ? vertx.executeBlocking(() -> reader.read(body, kind, facts), false)
            : Future.succeededFuture(reader.read(body, kind, facts));
    batch.onSuccess(
        read -> {
          ctx.put(RequestKeys.BATCH, read);
          ctx.put(RequestKeys.FORMAT, read.format());
          ctx.next();
        });
    batch.onFailure(ctx::fail);
  }
}
