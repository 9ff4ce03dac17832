package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.RequestKeys;
import dev.triggergate.api.RequestWork;
import dev.triggergate.engine.StartBatch;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

/**
 * Decodes and validates the body, once its estimated tree fits the decoding budget. Bodies above
 * {@code offloadBytes} go to a worker thread so that one 10 MiB batch never stalls the other
 * connections of its event loop.
 */
public final class BatchDecoding implements Handler<RoutingContext> {
  private final Vertx vertx;
  private final BatchReader reader;
  private final long offloadBytes;
  private final DecodeBudget budget;

  /**
   * @param maxDecodingBytes the heap all decoded batches may take, by estimate
   * @param decodeWaitMs how long a body may wait for room to be decoded
   */
  public BatchDecoding(
      Vertx vertx,
      BatchReader reader,
      long offloadBytes,
      long maxDecodingBytes,
      long decodeWaitMs,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.reader = reader;
    this.offloadBytes = offloadBytes;
    this.budget = new DecodeBudget(maxDecodingBytes, decodeWaitMs, registry);
  }

  @Override
  public void handle(RoutingContext ctx) {
    Buffer body = ctx.get(BodyReader.BODY);
    long estimate = budget.estimate(body.length());
    budget
        .take(estimate, vertx.getOrCreateContext())
        .compose(room -> holdUntilEnd(ctx, estimate))
        .compose(room -> decode(ctx, body))
        .onSuccess(
            read -> {
              ctx.put(RequestKeys.BATCH, read);
              ctx.put(RequestKeys.FORMAT, read.format());
              ctx.next();
            })
        .onFailure(ctx::fail);
  }

  /**
   * The tree lives until the answer is sent, and a decode under way until it is done: its room
   * returns when both are over.
   */
  private Future<Void> holdUntilEnd(RoutingContext ctx, long estimate) {
    if (RequestWork.isOver(ctx)) {
      // The client left while the body waited: its end handlers have run already.
      budget.give(estimate);
      return Future.failedFuture(ApiError.invalid("the connection closed before decoding"));
    }
    RequestWork.releaseAtEnd(ctx, () -> budget.give(estimate));
    return Future.succeededFuture();
  }

  private Future<StartBatch> decode(RoutingContext ctx, Buffer body) {
    BodyKind kind = ctx.get(Admission.KIND);
    RequestFacts facts = ctx.get(Admission.FACTS);
    if (body.length() > offloadBytes) {
      return RequestWork.track(
          ctx, vertx.executeBlocking(() -> reader.read(body, kind, facts), false));
    }
    try {
      return Future.succeededFuture(reader.read(body, kind, facts));
    } catch (ApiError refused) {
      return Future.failedFuture(refused);
    }
  }
}
