package dev.triggergate.http;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.api.RequestWork;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicInteger;

/** Caps the start_batch requests in flight across all event loops; above the cap → 503. */
public final class InFlightLimit implements Handler<RoutingContext> {
  private final int max;
  private final AtomicInteger inFlight = new AtomicInteger();

  public InFlightLimit(int max) {
    this.max = max;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (inFlight.incrementAndGet() > max) {
      inFlight.decrementAndGet();
      throw ApiError.of(
          ErrorCode.SERVICE_UNAVAILABLE, "overloaded: " + max + " requests already in flight");
    }
    RequestWork.releaseAtEnd(ctx, inFlight::decrementAndGet);
    ctx.next();
  }

  public int inFlight() {
    return inFlight.get();
  }
}
