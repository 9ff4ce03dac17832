package dev.triggergate.dedup;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.engine.LaunchResult;
import dev.triggergate.engine.LaunchResult.Launched;
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
import java.util.Map;

/**
 * Altcraft's request de-duplication in front of either engine (SPEC §7): the first request naming a
 * request id launches; a repeat within the TTL launches nothing and gets the first answer again. A
 * repeat arriving while the first is still running waits for its outcome.
 *
 * <p>The key is the token with the request id, so one client's id never returns another client's
 * answer. An id the gateway made up is never repeated and never stored.
 *
 * <p>Kept are answers that settle the request: a launch, and an upstream's 2xx or 4xx (but not 408
 * or 429, which invite a retry). A failure, a 5xx or a timeout is not kept, so a retry goes through
 * — upstream it carries the same {@code Request-ID}, and Altcraft recognises it there.
 */
public final class Deduplication implements TriggerEngine {
  /** Marks a repeated answer (Altcraft's header). */
  public static final String DUPLICATE_REQUEST = "Duplicate-Request";

  /** Names the repeated request id (Altcraft's header). */
  public static final String DUPLICATE_KEY = "Duplicate-Key";

  private final TriggerEngine engine;
  private final DedupStore store;
  private final Counter replayed;
  private final Counter notKept;

  public Deduplication(TriggerEngine engine, DedupStore store, MeterRegistry registry) {
    this.engine = engine;
    this.store = store;
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

  private static void settle(Claim.First hold, AsyncResult<LaunchResult> outcome) {
    if (outcome.succeeded() && outcome.result() instanceof Launched launched) {
      hold.keep(launched);
    } else if (outcome.succeeded()
        && outcome.result() instanceof Relayed relayed
        && settles(relayed.status())) {
      // A streamed answer is on its way to the client and cannot be read twice.
      hold.keep(relayed.rest() == null ? copy(relayed) : null);
    } else {
      hold.release();
    }
  }

  private static boolean settles(int status) {
    return status >= 200 && status < 300
        || status >= 400 && status < 500 && status != 408 && status != 429;
  }

  private Future<LaunchResult> repeat(LaunchResult first, String requestId) {
    if (first == null) {
      notKept.increment();
      return Future.failedFuture(
          ApiError.of(
                  ErrorCode.DUPLICATE_REQUEST,
                  "request id "
                      + requestId
                      + " was answered before; that answer was streamed and not kept, and nothing"
                      + " was launched again")
              .withHeaders(Map.of(DUPLICATE_REQUEST, "true", DUPLICATE_KEY, requestId)));
    }
    replayed.increment();
    // Each reply gets its own copy: a written buffer belongs to that response.
    LaunchResult answer = first instanceof Relayed relayed ? copy(relayed) : first;
    return Future.succeededFuture(new Replayed(answer, requestId));
  }

  /** The whole answer, detached from the connection it came on; its rate-limit fields go stale. */
  private static Relayed copy(Relayed relayed) {
    MultiMap headers = HttpHeaders.headers();
    for (Map.Entry<String, String> header : relayed.headers()) {
      String name = header.getKey();
      if (!name.equalsIgnoreCase("RateLimit") && !name.equalsIgnoreCase("RateLimit-Policy")) {
        headers.add(name, header.getValue());
      }
    }
    return new Relayed(relayed.status(), headers, relayed.head().copy(), null);
  }
}
