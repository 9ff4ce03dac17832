package dev.triggergate.dedup;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.engine.LaunchResult;
import dev.triggergate.engine.LaunchResult.Delayed;
import dev.triggergate.engine.LaunchResult.Launched;
import dev.triggergate.engine.LaunchResult.Misdelivered;
import dev.triggergate.engine.LaunchResult.Relayed;
import dev.triggergate.engine.LaunchResult.Replayed;
import dev.triggergate.engine.StartBatch;
import dev.triggergate.engine.TriggerEngine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Altcraft's request de-duplication in front of either engine (SPEC §7): the first request naming a
 * request id launches; a repeat within the TTL launches nothing and gets the first answer again. A
 * repeat arriving while the first is still running waits for its outcome.
 *
 * <p>The key is the token with the request id, so one client's id never returns another client's
 * answer. An id the gateway made up is never repeated and never stored.
 *
 * <p>Kept are the answers of launched batches: a launch here, an upstream's 2xx. Anything else (a
 * refusal, a failure, a timeout, an upstream 4xx or 5xx) lets go of the id, so a corrected batch or
 * a retry goes through; upstream it carries the same {@code Request-ID}, for Altcraft to recognise.
 * So does an upstream answer too large to keep (streamed, or over the size limit); a launch here
 * too large to keep is remembered as answered, and its repeats get 409.
 */
public final class Deduplication implements TriggerEngine {
  /** Marks a repeated answer (Altcraft's header). */
  public static final String DUPLICATE_REQUEST = "Duplicate-Request";

  /** Names the repeated request id (Altcraft's header). */
  public static final String DUPLICATE_KEY = "Duplicate-Key";

  private static final Set<String> DROPPED_ON_REPLAY =
      Set.of("ratelimit", "ratelimit-policy", "duplicate-request", "duplicate-key");

  private final TriggerEngine engine;
  private final DedupStore store;
  private final long maxAnswerBytes;
  private final Counter replayed;
  private final Counter notKept;

  /**
   * @param maxAnswerBytes an answer larger than this is not kept
   */
  public Deduplication(
      TriggerEngine engine, DedupStore store, long maxAnswerBytes, MeterRegistry registry) {
    this.engine = engine;
    this.store = store;
    this.maxAnswerBytes = maxAnswerBytes;
    this.replayed = repeats(registry, "replayed");
    this.notKept = repeats(registry, "not_kept");
  }

  private static Counter repeats(MeterRegistry registry, String answer) {
    return Counter.builder("gateway_dedup_repeats")
        .description("Requests that repeated an answered request id and launched nothing")
        .tag("answer", answer)
        .register(registry);
  }

  @Override
  public Future<LaunchResult> launch(StartBatch batch) {
    if (!batch.requestIdFromClient()) {
      return engine.launch(batch);
    }
    String key = batch.token() + '\n' + batch.requestId();
    return store
        .claim(key)
        .compose(
            claim ->
                claim instanceof Claim.Repeat repeat
                    ? repeat(repeat.answer(), batch.requestId())
                    : first((Claim.First) claim, batch));
  }

  @Override
  public boolean isReady() {
    return engine.isReady() && store.isReady();
  }

  private Future<LaunchResult> first(Claim.First hold, StartBatch batch) {
    Future<LaunchResult> launched;
    try {
      launched = engine.launch(batch);
    } catch (RuntimeException refused) {
      hold.release();
      return Future.failedFuture(refused);
    }
    return launched.andThen(outcome -> settle(hold, outcome));
  }

  private void settle(Claim.First hold, AsyncResult<LaunchResult> outcome) {
    LaunchResult answer = outcome.succeeded() ? outcome.result() : null;
    if (answer instanceof Delayed delayed) {
      answer = delayed.answer();
    }
    if (answer instanceof Misdelivered misdelivered) {
      // Launched, whatever became of its answer: a retry gets the answer it should have had.
      answer = misdelivered.answer();
    }
    if (answer instanceof Launched launched) {
      // Nothing but this gateway can recognise a repeat of an in-process launch: one too large
      // to keep is still remembered as answered.
      hold.keep(sizeOf(launched) <= maxAnswerBytes ? launched : null);
    } else if (answer instanceof Relayed relayed
        && relayed.status() / 100 == 2
        && relayed.rest() == null
        && sizeOf(relayed) <= maxAnswerBytes) {
      hold.keep(copy(relayed));
    } else {
      // Not launched, or an answer that cannot be kept (streamed, or too large): a repeat goes
      // upstream with the same Request-ID, and Altcraft recognises it there.
      hold.release();
    }
  }

  private Future<LaunchResult> repeat(LaunchResult first, String requestId) {
    if (first == null) {
      notKept.increment();
      return Future.failedFuture(
          ApiError.of(
                  ErrorCode.DUPLICATE_REQUEST,
                  "request id "
                      + requestId
                      + " was answered before; that answer was too large to keep, and nothing was"
                      + " launched again")
              .withHeaders(Map.of(DUPLICATE_REQUEST, "true", DUPLICATE_KEY, requestId)));
    }
    replayed.increment();
    // Each reply gets its own copy: a written buffer belongs to that response.
    LaunchResult answer = first instanceof Relayed relayed ? copy(relayed) : first;
    return Future.succeededFuture(new Replayed(answer, requestId));
  }

  /**
   * The whole answer, detached from the connection it came on. Its rate-limit fields would be
   * stale, and Altcraft's own duplicate marks are set anew on each replay.
   */
  private static Relayed copy(Relayed relayed) {
    MultiMap headers = HttpHeaders.headers();
    for (Map.Entry<String, String> header : relayed.headers()) {
      if (!DROPPED_ON_REPLAY.contains(header.getKey().toLowerCase(Locale.ROOT))) {
        headers.add(header.getKey(), header.getValue());
      }
    }
    return new Relayed(relayed.status(), headers, relayed.head().copy(), null);
  }

  /** Roughly the heap a kept answer holds, which also bounds what is sent to Redis. */
  static long sizeOf(LaunchResult answer) {
    long size = 96;
    if (answer instanceof Launched launched) {
      for (String id : launched.profileIds()) {
        size += 56 + 2L * id.length();
      }
    } else if (answer instanceof Relayed relayed) {
      size += relayed.head().length();
      for (Map.Entry<String, String> header : relayed.headers()) {
        size += 64 + 2L * (header.getKey().length() + header.getValue().length());
      }
    }
    return size;
  }
}
