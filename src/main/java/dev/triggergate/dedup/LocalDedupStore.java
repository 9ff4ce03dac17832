package dev.triggergate.dedup;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.triggergate.engine.LaunchResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The {@code local} store: answers in a cache bounded by count and by bytes that forgets them after
 * the TTL, and the ids being answered right now in a map bounded by the requests in flight.
 */
public final class LocalDedupStore implements DedupStore {
  private final Vertx vertx;
  private final Cache<String, Claim.Repeat> answered;
  private final Map<String, Promise<Claim.Repeat>> running = new ConcurrentHashMap<>();
  private final Counter waits;

  /**
   * @param ttlMs how long an answer is given again
   * @param maxEntries at most this many answers are kept
   * @param maxBytes the answers kept take about this much memory at most
   */
  public LocalDedupStore(
      Vertx vertx, long ttlMs, int maxEntries, long maxBytes, MeterRegistry registry) {
    this.vertx = vertx;
    this.waits = waits(registry);
    // One weight bounds both: every answer weighs at least maxBytes / maxEntries, so no more than
    // maxEntries fit, and a large answer weighs its size.
    long floor = Math.max(1, maxBytes / maxEntries);
    this.answered =
        Caffeine.newBuilder()
            .expireAfterWrite(ttlMs, TimeUnit.MILLISECONDS)
            .maximumWeight(maxBytes)
            // Upkeep (eviction, expiry) on the writing thread, amortised: handing it to a pool
            // thread wakes one for every few writes, on the cores the event loops need.
            .executor(Runnable::run)
            .<String, Claim.Repeat>weigher((key, repeat) -> weight(floor, key, repeat))
            .build();
  }

  private static int weight(long floor, String key, Claim.Repeat repeat) {
    long size = 2L * key.length() + Deduplication.sizeOf(repeat.answer());
    return (int) Math.min(Integer.MAX_VALUE, Math.max(floor, size));
  }

  /** Counts repeats that waited for the first request, in either store. */
  static Counter waits(MeterRegistry registry) {
    return Counter.builder("gateway_dedup_waits")
        .description("Repeats that arrived while the first request was still running")
        .register(registry);
  }

  @Override
  public Future<Claim> claim(String key) {
    Claim.Repeat earlier = answered.getIfPresent(key);
    if (earlier != null) {
      return Future.succeededFuture(earlier);
    }
    Promise<Claim.Repeat> mine = Promise.promise();
    Promise<Claim.Repeat> first = running.putIfAbsent(key, mine);
    if (first == null) {
      // A hold keeps the answer before it leaves the running map: look once more.
      Claim.Repeat late = answered.getIfPresent(key);
      if (late != null) {
        running.remove(key, mine);
        mine.complete(late);
        return Future.succeededFuture(late);
      }
      return Future.succeededFuture(new LocalHold(key, mine));
    }
    return afterFirst(key, first.future());
  }

  /** Waits for the request holding the key; its outcome arrives on its own event loop. */
  private Future<Claim> afterFirst(String key, Future<Claim.Repeat> first) {
    waits.increment();
    Context caller = vertx.getOrCreateContext();
    Promise<Claim> result = Promise.promise();
    first.onComplete(
        settled ->
            caller.runOnContext(
                onCaller -> {
                  if (settled.result() != null) {
                    result.complete(settled.result());
                  } else {
                    claim(key).onComplete(result);
                  }
                }));
    return result.future();
  }

  /** This request's hold on an id. */
  private final class LocalHold implements Claim.First {
    private final String key;
    private final Promise<Claim.Repeat> waiters;

    LocalHold(String key, Promise<Claim.Repeat> waiters) {
      this.key = key;
      this.waiters = waiters;
    }

    @Override
    public void keep(LaunchResult answer) {
      Claim.Repeat repeat = new Claim.Repeat(answer);
      answered.put(key, repeat);
      running.remove(key, waiters);
      waiters.tryComplete(repeat);
    }

    @Override
    public void release() {
      running.remove(key, waiters);
      // Null: nothing to give again, so whoever waited claims the id afresh.
      waiters.tryComplete(null);
    }
  }

  long size() {
    answered.cleanUp();
    return answered.estimatedSize();
  }
}
