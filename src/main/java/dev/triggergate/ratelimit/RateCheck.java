package dev.triggergate.ratelimit;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.api.RequestKeys;
import dev.triggergate.engine.StartBatch;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;

/**
 * One pipeline step that applies a list of rate rules in order; the first refusal decides. The
 * pipeline has two: rules whose key needs no body run before the body is read, the rest after
 * validation. A granted wait ({@code max_wait_ms}) is served with a timer, never a parked thread.
 */
final class RateCheck implements Handler<RoutingContext> {
  /** The most constrained state so far, for the {@code RateLimit} field of the answer. */
  private static final String TIGHTEST = "tg.ratelimit.tightest";

  private final Vertx vertx;
  private final List<RateRule> rules;

  RateCheck(Vertx vertx, List<RateRule> rules) {
    this.vertx = vertx;
    this.rules = List.copyOf(rules);
  }

  @Override
  public void handle(RoutingContext ctx) {
    StartBatch batch = ctx.get(RequestKeys.BATCH);
    Future<Long> waited = Future.succeededFuture(0L);
    for (RateRule rule : rules) {
      waited =
          waited.compose(wait -> apply(rule, ctx, batch).map(ruleWait -> Math.max(wait, ruleWait)));
    }
    waited
        .compose(
            wait -> wait > 0 ? vertx.timer(wait).<Void>mapEmpty() : Future.<Void>succeededFuture())
        .onSuccess(v -> ctx.next())
        .onFailure(ctx::fail);
  }

  /** Applies one rule; succeeds with the wait it grants, fails with the refusal. */
  private Future<Long> apply(RateRule rule, RoutingContext ctx, StartBatch batch) {
    int permits = batch == null ? 1 : rule.permits(batch);
    if (permits > rule.policy().limit()) {
      rule.refusals().increment();
      RateDecision never =
          new RateDecision(false, 0, rule.policy().periodMs(), rule.policy().periodMs());
      return Future.failedFuture(
          ApiError.of(
                  ErrorCode.TOO_MANY_REQUESTS,
                  "batch of "
                      + permits
                      + " profiles exceeds rate limit \""
                      + rule.policy().name()
                      + "\" of "
                      + rule.policy().limit()
                      + " per "
                      + RateHeaders.seconds(rule.policy().periodMs())
                      + " s: it can never pass; split it")
              .withHeaders(RateHeaders.refusal(rule.policy(), never)));
    }
    return rule.store()
        .acquire(rule.policy(), rule.key(ctx, batch), permits)
        .recover(
            error ->
                error instanceof ResilientStore.StoreUnavailable
                    ? Future.failedFuture(
                        ApiError.of(ErrorCode.SERVICE_UNAVAILABLE, error.getMessage())
                            .withHeaders(Map.of(RateHeaders.RETRY_AFTER, "1")))
                    : Future.failedFuture(error))
        .compose(decision -> decide(rule, ctx, decision));
  }

  private Future<Long> decide(RateRule rule, RoutingContext ctx, RateDecision decision) {
    if (!decision.allowed()) {
      rule.refusals().increment();
      return Future.failedFuture(
          ApiError.of(
                  ErrorCode.TOO_MANY_REQUESTS,
                  "rate limit \"" + rule.policy().name() + "\" exceeded")
              .withHeaders(RateHeaders.refusal(rule.policy(), decision)));
    }
    Tightest tightest = ctx.get(TIGHTEST);
    if (tightest == null || tightest.looser(decision, rule)) {
      ctx.put(TIGHTEST, new Tightest(rule, decision));
      ctx.response()
          .headers()
          .set(RateHeaders.RATE_LIMIT, RateHeaders.state(rule.policy(), decision));
    }
    return Future.succeededFuture(decision.waitMs());
  }

  /** The policy with the least quota left, as a share of its limit. */
  private record Tightest(RateRule rule, RateDecision decision) {
    boolean looser(RateDecision other, RateRule otherRule) {
      return (double) other.remaining() / otherRule.policy().limit()
          < (double) decision.remaining() / rule.policy().limit();
    }
  }
}
