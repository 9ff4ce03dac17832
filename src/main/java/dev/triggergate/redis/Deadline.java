package dev.triggergate.redis;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeoutException;

/** A bound on how long a Redis step may take, measured as Redis saw it, not as a busy loop did. */
final class Deadline {
  private Deadline() {}

  /**
   * The step's result, or a {@link TimeoutException} when none came within {@code ms}.
   *
   * <p>An event loop that is busy (a cold JVM, a saturated machine) runs a timer that fell due
   * before it reads the answers that arrived meanwhile. So when the deadline passes, the loop reads
   * once more before the step fails: a timer due in the next round runs after that round's reads.
   * An answer Redis gave in time is never taken for silence because this loop was late.
   */
  static <T> Future<T> within(Vertx vertx, Future<T> step, long ms) {
    if (step.isComplete()) {
      return step;
    }
    Promise<T> outcome = Promise.promise();
    long timer =
        vertx.setTimer(
            ms,
            due ->
                vertx.setTimer(
                    1,
                    afterOneMoreRead ->
                        outcome.tryFail(new TimeoutException("no answer within " + ms + " ms"))));
    step.onComplete(
        done -> {
          vertx.cancelTimer(timer);
          if (done.succeeded()) {
            outcome.tryComplete(done.result());
          } else {
            outcome.tryFail(done.cause());
          }
        });
    return outcome.future();
  }
}
