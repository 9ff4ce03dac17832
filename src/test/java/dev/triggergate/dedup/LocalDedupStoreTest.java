package dev.triggergate.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.engine.LaunchResult.Launched;
import dev.triggergate.engine.LaunchResult.Relayed;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The local store: one holder per id, waiters get its outcome, and every bound holds. */
class LocalDedupStoreTest {
  private static final Launched ANSWER = new Launched(List.of("6606e08f10bcdd88297057a7"), 0);

  private final Vertx vertx = Vertx.vertx();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void aSecondClaimWaitsForTheFirstAndGetsItsAnswer() {
    LocalDedupStore store = store(60_000, 100, 1 << 20);

    Claim first = store.claim("k").await();
    Future<Claim> second = store.claim("k");

    assertThat(first).isInstanceOf(Claim.First.class);
    assertThat(second.isComplete()).isFalse();
    assertThat(registry.counter("gateway_dedup_waits").count()).isEqualTo(1.0);
    ((Claim.First) first).keep(ANSWER);
    assertThat(second.await()).isEqualTo(new Claim.Repeat(ANSWER));
    assertThat(store.claim("k").await()).isEqualTo(new Claim.Repeat(ANSWER));
  }

  @Test
  void afterAReleaseOneWaiterHoldsTheIdAndTheOthersWaitForIt() {
    LocalDedupStore store = store(60_000, 100, 1 << 20);
    Claim.First holder = hold(store, "k");
    Future<Claim> second = store.claim("k");
    Future<Claim> third = store.claim("k");

    holder.release();
    Claim a = Future.any(second, third).await().resultAt(second.isComplete() ? 0 : 1);

    assertThat(a).isInstanceOf(Claim.First.class);
    Future<Claim> other = second.isComplete() ? third : second;
    assertThat(other.isComplete()).isFalse();
    ((Claim.First) a).keep(ANSWER);
    assertThat(other.await()).isEqualTo(new Claim.Repeat(ANSWER));
  }

  @Test
  void anAnswerThatCouldNotBeKeptIsStillARepeat() {
    LocalDedupStore store = store(60_000, 100, 1 << 20);
    hold(store, "k").keep(null);

    assertThat(store.claim("k").await()).isEqualTo(new Claim.Repeat(null));
  }

  @Test
  void answersAreForgottenAfterTheTtl() {
    LocalDedupStore store = store(50, 100, 1 << 20);
    hold(store, "k").keep(ANSWER);

    vertx.timer(150).await();

    assertThat(store.claim("k").await()).isInstanceOf(Claim.First.class);
  }

  @Test
  void noMoreThanMaxEntriesAreKept() {
    LocalDedupStore store = store(60_000, 10, 1 << 20);

    for (int i = 0; i < 200; i++) {
      hold(store, "k" + i).keep(ANSWER);
    }

    assertThat(store.size()).isBetween(1L, 10L);
  }

  @Test
  void largeAnswersAreBoundedByBytes() {
    LocalDedupStore store = store(60_000, 1_000, 1 << 20);
    Buffer body = Buffer.buffer(new byte[100 << 10]);

    for (int i = 0; i < 40; i++) {
      hold(store, "k" + i).keep(new Relayed(200, HttpHeaders.headers(), body, null));
    }

    assertThat(store.size()).isBetween(1L, 10L);
  }

  private static Claim.First hold(LocalDedupStore store, String key) {
    return (Claim.First) store.claim(key).await();
  }

  private LocalDedupStore store(long ttlMs, int maxEntries, long maxBytes) {
    return new LocalDedupStore(vertx, ttlMs, maxEntries, maxBytes, registry);
  }
}
