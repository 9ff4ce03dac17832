package dev.triggergate.api;

import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/**
 * The work a request set going (decoding, the engine), so that what the request holds — body bytes,
 * decoding room, its in-flight slot — comes back only once both the exchange and that work are
 * over. A client that hangs up must not free the heap its batch still takes on a worker.
 */
public final class RequestWork {
  private static final String KEY = "tg.work";

  private RequestWork() {}

  /** Records the work the request has set going now (it replaces work that has completed). */
  public static <T> Future<T> track(RoutingContext ctx, Future<T> work) {
    ctx.put(KEY, work);
    return work;
  }

  /** Runs {@code release} once the exchange has ended and the work tracked then has completed. */
  public static void releaseAtEnd(RoutingContext ctx, Runnable release) {
    ctx.addEndHandler(
        ended -> {
          Future<?> work = ctx.get(KEY);
          if (work == null || work.isComplete()) {
            release.run();
          } else {
            work.onComplete(done -> release.run());
          }
        });
  }

  /**
   * Whether the exchange is over (the client left, or it was answered): a step that runs later,
   * after a timer or a worker, takes nothing more and starts nothing for it, as its end handlers
   * have already run.
   */
  public static boolean isOver(RoutingContext ctx) {
    return ctx.response().closed() || ctx.response().ended();
  }
}
