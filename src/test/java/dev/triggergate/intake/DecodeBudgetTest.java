package dev.triggergate.intake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.api.ApiError;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decoding budget: room first come first served, a bounded wait, and every byte returned. */
class DecodeBudgetTest {
  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void aBodyWaitsForRoomAndGetsItWhenAnotherEnds() {
    DecodeBudget budget = new DecodeBudget(1000, 60_000, new SimpleMeterRegistry());
    assertThat(budget.take(600, context).succeeded()).isTrue();

    Future<Void> second = budget.take(600, context);
    Future<Void> third = budget.take(100, context);
    assertThat(second.isComplete()).isFalse();
    // First come first served: the small one does not overtake the one waiting before it.
    assertThat(third.isComplete()).isFalse();

    budget.give(600);
    second.await();
    third.await();
  }

  @Test
  void aBodyThatWaitsTooLongIsRefusedWith503AndTakesNothing() {
    DecodeBudget budget = new DecodeBudget(1000, 50, new SimpleMeterRegistry());
    budget.take(1000, context).await();

    Future<Void> waiting = budget.take(1, context);
    Throwable refused = waiting.transform(ar -> Future.succeededFuture(ar.cause())).await();

    assertThat(refused).isInstanceOf(ApiError.class);
    assertThat(((ApiError) refused).code().code()).isEqualTo(503);
    assertThat(((ApiError) refused).headers()).containsEntry("Retry-After", "1");
    budget.give(1000);
    // The refused one holds nothing: the whole budget is free again.
    assertThat(budget.take(1000, context).succeeded()).isTrue();
  }

  @Test
  void anEstimateLargerThanTheBudgetIsClampedSoTheBatchIsDecodedAlone() {
    DecodeBudget budget = new DecodeBudget(1000, 60_000, new SimpleMeterRegistry());

    assertThat(budget.estimate(10)).isEqualTo(10 * DecodeBudget.BYTES_PER_BODY_BYTE);
    assertThat(budget.estimate(1_000_000)).isEqualTo(1000);
    assertThat(budget.take(budget.estimate(1_000_000), context).succeeded()).isTrue();
    assertThat(budget.take(1, context).isComplete()).isFalse();
  }
}
